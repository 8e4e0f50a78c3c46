package dev.tiercache.profile;

import dev.tiercache.SettingsUnits;
import dev.tiercache.Tier;
import dev.tiercache.cuda.CudaLibrary;
import dev.tiercache.cuda.CudaRuntime;
import dev.tiercache.cuda.DeviceInfo;
import dev.tiercache.cuda.sim.SimulatedCuda;
import dev.tiercache.cuda.sim.SimulatedDeviceProfile;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Detection on this machine (the GPU is the simulated MX250 the surefire configuration installs),
 * detection from a made-up {@code /proc} and {@code /sys}, the presets and the sizing rules.
 */
class HardwareProfileTest
{
    private static final long MIB = SettingsUnits.MIB;
    private static final long GIB = SettingsUnits.GIB;

    @TempDir
    Path dir;

    @BeforeEach
    void installDevice()
    {
        assertTrue(CudaRuntime.open().isSimulated(), "tests expect -Dtiercache.cudart=sim:mx250");
        SimulatedCuda.current().reset(SimulatedDeviceProfile.MX250);
    }

    @AfterEach
    void restoreDevice()
    {
        SimulatedCuda.current().reset(SimulatedDeviceProfile.MX250);
    }

    @Test
    void detect_onThisMachine_readsCpuMemoryDiskAndTheSimulatedGpu()
    {
        assertEquals(CudaLibrary.Kind.SIMULATED, CudaLibrary.location().kind(), "tests expect -Dtiercache.cudart=sim:mx250");
        final HardwareProfile profile = HardwareProfile.detect(dir);
        assertEquals(HardwareProfile.DETECTED, profile.name());
        assertFalse(profile.cpu().model().isBlank());
        assertTrue(profile.cpu().threads() >= 1 && profile.cpu().physicalCores() <= profile.cpu().threads(), profile.cpu().toString());
        assertTrue(profile.memory().totalBytes() > 0 && profile.memory().availableBytes() <= profile.memory().totalBytes());
        assertTrue(profile.gpu().available(), profile.gpu().toString());
        final GpuDevice device = profile.gpu().devices().getFirst();
        assertEquals("simulated mx250", device.name());
        assertEquals("6.1", device.info().computeCapability());
        assertEquals(2 * GIB, device.info().totalBytes());
        assertEquals(SimulatedDeviceProfile.MX250.linkBytesPerSecond(), device.linkBytesPerSecond());
        assertTrue(profile.disk().freeBytes() > 0 && profile.disk().totalBytes() >= profile.disk().freeBytes(), profile.disk().toString());
        assertEquals(dir.toString(), profile.disk().directory());
        assertEquals(Tier.DEVICE, profile.transferCosts().consumer());
        // 2 GiB - 64 MiB in use - 512 MiB headroom
        assertEquals(1472 * MIB, profile.recommendedDeviceBytes());
    }

    @Test
    void detect_forADirectoryNotYetCreated_readsItsParentsFileSystem()
    {
        final HardwareProfile profile = HardwareProfile.detect(dir.resolve("a/b/c"));
        assertTrue(profile.disk().freeBytes() > 0);
    }

    @Test
    void detect_withoutDriver_keepsTheReasonAndSizesL1ToZero()
    {
        SimulatedCuda.current().reset(SimulatedDeviceProfile.NO_DRIVER);
        final HardwareProfile profile = HardwareProfile.detect(dir);
        assertFalse(profile.gpu().available());
        assertTrue(profile.gpu().reason().contains("(35)") && profile.gpu().reason().contains("no NVIDIA driver"), profile.gpu().reason());
        assertEquals(0, profile.recommendedDeviceBytes());
        assertEquals(0, profile.maxEntryBytes(Tier.DEVICE));
        assertEquals(Tier.HOST, profile.transferCosts().consumer());
        assertFalse(profile.transferCosts().link(TransferCostModel.Link.HOST_TO_DEVICE).available());
        final Object json = JsonTestParser.parse(profile.toJson());
        assertEquals(Boolean.FALSE, JsonTestParser.at(json, "gpu.available"));
        assertEquals(profile.gpu().reason(), JsonTestParser.at(json, "gpu.reason"));
        assertEquals(List.of(), JsonTestParser.at(json, "gpu.devices"));
        assertNull(JsonTestParser.at(json, "transferCosts.HOST_TO_DEVICE"));
    }

    @Test
    void detect_fromAMadeUpTree_countsCoresSocketsAndFindsTheNvmeUnderAPartition() throws IOException
    {
        final StringBuilder cpuinfo = new StringBuilder();
        int processor = 0;
        for (int socket = 0; socket < 2; socket++)
        {
            for (int core = 0; core < 3; core++)
            {
                for (int thread = 0; thread < 2; thread++)
                {
                    cpuinfo.append("processor\t: ").append(processor++).append("\nmodel name\t: Test CPU @ 2.00GHz\nphysical id\t: ")
                        .append(socket).append("\ncore id\t\t: ").append(core).append("\n\n");
                }
            }
        }
        write("proc/cpuinfo", cpuinfo.toString());
        write("proc/meminfo", "MemTotal:       16384000 kB\nMemFree:         1000000 kB\nMemAvailable:    8192000 kB\n");
        final Path data = dir.resolve("data/cache");
        Files.createDirectories(data);
        write("proc/self/mountinfo",
            "22 27 0:21 / /proc rw,relatime - proc proc rw\n" +
            "27 1 259:2 / / rw,relatime shared:1 - ext4 /dev/nvme0n1p2 rw\n" +
            "40 27 8:1 / " + dir.resolve("data") + " rw,relatime shared:2 - ext4 /dev/sda1 rw\n");
        write("sys/devices/pci0000:00/nvme/nvme0/nvme0n1/queue/rotational", "0\n");
        write("sys/devices/pci0000:00/nvme/nvme0/nvme0n1/nvme0n1p2/partition", "2\n");
        write("sys/devices/pci0000:00/ata1/sda/queue/rotational", "1\n");
        write("sys/devices/pci0000:00/ata1/sda/sda1/partition", "1\n");
        Files.createDirectories(dir.resolve("sys/dev/block"));
        Files.createSymbolicLink(dir.resolve("sys/dev/block/259:2"), dir.resolve("sys/devices/pci0000:00/nvme/nvme0/nvme0n1/nvme0n1p2"));
        Files.createSymbolicLink(dir.resolve("sys/dev/block/8:1"), dir.resolve("sys/devices/pci0000:00/ata1/sda/sda1"));

        final LinuxProbe probe = new LinuxProbe(dir);
        assertEquals(new CpuInfo("Test CPU @ 2.00GHz", 2, 6, 12), probe.cpu(1));
        assertEquals(new MemoryInfo(16384000L * 1024, 8192000L * 1024, 0), probe.memory());
        assertEquals(new LinuxProbe.BlockDevice("nvme0n1p2", DiskKind.NVME), probe.disk(Path.of("/home/user")));
        assertEquals(new LinuxProbe.BlockDevice("sda1", DiskKind.ROTATIONAL), probe.disk(data));

        final HardwareProfile profile = HardwareProfile.detect(dir, data, CudaRuntime.open());
        assertEquals(DiskKind.ROTATIONAL, profile.disk().kind());
        assertEquals(Boolean.TRUE, profile.disk().kind().rotational());
        assertEquals(HardwareProfile.assumedReadLatencyNanos(DiskKind.ROTATIONAL), profile.disk().readLatencyNanos());
    }

    @Test
    void detect_cgroupLimit_lowersMemory() throws IOException
    {
        write("proc/meminfo", "MemTotal:       16384000 kB\nMemAvailable:    8192000 kB\n");
        write("sys/fs/cgroup/memory.max", String.valueOf(2 * GIB));
        write("sys/fs/cgroup/memory.current", String.valueOf(512 * MIB));
        assertEquals(new MemoryInfo(2 * GIB, 1536 * MIB, 0), new LinuxProbe(dir).memory());
        write("sys/fs/cgroup/memory.max", "max\n");
        assertEquals(16384000L * 1024, new LinuxProbe(dir).memory().totalBytes());
    }

    @Test
    void detect_withoutProc_fallsBackWithoutThrowing()
    {
        final LinuxProbe probe = new LinuxProbe(dir.resolve("nothing"));
        assertEquals(new CpuInfo(LinuxProbe.UNKNOWN_MODEL, 1, 3, 3), probe.cpu(3));
        assertNull(probe.memory());
        assertEquals(LinuxProbe.BlockDevice.UNKNOWN, probe.disk(dir));
        assertNull(probe.pciLink("0000:01:00.0"));
        final HardwareProfile profile = HardwareProfile.detect(dir.resolve("nothing"), dir, CudaRuntime.open());
        assertEquals(DiskKind.UNKNOWN, profile.disk().kind());
        assertTrue(profile.memory().totalBytes() > 0);
    }

    @Test
    void cpuinfo_withoutCoreIds_countsEveryThreadAsACore()
    {
        final String text = "processor : 0\nModel : Raspberry Pi 5\n\nprocessor : 1\n\nprocessor : 2\n\nprocessor : 3\n";
        assertEquals(new CpuInfo("Raspberry Pi 5", 1, 4, 4), LinuxProbe.parseCpuInfo(text, 1));
    }

    @Test
    void pciLink_fromSysfs_appliesTheEncodingOfItsGeneration() throws IOException
    {
        write("sys/bus/pci/devices/0000:02:00.0/current_link_speed", "8.0 GT/s PCIe\n");
        write("sys/bus/pci/devices/0000:02:00.0/current_link_width", "4\n");
        write("sys/bus/pci/devices/0000:03:00.0/current_link_speed", "5.0 GT/s PCIe\n");
        write("sys/bus/pci/devices/0000:03:00.0/current_link_width", "16\n");
        final LinuxProbe probe = new LinuxProbe(dir);
        final LinuxProbe.PciLink gen3 = probe.pciLink("0000:02:00.0");
        assertEquals("PCIe 3.0 x4", gen3.description());
        assertEquals(3.938e9, gen3.bytesPerSecond(), 1e6);
        final LinuxProbe.PciLink gen2 = probe.pciLink("0000:03:00.0");
        assertEquals("PCIe 2.0 x16", gen2.description());
        assertEquals(8.0e9, gen2.bytesPerSecond(), 1e6);
    }

    @Test
    void laptopPreset_hasTheDesignsFiguresAndSizes()
    {
        final HardwareProfile laptop = HardwareProfile.preset("I5-10210U-SM61-NVME");
        assertEquals(HardwareProfile.LAPTOP_PRESET, laptop.name());
        assertEquals(new CpuInfo("Intel(R) Core(TM) i5-10210U CPU @ 1.60GHz", 1, 4, 8), laptop.cpu());
        assertEquals(42.656e9, laptop.memory().bandwidthBytesPerSecond(), 1e6);
        final DeviceInfo gpu = laptop.gpu().devices().getFirst().info();
        assertEquals("6.1", gpu.computeCapability());
        assertEquals(2 * GIB, gpu.totalBytes());
        assertEquals(3.94e9, laptop.gpu().devices().getFirst().linkBytesPerSecond());
        assertEquals(DiskKind.NVME, laptop.disk().kind());

        assertEquals(1472 * MIB, laptop.recommendedDeviceBytes());
        assertEquals(1280 * MIB, laptop.recommendedHostBytes());
        assertEquals(HardwareProfile.FILE_MAX_BYTES, laptop.recommendedFileBytes());
        assertEquals(1, laptop.moverThreads());
        assertEquals(184 * MIB, laptop.maxEntryBytes(Tier.DEVICE));
        assertEquals(160 * MIB, laptop.maxEntryBytes(Tier.HOST));
        assertEquals(GIB, laptop.maxEntryBytes(Tier.FILE));
    }

    @Test
    void serverPreset_hasTheH100AndTwoSockets()
    {
        final HardwareProfile server = HardwareProfile.preset(HardwareProfile.SERVER_PRESET);
        assertEquals(2, server.cpu().sockets());
        assertEquals(112, server.cpu().physicalCores());
        assertEquals(224, server.cpu().threads());
        final DeviceInfo gpu = server.gpu().devices().getFirst().info();
        assertEquals("9.0", gpu.computeCapability());
        assertEquals(80 * GIB, gpu.totalBytes());
        assertEquals("PCIe 5.0 x16", server.gpu().devices().getFirst().link());
        // 80 GiB - 512 MiB in use - 20 GiB headroom
        assertEquals(80 * GIB - 512 * MIB - 20 * GIB, server.recommendedDeviceBytes());
        assertEquals(HardwareProfile.HOST_MAX_BYTES, server.recommendedHostBytes());
        assertEquals(HardwareProfile.FILE_MAX_BYTES, server.recommendedFileBytes());
        assertEquals(2, server.moverThreads());
        assertEquals(256 * MIB, server.maxEntryBytes(Tier.DEVICE));
    }

    @Test
    void unknownPreset_namesTheKnownOnes()
    {
        final IllegalArgumentException ex = assertThrows(IllegalArgumentException.class, () -> HardwareProfile.preset("cray-1"));
        assertTrue(ex.getMessage().contains("cray-1") && ex.getMessage().contains(HardwareProfile.LAPTOP_PRESET) &&
            ex.getMessage().contains(HardwareProfile.SERVER_PRESET), ex.getMessage());
    }

    @Test
    void hostSize_tinyRam_staysWithinHalfOfAvailable()
    {
        assertEquals(4 * MIB, withMemory(64 * MIB, 8 * MIB).recommendedHostBytes());
        assertEquals(16 * MIB, withMemory(64 * MIB, 40 * MIB).recommendedHostBytes());
        assertEquals(0, withMemory(64 * MIB, 0).recommendedHostBytes());
        assertEquals(256 * MIB, withMemory(4 * GIB, GIB).recommendedHostBytes());
        assertEquals(HardwareProfile.HOST_MAX_BYTES, withMemory(4096 * GIB, 4000 * GIB).recommendedHostBytes());
    }

    @Test
    void fileSize_noDiskRoom_turnsL3Off()
    {
        assertEquals(0, withFreeDisk(0).recommendedFileBytes());
        assertEquals(0, withFreeDisk(100 * MIB).recommendedFileBytes());
        assertEquals(0, withFreeDisk(0).maxEntryBytes(Tier.FILE));
        assertEquals(64 * MIB, withFreeDisk(128 * MIB).recommendedFileBytes());
        assertEquals(5 * GIB, withFreeDisk(10 * GIB).recommendedFileBytes());
        assertEquals(HardwareProfile.FILE_MAX_BYTES, withFreeDisk(10 * SettingsUnits.TIB).recommendedFileBytes());
    }

    @Test
    void deviceSize_twoGibDevice_headroomAndLimit()
    {
        SimulatedCuda.current().reset(SimulatedDeviceProfile.MX250.withMemory(2 * GIB, 1600 * MIB));
        final HardwareProfile busy = HardwareProfile.detect(dir);
        assertEquals(448 * MIB, busy.gpu().devices().getFirst().info().freeBytes());
        assertEquals(0, busy.recommendedDeviceBytes(), "the headroom takes more than is free");
        assertEquals(448 * MIB, busy.recommendedDeviceBytes(0, 0));
        assertEquals(242 * MIB, busy.recommendedDeviceBytes(0.1, 0), "448 MiB - 204.8 MiB, rounded down to 2 MiB");

        SimulatedCuda.current().reset(SimulatedDeviceProfile.MX250.withMemory(2 * GIB, 0));
        final HardwareProfile idle = HardwareProfile.detect(dir);
        assertEquals(1536 * MIB, idle.recommendedDeviceBytes());
        assertEquals(512 * MIB, idle.recommendedDeviceBytes(0.25, 512 * MIB));
        assertEquals(510 * MIB, idle.recommendedDeviceBytes(0.25, 511 * MIB), "rounded down to 2 MiB");
        assertThrows(IllegalArgumentException.class, () -> idle.recommendedDeviceBytes(1.0, 0));
        assertThrows(IllegalArgumentException.class, () -> idle.recommendedDeviceBytes(0.25, -1));
    }

    @Test
    void moverThreads_followsThreadsAndGpus()
    {
        final HardwareProfile laptop = HardwareProfile.preset(HardwareProfile.LAPTOP_PRESET);
        assertEquals(1, HardwareProfile.of("two", new CpuInfo("x", 1, 2, 2), laptop.memory(), GpuInfo.none("none"), laptop.disk()).moverThreads());
        final GpuDevice device = laptop.gpu().devices().getFirst();
        final GpuInfo fourGpus = new GpuInfo(List.of(device, device, device, device), null);
        assertEquals(5, HardwareProfile.of("big", new CpuInfo("x", 2, 32, 64), laptop.memory(), fourGpus, laptop.disk()).moverThreads());
        assertEquals(2, HardwareProfile.of("small", new CpuInfo("x", 1, 4, 8), laptop.memory(), fourGpus, laptop.disk()).moverThreads());
    }

    @Test
    void json_hasEveryKeyTheCommandPromises()
    {
        final HardwareProfile laptop = HardwareProfile.preset(HardwareProfile.LAPTOP_PRESET);
        final Object json = JsonTestParser.parse(laptop.toJson());
        final Map<String, Object> expected = Map.ofEntries(
            Map.entry("name", HardwareProfile.LAPTOP_PRESET),
            Map.entry("cpu.model", "Intel(R) Core(TM) i5-10210U CPU @ 1.60GHz"),
            Map.entry("cpu.physicalCores", 4.0),
            Map.entry("cpu.threads", 8.0),
            Map.entry("memory.totalBytes", (double)(8 * GIB)),
            Map.entry("gpu.available", true),
            Map.entry("gpu.devices.0.name", "NVIDIA GeForce MX250"),
            Map.entry("gpu.devices.0.pciBusId", "0000:02:00.0"),
            Map.entry("gpu.devices.0.computeCapability", "6.1"),
            Map.entry("gpu.devices.0.totalBytes", (double)(2 * GIB)),
            Map.entry("disk.freeBytes", (double)(200 * GIB)),
            Map.entry("disk.rotational", false),
            Map.entry("recommended.l1Bytes", (double)(1472 * MIB)),
            Map.entry("recommended.l2Bytes", (double)(1280 * MIB)),
            Map.entry("recommended.l3Bytes", (double)(100 * GIB)),
            Map.entry("recommended.moverThreads", 1.0),
            Map.entry("transferCosts.consumer", "DEVICE"),
            Map.entry("transferCosts.DISK_TO_HOST.bytesPerSecond", 2.5e9));
        for (final Map.Entry<String, Object> entry : expected.entrySet())
        {
            assertEquals(entry.getValue(), JsonTestParser.at(json, entry.getKey()), entry.getKey());
        }
        assertNull(JsonTestParser.at(json, "gpu.reason"));
        assertTrue(laptop.describe().contains("recommended  L1 1.43 GiB, L2 1.25 GiB, L3 100 GiB, 1 mover thread"), laptop.describe());
    }

    @Test
    void json_escapesText()
    {
        final HardwareProfile laptop = HardwareProfile.preset(HardwareProfile.LAPTOP_PRESET);
        final HardwareProfile odd = HardwareProfile.of("a \"quoted\"\\name\n", laptop.cpu(), laptop.memory(), GpuInfo.none("tab\there"), laptop.disk());
        final Object json = JsonTestParser.parse(odd.toJson());
        assertEquals("a \"quoted\"\\name\n", JsonTestParser.at(json, "name"));
        assertEquals("tab\there", JsonTestParser.at(json, "gpu.reason"));
    }

    private static HardwareProfile withMemory(final long total, final long available)
    {
        final HardwareProfile laptop = HardwareProfile.preset(HardwareProfile.LAPTOP_PRESET);
        return HardwareProfile.of("test", laptop.cpu(), new MemoryInfo(total, available, 0), laptop.gpu(), laptop.disk());
    }

    private static HardwareProfile withFreeDisk(final long free)
    {
        final HardwareProfile laptop = HardwareProfile.preset(HardwareProfile.LAPTOP_PRESET);
        final DiskInfo disk = laptop.disk();
        return HardwareProfile.of("test", laptop.cpu(), laptop.memory(), laptop.gpu(),
            new DiskInfo(disk.directory(), disk.device(), disk.kind(), Math.max(free, disk.totalBytes()), free, disk.readBytesPerSecond(),
                disk.readLatencyNanos()));
    }

    private void write(final String relative, final String content) throws IOException
    {
        final Path file = dir.resolve(relative);
        Files.createDirectories(file.getParent());
        Files.writeString(file, content);
    }
}
