package dev.tiercache.profile;

import dev.tiercache.SettingsUnits;
import dev.tiercache.Tier;
import dev.tiercache.cuda.CudaRuntime;
import dev.tiercache.cuda.DeviceInfo;
import dev.tiercache.cuda.sim.SimulatedCuda;
import dev.tiercache.cuda.sim.SimulatedDeviceProfile;

import java.io.IOException;
import java.nio.file.FileStore;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;

/**
 * The machine a cache runs on, and the level sizes and costs that follow from it.
 *
 * <h2>Where the figures come from</h2>
 * {@link #detect()} reads Linux's {@code /proc/cpuinfo} and {@code /proc/meminfo} (lowered to the
 * cgroup v2 memory limit inside a container), each GPU through {@link CudaRuntime} (or keeps the
 * reason there is none), and the L3 directory's file system through
 * {@link java.nio.file.FileStore} plus {@code /sys/block/DEV/queue/rotational}. What the system
 * does not tell (memory bandwidth, the disk's speed) is taken from the medium's kind and named as
 * an assumption where it is defined. {@link #preset(String)} names known machines whose figures
 * come from data sheets; each preset's Javadoc cites them.
 *
 * <h2>Sizing rules</h2>
 * Each {@code recommended*} method documents its rule. They are starting points that a
 * configuration overrides ({@code TierCacheConfig}); they never take memory that the rest of the
 * process needs to stay alive: device headroom stays free, at most a quarter of available RAM
 * is pinned, at most half of the free disk is preallocated.
 *
 * <p>Immutable and thread-safe. Detection takes a few milliseconds and is not cached.
 */
public final class HardwareProfile
{
    /** Name of every detected profile. */
    public static final String DETECTED = "detected";

    /** Name of the target laptop preset. */
    public static final String LAPTOP_PRESET = "i5-10210u-sm61-nvme";

    /** Name of the server preset. */
    public static final String SERVER_PRESET = "xeon-h100-nvme";

    /**
     * Share of device memory kept free by default (the design asks for 20 to 30 %): the CUDA
     * context, cuDNN/cuBLAS workspaces and the allocator's fragmentation live there.
     */
    public static final double DEFAULT_HEADROOM_FRACTION = 0.25;

    /** Device sizes are rounded down to this: the granule of the CUDA driver's large allocations. */
    public static final long DEVICE_GRANULE_BYTES = 2 * SettingsUnits.MIB;

    /** Share of available RAM given to L2 by default. */
    public static final double HOST_SHARE_OF_AVAILABLE = 0.25;

    /** L2 never goes below this while half of available RAM allows it. */
    public static final long HOST_MIN_BYTES = 16 * SettingsUnits.MIB;

    /** L2 ceiling by default: pinned memory cannot be swapped, so very large amounts hurt the rest of the machine. */
    public static final long HOST_MAX_BYTES = 64 * SettingsUnits.GIB;

    /** Share of the L3 file system's free bytes given to L3 by default. */
    public static final double FILE_SHARE_OF_FREE = 0.5;

    /** L3 ceiling by default: the design's upper figure for the target laptop. */
    public static final long FILE_MAX_BYTES = 100 * SettingsUnits.GIB;

    /** A smaller L3 is not worth a file: below this the recommendation is 0 (L3 off). */
    public static final long FILE_MIN_BYTES = 64 * SettingsUnits.MIB;

    /** The largest entry is at most this fraction's inverse of its level: one entry never flushes a level. */
    public static final int MAX_ENTRY_DIVISOR = 8;

    /**
     * Share of a PCIe link's theoretical rate that copies reach: each 256-byte payload carries
     * about 24 bytes of TLP and link-layer framing, plus flow-control packets.
     */
    public static final double PCIE_EFFICIENCY = 0.85;

    /** Host link assumed when sysfs does not tell: PCIe 3.0 x16, 16 x 8 GT/s x 128/130 / 8. */
    public static final double ASSUMED_LINK_BYTES_PER_SECOND = 15.75e9;

    /** Fixed cost of one host/device transfer: a {@code cudaMemcpyAsync} call plus DMA setup, order of 10 µs. */
    public static final long ASSUMED_LINK_LATENCY_NANOS = 10_000;

    /**
     * Single-threaded copy ceiling: about 12 outstanding cache-line fills of 64 bytes per core over
     * about 50 ns of memory latency (Little's law) is 15 GB/s; rounded to 16 GB/s.
     */
    public static final double SINGLE_THREAD_COPY_MAX_BYTES_PER_SECOND = 16e9;

    /** Copy rate assumed when the memory bandwidth is unknown. */
    public static final double ASSUMED_COPY_BYTES_PER_SECOND = 10e9;

    /** Fixed cost of one {@code MemorySegment.copy}: the bounds checks and the first misses. */
    public static final long COPY_LATENCY_NANOS = 100;

    private static final long MIB = SettingsUnits.MIB;
    private static final long GIB = SettingsUnits.GIB;
    private static final long[] MAX_ENTRY_CAP_BYTES = {256 * MIB, GIB, GIB};

    private final String name;
    private final CpuInfo cpu;
    private final MemoryInfo memory;
    private final GpuInfo gpu;
    private final DiskInfo disk;
    private final TransferCostModel transferCosts;

    private HardwareProfile(
        final String name, final CpuInfo cpu, final MemoryInfo memory, final GpuInfo gpu, final DiskInfo disk,
        final TransferCostModel transferCosts)
    {
        this.name = Objects.requireNonNull(name, "name");
        this.cpu = Objects.requireNonNull(cpu, "cpu");
        this.memory = Objects.requireNonNull(memory, "memory");
        this.gpu = Objects.requireNonNull(gpu, "gpu");
        this.disk = Objects.requireNonNull(disk, "disk");
        this.transferCosts = transferCosts == null ? defaultCosts(memory, gpu, disk) : transferCosts;
    }

    /**
     * A profile from figures, e.g. for a machine that is not a preset. The transfer costs follow
     * from the figures as {@link #transferCosts()} describes.
     *
     * @param name   a name for people.
     * @param cpu    the processor.
     * @param memory main memory.
     * @param gpu    the GPUs or why there are none.
     * @param disk   the L3 file system.
     * @return the profile.
     */
    public static HardwareProfile of(final String name, final CpuInfo cpu, final MemoryInfo memory, final GpuInfo gpu, final DiskInfo disk)
    {
        return new HardwareProfile(name, cpu, memory, gpu, disk, null);
    }

    /**
     * The same machine with other transfer costs, e.g. ones measured by the benchmarks.
     *
     * @param costs the model.
     * @return a new profile.
     */
    public HardwareProfile withTransferCosts(final TransferCostModel costs)
    {
        return new HardwareProfile(name, cpu, memory, gpu, disk, Objects.requireNonNull(costs, "costs"));
    }

    /**
     * Detects this machine, with the L3 directory in {@code java.io.tmpdir}.
     *
     * @return the profile; never throws for a missing GPU or an unreadable {@code /proc}.
     */
    public static HardwareProfile detect()
    {
        return detect(Path.of(System.getProperty("java.io.tmpdir")));
    }

    /**
     * Detects this machine.
     *
     * @param l3Directory where the L3 file would live; need not exist yet (its nearest existing
     *                    parent's file system is read).
     * @return the profile; never throws for a missing GPU or an unreadable {@code /proc}.
     */
    public static HardwareProfile detect(final Path l3Directory)
    {
        return detect(Path.of("/"), java.util.Objects.requireNonNull(l3Directory, "l3Directory is null"), CudaRuntime.open());
    }

    static HardwareProfile detect(final Path root, final Path l3Directory, final CudaRuntime runtime)
    {
        final LinuxProbe probe = new LinuxProbe(root);
        final int jvmThreads = Runtime.getRuntime().availableProcessors();
        final CpuInfo cpu = probe.cpu(jvmThreads);
        MemoryInfo memory = probe.memory();
        if (memory == null)
        {
            // without /proc the heap limit is the one figure we have and a safe floor
            final long heap = Runtime.getRuntime().maxMemory();
            memory = new MemoryInfo(heap, heap, 0);
        }
        return new HardwareProfile(DETECTED, cpu, memory, detectGpu(probe, runtime), detectDisk(probe, l3Directory), null);
    }

    private static GpuInfo detectGpu(final LinuxProbe probe, final CudaRuntime runtime)
    {
        if (!runtime.isUsable())
        {
            return GpuInfo.none(runtime.unavailableReason());
        }
        final List<GpuDevice> devices = new ArrayList<>();
        for (int i = 0; i < runtime.deviceCount(); i++)
        {
            final DeviceInfo info;
            try
            {
                info = runtime.deviceInfo(i);
            }
            catch (final RuntimeException ex)
            {
                return GpuInfo.none("reading CUDA device " + i + " failed: " + ex.getMessage());
            }
            if (runtime.isSimulated())
            {
                final SimulatedDeviceProfile simulated = SimulatedCuda.current().profile();
                devices.add(new GpuDevice("simulated " + simulated.name(), info, "simulated",
                    simulated.linkBytesPerSecond() > 0 ? simulated.linkBytesPerSecond() : ASSUMED_LINK_BYTES_PER_SECOND,
                    simulated.linkLatencyNanos()));
                continue;
            }
            final LinuxProbe.PciLink link = probe.pciLink(info.pciBusId());
            devices.add(link == null ?
                new GpuDevice("CUDA device " + i, info, "unknown (assumed PCIe 3.0 x16)", ASSUMED_LINK_BYTES_PER_SECOND, ASSUMED_LINK_LATENCY_NANOS) :
                new GpuDevice("CUDA device " + i, info, link.description(), link.bytesPerSecond(), ASSUMED_LINK_LATENCY_NANOS));
        }
        return new GpuInfo(devices, null);
    }

    private static DiskInfo detectDisk(final LinuxProbe probe, final Path l3Directory)
    {
        Path existing = l3Directory.toAbsolutePath().normalize();
        while (existing != null && !Files.exists(existing))
        {
            existing = existing.getParent();
        }
        long total = 0;
        long free = 0;
        LinuxProbe.BlockDevice device = LinuxProbe.BlockDevice.UNKNOWN;
        if (existing != null)
        {
            try
            {
                final FileStore store = Files.getFileStore(existing);
                total = store.getTotalSpace();
                free = Math.min(store.getUsableSpace(), total);
                device = probe.disk(existing.toRealPath());
            }
            catch (final IOException ex)
            {
                total = 0;
                free = 0;
            }
        }
        final DiskKind kind = device.kind();
        return new DiskInfo(l3Directory.toString(), device.name(), kind, total, free, assumedReadBytesPerSecond(kind), assumedReadLatencyNanos(kind));
    }

    /**
     * Sequential read rate assumed for a medium whose model is unknown: NVMe 2.0 GB/s (the low
     * middle of PCIe 3.0 x4 drives' 1.5 to 3.5 GB/s), other SSDs 0.5 GB/s (SATA 6 Gb/s carries
     * 600 MB/s after 8b/10b; drives reach about 550), spinning disks 0.15 GB/s, unknown as SSD.
     *
     * @param kind the medium.
     * @return bytes per second.
     */
    public static double assumedReadBytesPerSecond(final DiskKind kind)
    {
        return switch (java.util.Objects.requireNonNull(kind, "kind is null"))
        {
            case NVME -> 2.0e9;
            case SOLID_STATE, UNKNOWN -> 0.5e9;
            case ROTATIONAL -> 0.15e9;
        };
    }

    /**
     * Random 4 KiB read latency assumed for a medium: NVMe 90 µs (the design's 80 to 100 µs),
     * other SSDs 100 µs, spinning disks 8 ms (about 4 ms seek plus half a turn at 7200 rpm).
     *
     * @param kind the medium.
     * @return nanoseconds.
     */
    public static long assumedReadLatencyNanos(final DiskKind kind)
    {
        return switch (java.util.Objects.requireNonNull(kind, "kind is null"))
        {
            case NVME -> 90_000;
            case SOLID_STATE, UNKNOWN -> 100_000;
            case ROTATIONAL -> 8_000_000;
        };
    }

    /**
     * A named machine.
     *
     * @param name one of {@link #presetNames()}, case-insensitive.
     * @return the profile.
     * @throws IllegalArgumentException naming the known presets when there is none of that name.
     */
    public static HardwareProfile preset(final String name)
    {
        final String key = java.util.Objects.requireNonNull(name, "name is null").toLowerCase(Locale.ROOT);
        if (key.equals(LAPTOP_PRESET))
        {
            return HardwarePresets.laptop();
        }
        if (key.equals(SERVER_PRESET))
        {
            return HardwarePresets.server();
        }
        throw new IllegalArgumentException("unknown preset '" + name + "', known: " + presetNames());
    }

    /**
     * The names {@link #preset(String)} knows.
     *
     * @return sorted names.
     */
    public static List<String> presetNames()
    {
        return List.of(LAPTOP_PRESET, SERVER_PRESET);
    }

    private static TransferCostModel defaultCosts(final MemoryInfo memory, final GpuInfo gpu, final DiskInfo disk)
    {
        final Map<TransferCostModel.Link, TransferCostModel.LinkCost> links = new EnumMap<>(TransferCostModel.Link.class);
        if (gpu.available())
        {
            final GpuDevice device = gpu.devices().getFirst();
            final TransferCostModel.LinkCost pcie =
                new TransferCostModel.LinkCost(device.linkLatencyNanos(), device.linkBytesPerSecond() * PCIE_EFFICIENCY);
            links.put(TransferCostModel.Link.HOST_TO_DEVICE, pcie);
            links.put(TransferCostModel.Link.DEVICE_TO_HOST, pcie);
        }
        else
        {
            links.put(TransferCostModel.Link.HOST_TO_DEVICE, TransferCostModel.LinkCost.unavailable());
            links.put(TransferCostModel.Link.DEVICE_TO_HOST, TransferCostModel.LinkCost.unavailable());
        }
        final TransferCostModel.LinkCost diskCost = new TransferCostModel.LinkCost(disk.readLatencyNanos(), disk.readBytesPerSecond());
        links.put(TransferCostModel.Link.DISK_TO_HOST, diskCost);
        links.put(TransferCostModel.Link.HOST_TO_DISK, diskCost);
        final double copy = memory.bandwidthBytesPerSecond() > 0 ?
            Math.min(memory.bandwidthBytesPerSecond() / 2, SINGLE_THREAD_COPY_MAX_BYTES_PER_SECOND) : ASSUMED_COPY_BYTES_PER_SECOND;
        links.put(TransferCostModel.Link.MEMORY_COPY, new TransferCostModel.LinkCost(COPY_LATENCY_NANOS, copy));
        return TransferCostModel.of(links, gpu.available() ? Tier.DEVICE : Tier.HOST);
    }

    /**
     * The profile's name.
     *
     * @return a preset name or {@link #DETECTED}.
     */
    public String name()
    {
        return name;
    }

    /**
     * The processor.
     *
     * @return the CPU figures.
     */
    public CpuInfo cpu()
    {
        return cpu;
    }

    /**
     * Main memory.
     *
     * @return the memory figures.
     */
    public MemoryInfo memory()
    {
        return memory;
    }

    /**
     * The GPUs or why there are none.
     *
     * @return the GPU figures.
     */
    public GpuInfo gpu()
    {
        return gpu;
    }

    /**
     * The L3 file system.
     *
     * @return the disk figures.
     */
    public DiskInfo disk()
    {
        return disk;
    }

    /**
     * What moving bytes costs on this machine, unless {@link #withTransferCosts} replaced it.
     * Host and device links: the first GPU's link at {@link #PCIE_EFFICIENCY} of its theoretical
     * rate, with its fixed latency; absent without a GPU, and the consumer is then host memory.
     * Disk: the medium's read rate and latency, both ways (L3 is an append-only log, so writes
     * are sequential too). Memory copy: half the bus's peak (a copy reads and writes each byte),
     * at most {@link #SINGLE_THREAD_COPY_MAX_BYTES_PER_SECOND}, or
     * {@link #ASSUMED_COPY_BYTES_PER_SECOND} when the bandwidth is unknown.
     *
     * @return the model.
     */
    public TransferCostModel transferCosts()
    {
        return transferCosts;
    }

    /**
     * L1 size with the default headroom and no VRAM limit.
     *
     * @return bytes; 0 without a GPU.
     * @see #recommendedDeviceBytes(double, long)
     */
    public long recommendedDeviceBytes()
    {
        return recommendedDeviceBytes(DEFAULT_HEADROOM_FRACTION, 0);
    }

    /**
     * L1 size: the first GPU's free memory minus the headroom ({@code headroomFraction} of its
     * total memory), at most {@code vramLimitBytes}, rounded down to
     * {@link #DEVICE_GRANULE_BYTES}; 0 without a GPU or when the headroom takes all that is free.
     * On the target laptop's 2 GiB MX250 with 64 MiB in use this is 1472 MiB; set a VRAM limit
     * when the same process trains a model on the GPU.
     *
     * @param headroomFraction share of total device memory left free, {@code 0 <= f < 1}.
     * @param vramLimitBytes   upper bound, 0 for none.
     * @return bytes.
     */
    public long recommendedDeviceBytes(final double headroomFraction, final long vramLimitBytes)
    {
        if (!(headroomFraction >= 0 && headroomFraction < 1) || vramLimitBytes < 0)
        {
            throw new IllegalArgumentException("headroomFraction=" + headroomFraction + " vramLimitBytes=" + vramLimitBytes +
                ": need 0 <= headroom < 1 and limit >= 0");
        }
        if (!gpu.available())
        {
            return 0;
        }
        final DeviceInfo device = gpu.devices().getFirst().info();
        long bytes = device.freeBytes() - (long)Math.ceil(device.totalBytes() * headroomFraction);
        if (vramLimitBytes > 0)
        {
            bytes = Math.min(bytes, vramLimitBytes);
        }
        return Math.max(0, roundDown(bytes, DEVICE_GRANULE_BYTES));
    }

    /**
     * L2 size: {@link #HOST_SHARE_OF_AVAILABLE} of available RAM, at least
     * {@link #HOST_MIN_BYTES}, at most {@link #HOST_MAX_BYTES}, and never more than half of
     * available RAM; rounded down to a MiB. On the target laptop (5 GiB available) this is 1.25 GiB.
     *
     * @return bytes.
     */
    public long recommendedHostBytes()
    {
        final long available = memory.availableBytes();
        long bytes = Math.clamp((long)(available * HOST_SHARE_OF_AVAILABLE), HOST_MIN_BYTES, HOST_MAX_BYTES);
        bytes = Math.min(bytes, available / 2);
        return roundDown(bytes, MIB);
    }

    /**
     * L3 size: {@link #FILE_SHARE_OF_FREE} of the L3 file system's free bytes, at most
     * {@link #FILE_MAX_BYTES}, rounded down to a MiB; 0 (L3 off) when that is less than
     * {@link #FILE_MIN_BYTES}.
     *
     * @return bytes.
     */
    public long recommendedFileBytes()
    {
        final long bytes = roundDown(Math.min((long)(disk.freeBytes() * FILE_SHARE_OF_FREE), FILE_MAX_BYTES), MIB);
        return bytes < FILE_MIN_BYTES ? 0 : bytes;
    }

    /**
     * A level's recommended size.
     *
     * @param tier the level.
     * @return {@link #recommendedDeviceBytes()}, {@link #recommendedHostBytes()} or
     *         {@link #recommendedFileBytes()}.
     */
    public long recommendedBytes(final Tier tier)
    {
        return switch (tier)
        {
            case DEVICE -> recommendedDeviceBytes();
            case HOST -> recommendedHostBytes();
            case FILE -> recommendedFileBytes();
        };
    }

    /**
     * Mover agents: one, plus one when the machine has 16 or more hardware threads (file reads
     * and device copies then overlap without stealing the caller's cores), plus one for each GPU
     * beyond the first (each has its own copy engines); never more than a quarter of the
     * threads, and at least one.
     *
     * @return the number of mover threads.
     */
    public int moverThreads()
    {
        final int gpus = gpu.devices().size();
        final int wanted = 1 + (cpu.threads() >= 16 ? 1 : 0) + Math.max(0, gpus - 1);
        return Math.max(1, Math.min(wanted, cpu.threads() / 4));
    }

    /**
     * Largest entry a level takes: its recommended size over {@link #MAX_ENTRY_DIVISOR}, at most
     * 256 MiB in L1 and 1 GiB in L2 and L3. Larger entries go to a lower level (or are refused
     * when none takes them), so that one entry never flushes most of a level.
     *
     * @param tier the level.
     * @return bytes; 0 when the level is off.
     */
    public long maxEntryBytes(final Tier tier)
    {
        return maxEntryBytes(tier, recommendedBytes(tier));
    }

    /**
     * The rule of {@link #maxEntryBytes(Tier)} for a level of a given size.
     *
     * @param tier       the level.
     * @param levelBytes the level's size.
     * @return bytes.
     */
    public static long maxEntryBytes(final Tier tier, final long levelBytes)
    {
        return Math.min(levelBytes / MAX_ENTRY_DIVISOR, MAX_ENTRY_CAP_BYTES[java.util.Objects.requireNonNull(tier, "tier is null").ordinal()]);
    }

    private static long roundDown(final long value, final long granule)
    {
        return value - Math.floorMod(value, granule);
    }

    /**
     * The profile and the recommendations as JSON, for the {@code tiercache profile --json}
     * command and benchmark reports. Keys: {@code name}, {@code cpu.{model, sockets,
     * physicalCores, threads}}, {@code memory.{totalBytes, availableBytes,
     * bandwidthBytesPerSecond}}, {@code gpu.{available, reason, devices[].{index, name, pciBusId,
     * computeCapability, multiProcessorCount, totalBytes, freeBytes, link, linkBytesPerSecond,
     * runtimeVersion, driverVersion}}}, {@code disk.{directory, device, kind, rotational,
     * totalBytes, freeBytes, readBytesPerSecond, readLatencyNanos}}, {@code recommended.{l1Bytes,
     * l2Bytes, l3Bytes, moverThreads, maxEntryBytes.{l1, l2, l3}}}, {@code transferCosts.{consumer,
     * LINK.{latencyNanos, bytesPerSecond}}} (a missing link is {@code null}).
     *
     * @return indented JSON ending in a newline.
     */
    public String toJson()
    {
        final JsonWriter json = new JsonWriter().beginObject(null);
        json.field("name", name);
        json.beginObject("cpu").field("model", cpu.model()).field("sockets", cpu.sockets())
            .field("physicalCores", cpu.physicalCores()).field("threads", cpu.threads()).endObject();
        json.beginObject("memory").field("totalBytes", memory.totalBytes()).field("availableBytes", memory.availableBytes())
            .field("bandwidthBytesPerSecond", memory.bandwidthBytesPerSecond()).endObject();
        json.beginObject("gpu").field("available", gpu.available()).field("reason", gpu.reason()).beginArray("devices");
        for (final GpuDevice device : gpu.devices())
        {
            final DeviceInfo info = device.info();
            json.beginObject(null).field("index", info.index()).field("name", device.name()).field("pciBusId", info.pciBusId())
                .field("computeCapability", info.computeCapability()).field("multiProcessorCount", info.multiProcessorCount())
                .field("totalBytes", info.totalBytes()).field("freeBytes", info.freeBytes()).field("link", device.link())
                .field("linkBytesPerSecond", device.linkBytesPerSecond()).field("runtimeVersion", info.runtimeVersion())
                .field("driverVersion", info.driverVersion()).endObject();
        }
        json.endArray().endObject();
        json.beginObject("disk").field("directory", disk.directory()).field("device", disk.device()).field("kind", disk.kind().name())
            .field("rotational", disk.kind().rotational()).field("totalBytes", disk.totalBytes()).field("freeBytes", disk.freeBytes())
            .field("readBytesPerSecond", disk.readBytesPerSecond()).field("readLatencyNanos", disk.readLatencyNanos()).endObject();
        json.beginObject("recommended").field("l1Bytes", recommendedDeviceBytes()).field("l2Bytes", recommendedHostBytes())
            .field("l3Bytes", recommendedFileBytes()).field("moverThreads", moverThreads())
            .beginObject("maxEntryBytes").field("l1", maxEntryBytes(Tier.DEVICE)).field("l2", maxEntryBytes(Tier.HOST))
            .field("l3", maxEntryBytes(Tier.FILE)).endObject().endObject();
        json.beginObject("transferCosts").field("consumer", transferCosts.consumer().name());
        for (final TransferCostModel.Link link : TransferCostModel.Link.values())
        {
            final TransferCostModel.LinkCost cost = transferCosts.link(link);
            if (cost.available())
            {
                json.beginObject(link.name()).field("latencyNanos", cost.latencyNanos()).field("bytesPerSecond", cost.bytesPerSecond()).endObject();
            }
            else
            {
                json.field(link.name(), (String)null);
            }
        }
        return json.endObject().endObject().finish();
    }

    /**
     * The profile and the recommendations for people, one fact a line.
     *
     * @return text ending in a newline.
     */
    public String describe()
    {
        final StringBuilder sb = new StringBuilder();
        sb.append("profile      ").append(name).append('\n');
        sb.append("cpu          ").append(cpu.model()).append(", ").append(cpu.sockets()).append(cpu.sockets() == 1 ? " socket, " : " sockets, ")
            .append(cpu.physicalCores()).append(" cores, ").append(cpu.threads()).append(" threads\n");
        sb.append("memory       ").append(SettingsUnits.formatBytes(memory.totalBytes())).append(" total, ")
            .append(SettingsUnits.formatBytes(memory.availableBytes())).append(" available");
        if (memory.bandwidthBytesPerSecond() > 0)
        {
            sb.append(String.format(Locale.ROOT, ", %.1f GB/s peak", memory.bandwidthBytesPerSecond() / 1e9));
        }
        sb.append('\n');
        if (gpu.available())
        {
            for (final GpuDevice device : gpu.devices())
            {
                final DeviceInfo info = device.info();
                sb.append("gpu ").append(info.index()).append("        ").append(device.name()).append(" [").append(info.pciBusId())
                    .append("], compute ").append(info.computeCapability()).append(", ").append(info.multiProcessorCount()).append(" SMs, ")
                    .append(SettingsUnits.formatBytes(info.totalBytes())).append(" (").append(SettingsUnits.formatBytes(info.freeBytes()))
                    .append(" free), ").append(device.link())
                    .append(String.format(Locale.ROOT, " %.2f GB/s", device.linkBytesPerSecond() / 1e9)).append('\n');
            }
        }
        else
        {
            sb.append("gpu          none: ").append(gpu.reason()).append('\n');
        }
        sb.append("disk         ").append(disk.directory()).append(" on ").append(disk.device().isEmpty() ? "?" : disk.device())
            .append(" (").append(disk.kind().name().toLowerCase(Locale.ROOT)).append("), ")
            .append(SettingsUnits.formatBytes(disk.freeBytes())).append(" free of ").append(SettingsUnits.formatBytes(disk.totalBytes()))
            .append('\n');
        sb.append("recommended  L1 ").append(SettingsUnits.formatBytes(recommendedDeviceBytes()))
            .append(", L2 ").append(SettingsUnits.formatBytes(recommendedHostBytes()))
            .append(", L3 ").append(SettingsUnits.formatBytes(recommendedFileBytes()))
            .append(", ").append(moverThreads()).append(moverThreads() == 1 ? " mover thread\n" : " mover threads\n");
        sb.append("max entry    L1 ").append(SettingsUnits.formatBytes(maxEntryBytes(Tier.DEVICE)))
            .append(", L2 ").append(SettingsUnits.formatBytes(maxEntryBytes(Tier.HOST)))
            .append(", L3 ").append(SettingsUnits.formatBytes(maxEntryBytes(Tier.FILE))).append('\n');
        sb.append("costs        ").append(transferCosts).append('\n');
        return sb.toString();
    }

    /**
     * A one-line summary.
     *
     * @return e.g. {@code HardwareProfile{i5-10210u-sm61-nvme: 4C/8T, 8 GiB, 1 GPU, nvme}}.
     */
    @Override
    public String toString()
    {
        return "HardwareProfile{" + name + ": " + cpu.physicalCores() + "C/" + cpu.threads() + "T, " +
            SettingsUnits.formatBytes(memory.totalBytes()) + ", " + gpu.devices().size() + " GPU, " +
            disk.kind().name().toLowerCase(Locale.ROOT) + "}";
    }
}
