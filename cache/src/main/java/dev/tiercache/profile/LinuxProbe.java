package dev.tiercache.profile;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.Locale;
import java.util.Set;

/**
 * Reads the machine from Linux's {@code /proc} and {@code /sys} below a root folder, so tests can
 * hand it a made-up tree. Every read that fails yields "unknown", never an exception: a profile
 * is advice, and a container without {@code /sys} must still get one.
 */
final class LinuxProbe
{
    static final String UNKNOWN_MODEL = "unknown";

    /** A block device and its medium. */
    record BlockDevice(String name, DiskKind kind)
    {
        static final BlockDevice UNKNOWN = new BlockDevice("", DiskKind.UNKNOWN);
    }

    /** A negotiated PCIe link, e.g. {@code "PCIe 3.0 x4"}, and its one-direction bandwidth. */
    record PciLink(String description, double bytesPerSecond)
    {
    }

    private final Path root;

    LinuxProbe(final Path root)
    {
        this.root = root;
    }

    /**
     * CPU from {@code /proc/cpuinfo}: cores are distinct (physical id, core id) pairs, threads
     * are {@code processor} entries. Where the kernel omits the ids (some VMs, most ARM kernels)
     * every thread counts as a core.
     */
    CpuInfo cpu(final int fallbackThreads)
    {
        final String text = read("proc/cpuinfo");
        if (text == null)
        {
            return new CpuInfo(UNKNOWN_MODEL, 1, fallbackThreads, fallbackThreads);
        }
        return parseCpuInfo(text, fallbackThreads);
    }

    static CpuInfo parseCpuInfo(final String text, final int fallbackThreads)
    {
        String model = null;
        int threads = 0;
        final Set<String> sockets = new HashSet<>();
        final Set<String> cores = new HashSet<>();
        boolean idsMissing = false;
        for (final String block : (text + "\n\n").split("\n\\s*\n"))
        {
            if (block.isBlank())
            {
                continue;
            }
            boolean processor = false;
            String physicalId = "0";
            String coreId = null;
            for (final String line : block.split("\n"))
            {
                final int colon = line.indexOf(':');
                if (colon < 0)
                {
                    continue;
                }
                final String key = line.substring(0, colon).trim();
                final String value = line.substring(colon + 1).trim();
                switch (key)
                {
                    case "processor" -> processor = true;
                    case "model name", "Model", "cpu model" ->
                    {
                        if (model == null && !value.isEmpty())
                        {
                            model = value;
                        }
                    }
                    case "physical id" -> physicalId = value;
                    case "core id" -> coreId = value;
                    default ->
                    {
                    }
                }
            }
            if (processor)
            {
                threads++;
                sockets.add(physicalId);
                if (coreId == null)
                {
                    idsMissing = true;
                }
                else
                {
                    cores.add(physicalId + "/" + coreId);
                }
            }
        }
        if (threads == 0)
        {
            return new CpuInfo(model == null ? UNKNOWN_MODEL : model, 1, fallbackThreads, fallbackThreads);
        }
        final int physicalCores = idsMissing ? threads : cores.size();
        return new CpuInfo(model == null ? UNKNOWN_MODEL : model, Math.min(sockets.size(), physicalCores), physicalCores, threads);
    }

    /**
     * Memory from {@code /proc/meminfo} ({@code MemTotal}, {@code MemAvailable}, or
     * {@code MemFree + Cached} on kernels before 3.14), lowered to the cgroup v2 limit
     * ({@code /sys/fs/cgroup/memory.max} minus {@code memory.current}) inside a container.
     * {@code null} when {@code /proc/meminfo} cannot be read.
     */
    MemoryInfo memory()
    {
        final String text = read("proc/meminfo");
        if (text == null)
        {
            return null;
        }
        final long total = meminfoBytes(text, "MemTotal");
        long available = meminfoBytes(text, "MemAvailable");
        if (available < 0)
        {
            final long free = meminfoBytes(text, "MemFree");
            final long cached = meminfoBytes(text, "Cached");
            available = free < 0 ? -1 : free + Math.max(cached, 0);
        }
        if (total <= 0 || available < 0)
        {
            return null;
        }
        long limitedTotal = total;
        long limitedAvailable = Math.min(available, total);
        final long limit = parseLong(read("sys/fs/cgroup/memory.max"));
        if (limit > 0 && limit < limitedTotal)
        {
            final long used = Math.max(0, parseLong(read("sys/fs/cgroup/memory.current")));
            limitedTotal = limit;
            limitedAvailable = Math.min(limitedAvailable, Math.max(0, limit - used));
        }
        return new MemoryInfo(limitedTotal, limitedAvailable, 0);
    }

    static long meminfoBytes(final String text, final String key)
    {
        for (final String line : text.split("\n"))
        {
            if (line.startsWith(key + ":"))
            {
                final String[] words = line.substring(key.length() + 1).trim().split("\\s+");
                final long value = parseLong(words[0]);
                if (value < 0)
                {
                    return -1;
                }
                return words.length > 1 && words[1].equalsIgnoreCase("kB") ? value * 1024 : value;
            }
        }
        return -1;
    }

    /**
     * The block device under {@code directory}: the mount with the longest mount point that
     * contains it, from {@code /proc/self/mountinfo}, then its {@code major:minor} in
     * {@code /sys/dev/block}. A partition has no {@code queue} folder of its own; its disk's
     * (the parent folder in sysfs) answers.
     */
    BlockDevice disk(final Path directory)
    {
        final String mountinfo = read("proc/self/mountinfo");
        if (mountinfo == null)
        {
            return BlockDevice.UNKNOWN;
        }
        final String path = directory.toAbsolutePath().normalize().toString();
        String bestMount = null;
        String bestDevice = null;
        String bestSource = null;
        for (final String line : mountinfo.split("\n"))
        {
            final String[] fields = line.split(" ");
            final int dash = indexOfSeparator(fields);
            if (fields.length < 5 || dash < 0 || dash + 2 >= fields.length)
            {
                continue;
            }
            final String mount = unescape(fields[4]);
            if (contains(mount, path) && (bestMount == null || mount.length() >= bestMount.length()))
            {
                bestMount = mount;
                bestDevice = fields[2];
                bestSource = fields[dash + 2];
            }
        }
        if (bestMount == null)
        {
            return BlockDevice.UNKNOWN;
        }
        Path sysDevice = null;
        if (!bestDevice.startsWith("0:"))
        {
            sysDevice = resolveLink(root.resolve("sys/dev/block").resolve(bestDevice));
        }
        if (sysDevice == null && bestSource.startsWith("/dev/"))
        {
            sysDevice = resolveLink(root.resolve("sys/class/block").resolve(Path.of(bestSource).getFileName().toString()));
        }
        if (sysDevice == null)
        {
            return BlockDevice.UNKNOWN;
        }
        final String name = sysDevice.getFileName().toString();
        String rotational = read(sysDevice.resolve("queue/rotational"));
        if (rotational == null && sysDevice.getParent() != null)
        {
            rotational = read(sysDevice.getParent().resolve("queue/rotational"));
        }
        if (rotational == null)
        {
            return new BlockDevice(name, DiskKind.UNKNOWN);
        }
        if (rotational.trim().equals("1"))
        {
            return new BlockDevice(name, DiskKind.ROTATIONAL);
        }
        return new BlockDevice(name, name.startsWith("nvme") ? DiskKind.NVME : DiskKind.SOLID_STATE);
    }

    /**
     * The negotiated PCIe link of a device from {@code /sys/bus/pci/devices/BUS/current_link_speed}
     * and {@code current_link_width}, or {@code null} when sysfs does not say.
     * Bandwidth per lane: 2.5 and 5 GT/s use 8b/10b encoding, 8 GT/s and above 128b/130b.
     */
    PciLink pciLink(final String pciBusId)
    {
        final Path device = root.resolve("sys/bus/pci/devices").resolve(pciBusId.toLowerCase(Locale.ROOT));
        final String speed = read(device.resolve("current_link_speed"));
        final String width = read(device.resolve("current_link_width"));
        if (speed == null || width == null)
        {
            return null;
        }
        try
        {
            final double gigaTransfers = Double.parseDouble(speed.trim().split("\\s+")[0]);
            final int lanes = Integer.parseInt(width.trim());
            if (!(gigaTransfers > 0) || lanes <= 0)
            {
                return null;
            }
            final double encoding = gigaTransfers < 8.0 ? 8.0 / 10.0 : 128.0 / 130.0;
            final double bytesPerSecond = gigaTransfers * 1e9 * encoding / 8.0 * lanes;
            return new PciLink("PCIe " + pcieGeneration(gigaTransfers) + " x" + lanes, bytesPerSecond);
        }
        catch (final NumberFormatException ex)
        {
            return null;
        }
    }

    static String pcieGeneration(final double gigaTransfers)
    {
        if (gigaTransfers <= 2.5)
        {
            return "1.0";
        }
        if (gigaTransfers <= 5.0)
        {
            return "2.0";
        }
        if (gigaTransfers <= 8.0)
        {
            return "3.0";
        }
        if (gigaTransfers <= 16.0)
        {
            return "4.0";
        }
        if (gigaTransfers <= 32.0)
        {
            return "5.0";
        }
        return "6.0";
    }

    private static int indexOfSeparator(final String[] fields)
    {
        for (int i = 6; i < fields.length; i++)
        {
            if (fields[i].equals("-"))
            {
                return i;
            }
        }
        return -1;
    }

    private static boolean contains(final String mount, final String path)
    {
        return mount.equals("/") || path.equals(mount) || path.startsWith(mount + "/");
    }

    private static String unescape(final String field)
    {
        return field.replace("\\040", " ").replace("\\011", "\t").replace("\\012", "\n").replace("\\134", "\\");
    }

    private static Path resolveLink(final Path link)
    {
        if (!Files.exists(link))
        {
            return null;
        }
        try
        {
            return link.toRealPath();
        }
        catch (final IOException ex)
        {
            return null;
        }
    }

    private String read(final String relative)
    {
        return read(root.resolve(relative));
    }

    private static String read(final Path file)
    {
        try
        {
            return Files.readString(file, StandardCharsets.UTF_8);
        }
        catch (final IOException | RuntimeException ex)
        {
            return null;
        }
    }

    private static long parseLong(final String text)
    {
        if (text == null)
        {
            return -1;
        }
        try
        {
            return Long.parseLong(text.trim());
        }
        catch (final NumberFormatException ex)
        {
            return -1;
        }
    }
}
