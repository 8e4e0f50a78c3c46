package dev.tiercache.profile;

import dev.tiercache.SettingsUnits;
import dev.tiercache.cuda.DeviceInfo;
import dev.tiercache.cuda.sim.SimulatedDeviceProfile;

import java.util.List;

/**
 * The named machines of {@link HardwareProfile#preset(String)}. Every figure says where it comes
 * from; "assumed" marks the ones that depend on how a particular machine is used.
 */
final class HardwarePresets
{
    private static final long MIB = SettingsUnits.MIB;
    private static final long GIB = SettingsUnits.GIB;
    private static final long TIB = SettingsUnits.TIB;

    private HardwarePresets()
    {
    }

    /**
     * {@code i5-10210u-sm61-nvme}, the mission's target laptop.
     * <ul>
     *   <li>CPU: Intel Core i5-10210U (Comet Lake U), 1 socket, 4 cores, 8 threads, 1.6 to 4.2 GHz,
     *       6 MB L3 (Intel ARK).</li>
     *   <li>Memory: 8 GiB, the low end of the 8 to 16 GiB such laptops ship with; 5 GiB assumed
     *       available next to a desktop session and an IDE. DDR4-2666 dual channel: 2 channels x
     *       2666 MT/s x 8 bytes = 42.7 GB/s peak (Intel ARK's maximum memory speed).</li>
     *   <li>GPU: GeForce MX250-class Pascal GP108, compute capability 6.1, 2 GiB GDDR5 on a 64-bit
     *       bus, 3 SMs, 64 MiB taken by the context and display, the CUDA 12 runtime (CUDA 13
     *       dropped Pascal): the figures of {@link SimulatedDeviceProfile#MX250}. Host link PCIe 3.0
     *       x4: 4 x 8 GT/s x 128/130 / 8 = 3.94 GB/s theoretical, 10 µs per transfer.</li>
     *   <li>Disk: a 512 GB PCIe 3.0 x4 NVMe SSD (476.9 GiB formatted), 200 GiB assumed free;
     *       2.5 GB/s sequential read (the middle of the 1.5 to 3.5 GB/s such drives are rated for)
     *       and 90 µs per random 4 KiB read (the middle of 80 to 100 µs). With the link's 85 %
     *       efficiency (3.35 GB/s) L2 to L1 and L3 to L2 are within 35 % of each other.</li>
     * </ul>
     */
    static HardwareProfile laptop()
    {
        final SimulatedDeviceProfile mx250 = SimulatedDeviceProfile.MX250;
        return HardwareProfile.of(
            HardwareProfile.LAPTOP_PRESET,
            new CpuInfo("Intel(R) Core(TM) i5-10210U CPU @ 1.60GHz", 1, 4, 8),
            new MemoryInfo(8 * GIB, 5 * GIB, 2 * 2666e6 * 8),
            new GpuInfo(List.of(new GpuDevice("NVIDIA GeForce MX250", deviceInfo(mx250), "PCIe 3.0 x4",
                mx250.linkBytesPerSecond(), mx250.linkLatencyNanos())), null),
            new DiskInfo("/var/cache/tiercache", "nvme0n1", DiskKind.NVME, 476_940 * MIB, 200 * GIB, 2.5e9, 90_000));
    }

    /**
     * {@code xeon-h100-nvme}, a two-socket training server.
     * <ul>
     *   <li>CPU: 2 x Intel Xeon Platinum 8480+ (Sapphire Rapids), 56 cores and 112 threads each
     *       (Intel ARK): 112 cores, 224 threads.</li>
     *   <li>Memory: 1 TiB (16 x 64 GiB RDIMMs, one per channel), 900 GiB assumed available.
     *       DDR5-4800, 8 channels per socket: 2 x 8 x 4800 MT/s x 8 bytes = 614.4 GB/s peak.</li>
     *   <li>GPU: one H100 80 GB, compute capability 9.0, 132 SMs, HBM3 on a 5120-bit bus, 512 MiB
     *       in use at start: the figures of {@link SimulatedDeviceProfile#H100}. Host link PCIe 5.0
     *       x16: 16 x 32 GT/s x 128/130 / 8 = 63 GB/s theoretical, 5 µs per transfer.</li>
     *   <li>Disk: a 3.84 TB PCIe 4.0 x4 NVMe SSD (3576 GiB formatted), 3 TiB assumed free;
     *       7.0 GB/s sequential read (PCIe 4.0 x4 carries 7.88 GB/s; data-centre drives of this
     *       class are rated 6.8 to 7.0) and 80 µs per random 4 KiB read.</li>
     * </ul>
     */
    static HardwareProfile server()
    {
        final SimulatedDeviceProfile h100 = SimulatedDeviceProfile.H100;
        return HardwareProfile.of(
            HardwareProfile.SERVER_PRESET,
            new CpuInfo("Intel(R) Xeon(R) Platinum 8480+", 2, 112, 224),
            new MemoryInfo(TIB, 900 * GIB, 2 * 8 * 4800e6 * 8),
            new GpuInfo(List.of(new GpuDevice("NVIDIA H100 80GB HBM3", deviceInfo(h100), "PCIe 5.0 x16",
                h100.linkBytesPerSecond(), h100.linkLatencyNanos())), null),
            new DiskInfo("/var/cache/tiercache", "nvme0n1", DiskKind.NVME, 3576 * GIB, 3 * TIB, 7.0e9, 80_000));
    }

    private static DeviceInfo deviceInfo(final SimulatedDeviceProfile device)
    {
        return new DeviceInfo(0, device.pciBusId(), device.computeMajor(), device.computeMinor(), device.multiProcessorCount(),
            device.memoryClockKHz(), device.memoryBusWidthBits(), device.clockKHz(), device.asyncEngineCount(), true, false,
            device.totalBytes(), device.totalBytes() - device.reservedBytes(), device.runtimeVersion(), device.driverVersion());
    }
}
