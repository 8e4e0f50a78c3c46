package dev.tiercache.cuda;

/**
 * What the runtime tells about one device, read through {@code cudaDeviceGetAttribute},
 * {@code cudaMemGetInfo} and {@code cudaDeviceGetPCIBusId} (never the versioned
 * {@code cudaDeviceProp} struct). The runtime exposes no device name without that struct, so a
 * device is named by its PCI bus id.
 *
 * @param index               the device ordinal.
 * @param pciBusId            e.g. {@code "0000:01:00.0"}.
 * @param computeMajor        compute capability, major part (6 for Pascal GP10x).
 * @param computeMinor        compute capability, minor part.
 * @param multiProcessorCount number of streaming multiprocessors.
 * @param memoryClockKHz      peak memory clock in kHz.
 * @param memoryBusWidthBits  global memory bus width in bits.
 * @param clockKHz            peak SM clock in kHz (0 where the runtime no longer reports it).
 * @param asyncEngineCount    copy engines that can overlap with compute.
 * @param canMapHostMemory    whether pinned host memory can be mapped into the device.
 * @param integrated          whether the device shares memory with the host.
 * @param totalBytes          device memory in bytes.
 * @param freeBytes           device memory free when this was read.
 * @param runtimeVersion      e.g. 13000 for CUDA 13.0.
 * @param driverVersion       the driver's CUDA version, 0 when no driver is loaded.
 */
public record DeviceInfo(
    int index,
    String pciBusId,
    int computeMajor,
    int computeMinor,
    int multiProcessorCount,
    int memoryClockKHz,
    int memoryBusWidthBits,
    int clockKHz,
    int asyncEngineCount,
    boolean canMapHostMemory,
    boolean integrated,
    long totalBytes,
    long freeBytes,
    int runtimeVersion,
    int driverVersion)
{
    /**
     * Compute capability as users write it.
     *
     * @return e.g. {@code "6.1"}.
     */
    public String computeCapability()
    {
        return computeMajor + "." + computeMinor;
    }

    /**
     * Theoretical peak memory bandwidth: two transfers per clock (DDR) across the bus width.
     *
     * @return bytes per second.
     */
    public double peakMemoryBandwidthBytesPerSecond()
    {
        return 2.0 * memoryClockKHz * 1000.0 * (memoryBusWidthBits / 8.0);
    }
}
