package dev.tiercache.cuda.sim;

import java.util.Locale;
import java.util.Map;

/**
 * What a simulated device reports and enforces.
 *
 * @param name                 the profile's name, as in {@code tiercache.cudart=sim:NAME}.
 * @param initError            0 for a working device; otherwise the {@code cudaError_t} that every
 *                             call (but the version and error-name calls) returns, as a machine
 *                             without a driver (35) or without a GPU (100) does.
 * @param deviceCount          devices reported.
 * @param computeMajor         compute capability, major part.
 * @param computeMinor         compute capability, minor part.
 * @param totalBytes           device memory; {@code cudaMalloc} beyond it fails.
 * @param reservedBytes        memory already in use when the process starts (context, display).
 * @param multiProcessorCount  streaming multiprocessors.
 * @param memoryClockKHz       memory clock attribute.
 * @param memoryBusWidthBits   memory bus width attribute.
 * @param clockKHz             SM clock attribute.
 * @param asyncEngineCount     copy engines.
 * @param linkBytesPerSecond   host link bandwidth used when link emulation is on.
 * @param linkLatencyNanos     fixed cost per transfer used when link emulation is on.
 * @param runtimeVersion       what {@code cudaRuntimeGetVersion} answers.
 * @param driverVersion        what {@code cudaDriverGetVersion} answers (0: no driver).
 * @param pciBusId             what {@code cudaDeviceGetPCIBusId} answers.
 */
public record SimulatedDeviceProfile(
    String name,
    int initError,
    int deviceCount,
    int computeMajor,
    int computeMinor,
    long totalBytes,
    long reservedBytes,
    int multiProcessorCount,
    int memoryClockKHz,
    int memoryBusWidthBits,
    int clockKHz,
    int asyncEngineCount,
    double linkBytesPerSecond,
    long linkLatencyNanos,
    int runtimeVersion,
    int driverVersion,
    String pciBusId)
{
    private static final long GIB = 1L << 30;
    private static final long MIB = 1L << 20;

    /**
     * The target laptop's GPU: a GeForce MX250-class Pascal GP108. Compute capability 6.1, 2 GiB
     * GDDR5 on a 64-bit bus at 7 Gbps (3504 MHz memory clock), 3 SMs at up to 1582 MHz, on a
     * PCIe 3.0 x4 link: 4 lanes x 8 GT/s x 128/130 encoding = 3.94 GB/s theoretical. CUDA 13
     * dropped Pascal, so it runs the CUDA 12 runtime on an R580-or-older driver.
     */
    public static final SimulatedDeviceProfile MX250 = new SimulatedDeviceProfile(
        "mx250", 0, 1, 6, 1, 2 * GIB, 64 * MIB, 3, 3_504_000, 64, 1_582_000, 1,
        3.94e9, 10_000, 12080, 12080, "0000:02:00.0");

    /**
     * A server GPU: an H100 SXM5 80 GB. Compute capability 9.0, 80 GiB HBM3 on a 5120-bit bus
     * (2619 MHz), 132 SMs, PCIe 5.0 x16 to the host: 16 lanes x 32 GT/s x 128/130 = 63 GB/s.
     */
    public static final SimulatedDeviceProfile H100 = new SimulatedDeviceProfile(
        "h100", 0, 1, 9, 0, 80 * GIB, 512 * MIB, 132, 2_619_000, 5120, 1_980_000, 3,
        63.0e9, 5_000, 13000, 13000, "0000:18:00.0");

    /** A machine with the runtime library but no driver: every call fails with 35, as here. */
    public static final SimulatedDeviceProfile NO_DRIVER = new SimulatedDeviceProfile(
        "nodriver", 35, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 13000, 0, "");

    /** A machine with a driver and no GPU: every call fails with 100. */
    public static final SimulatedDeviceProfile NO_DEVICE = new SimulatedDeviceProfile(
        "nodevice", 100, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 13000, 13000, "");

    private static final Map<String, SimulatedDeviceProfile> BY_NAME = Map.of(
        MX250.name, MX250, H100.name, H100, NO_DRIVER.name, NO_DRIVER, NO_DEVICE.name, NO_DEVICE);

    /**
     * Checks the figures.
     *
     * @param name                 the profile's name.
     * @param initError            0, or the error every call returns.
     * @param deviceCount          devices reported.
     * @param computeMajor         compute capability, major part.
     * @param computeMinor         compute capability, minor part.
     * @param totalBytes           device memory.
     * @param reservedBytes        memory in use at start.
     * @param multiProcessorCount  streaming multiprocessors.
     * @param memoryClockKHz       memory clock.
     * @param memoryBusWidthBits   bus width.
     * @param clockKHz             SM clock.
     * @param asyncEngineCount     copy engines.
     * @param linkBytesPerSecond   link bandwidth.
     * @param linkLatencyNanos     per-transfer cost.
     * @param runtimeVersion       runtime version.
     * @param driverVersion        driver version.
     * @param pciBusId             PCI bus id.
     */
    public SimulatedDeviceProfile
    {
        if (initError == 0 && (deviceCount <= 0 || totalBytes <= reservedBytes || reservedBytes < 0))
        {
            throw new IllegalArgumentException("profile " + name + ": deviceCount=" + deviceCount +
                " totalBytes=" + totalBytes + " reservedBytes=" + reservedBytes + " do not describe a working device");
        }
    }

    /**
     * A profile by name.
     *
     * @param name one of {@link #names()}, case-insensitive.
     * @return the profile.
     * @throws IllegalArgumentException naming the known profiles when there is none of that name.
     */
    public static SimulatedDeviceProfile named(final String name)
    {
        final SimulatedDeviceProfile profile = BY_NAME.get(name.toLowerCase(Locale.ROOT));
        if (profile == null)
        {
            throw new IllegalArgumentException("unknown simulated device profile '" + name + "', known: " + names());
        }
        return profile;
    }

    /**
     * The names {@link #named} knows.
     *
     * @return sorted names.
     */
    public static java.util.List<String> names()
    {
        return BY_NAME.keySet().stream().sorted().toList();
    }

    /**
     * The same device with another memory size (for tests of the sizing rules).
     *
     * @param totalBytes  device memory.
     * @param reservedBytes memory in use at start.
     * @return a copy.
     */
    public SimulatedDeviceProfile withMemory(final long totalBytes, final long reservedBytes)
    {
        return new SimulatedDeviceProfile(name, initError, deviceCount, computeMajor, computeMinor, totalBytes, reservedBytes,
            multiProcessorCount, memoryClockKHz, memoryBusWidthBits, clockKHz, asyncEngineCount, linkBytesPerSecond,
            linkLatencyNanos, runtimeVersion, driverVersion, pciBusId);
    }
}
