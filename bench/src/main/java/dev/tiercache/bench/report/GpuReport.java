package dev.tiercache.bench.report;

import dev.tiercache.bench.DeviceNormalizeBenchmark;
import dev.tiercache.cuda.CudaRuntime;
import dev.tiercache.cuda.DeviceInfo;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;

/**
 * The GPU kit's benchmark tables: reads the JMH JSON of {@code DeviceHitBenchmark} and
 * {@code DeviceNormalizeBenchmark} and prints, per batch size, the times, the ratios measured in
 * the same run, the GB/s of memory traffic and its fraction of the device's peak memory bandwidth,
 * {@code 2 x memory clock x bus width / 8} from {@code cudaDeviceGetAttribute}
 * ({@code cudaDevAttrMemoryClockRate}, {@code cudaDevAttrGlobalMemoryBusWidth}; see
 * {@link DeviceInfo#peakMemoryBandwidthBytesPerSecond()}).
 *
 * <p>Traffic counted: a device-to-device copy of {@code n} bytes reads and writes them
 * ({@code 2n}); a host-to-device copy moves {@code n} over the bus (no fraction of device memory
 * bandwidth is given for it); the normalisation reads {@code n} uint8 and writes {@code 4n} float32
 * ({@code 5n}).
 *
 * <p>Usage: {@code java -cp benchmarks.jar dev.tiercache.bench.report.GpuReport RESULT.json...};
 * the device is the process's CUDA device 0 (pass the same {@code -Dtiercache.cudart} as the
 * benchmarks had).
 */
public final class GpuReport
{
    private static final String HIT = "DeviceHitBenchmark.";
    private static final String NORMALIZE = "DeviceNormalizeBenchmark.";
    private static final double MIB = 1024.0 * 1024.0;

    private GpuReport()
    {
    }

    /**
     * Prints the tables.
     *
     * @param args JMH JSON result files.
     * @throws IOException when one cannot be read.
     */
    public static void main(final String[] args) throws IOException
    {
        final Map<String, Map<Long, Double>> scores = new TreeMap<>();
        for (final String file : args)
        {
            final List<?> rows = (List<?>)JsonReader.parse(Files.readString(Path.of(file), StandardCharsets.UTF_8));
            for (final Object row : rows)
            {
                final Map<?, ?> result = (Map<?, ?>)row;
                final String name = String.valueOf(result.get("benchmark"));
                final Map<?, ?> params = (Map<?, ?>)result.get("params");
                final Map<?, ?> metric = (Map<?, ?>)result.get("primaryMetric");
                if (params == null || metric == null || !"us/op".equals(metric.get("scoreUnit")))
                {
                    continue;
                }
                final String method = name.substring(name.lastIndexOf('.', name.lastIndexOf('.') - 1) + 1);
                scores.computeIfAbsent(method, m -> new TreeMap<>()).put(Long.parseLong(String.valueOf(params.get("size"))),
                    ((Number)metric.get("score")).doubleValue());
            }
        }
        final CudaRuntime cuda = CudaRuntime.open();
        final DeviceInfo device = cuda.isUsable() ? cuda.deviceInfo(0) : null;
        final double peak = device == null ? 0 : device.peakMemoryBandwidthBytesPerSecond();
        System.out.println(table(scores, device, peak, cuda.isSimulated()));
    }

    /** The report's text. */
    static String table(final Map<String, Map<Long, Double>> scores, final DeviceInfo device, final double peak, final boolean simulated)
    {
        final StringBuilder out = new StringBuilder();
        out.append(device == null ? "device: none usable\n" : String.format(Locale.ROOT,
            "device 0: PCI %s, compute capability %s, memory clock %d kHz x %d-bit bus = peak %.1f GB/s%s%n", device.pciBusId(),
            device.computeCapability(), device.memoryClockKHz(), device.memoryBusWidthBits(), peak / 1e9,
            simulated ? " (SIMULATED: its memory is host memory, the kernel runs in Java; these are CPU figures)" : ""));
        out.append("\ngetOnDevice hit, used (a device-to-device copy of the entry), against the same copy from a raw pointer, same run\n\n");
        out.append("| bytes | cacheHit us | rawPointer us | hit / raw | hit GB/s | raw GB/s | raw % of peak | pinned H2D us | H2D GB/s |\n");
        out.append("|---|---|---|---|---|---|---|---|---|\n");
        for (final long size : sizes(scores, HIT))
        {
            final double hit = score(scores, HIT + "cacheHit", size);
            final double raw = score(scores, HIT + "rawPointer", size);
            final double h2d = score(scores, HIT + "rawHostToDevice", size);
            out.append(String.format(Locale.ROOT, "| %s | %.1f | %.1f | %.2f | %.1f | %.1f | %s | %.1f | %.1f |%n", human(size), hit, raw, hit / raw,
                gbs(2.0 * size, hit), gbs(2.0 * size, raw), percent(gbs(2.0 * size, raw), peak), h2d, gbs(size, h2d)));
        }
        out.append("\nnormalisation uint8 -> float32, device kernel against the host loop, same run (goal: device >= 50 % of peak from 8 MiB)\n\n");
        out.append("| batch | input bytes | device us | host us | host / device | device GB/s | device % of peak | host GB/s |\n");
        out.append("|---|---|---|---|---|---|---|---|\n");
        for (final long size : sizes(scores, NORMALIZE))
        {
            final long count = DeviceNormalizeBenchmark.countFor(size);
            final double onDevice = score(scores, NORMALIZE + "device", size);
            final double onHost = score(scores, NORMALIZE + "host", size);
            out.append(String.format(Locale.ROOT, "| %s | %d | %.1f | %.1f | %.2f | %.1f | %s | %.1f |%n", human(size), count, onDevice, onHost,
                onHost / onDevice, gbs(5.0 * count, onDevice), percent(gbs(5.0 * count, onDevice), peak), gbs(5.0 * count, onHost)));
        }
        return out.toString();
    }

    private static List<Long> sizes(final Map<String, Map<Long, Double>> scores, final String prefix)
    {
        final java.util.TreeSet<Long> sizes = new java.util.TreeSet<>();
        scores.forEach((method, bySize) ->
        {
            if (method.startsWith(prefix))
            {
                sizes.addAll(bySize.keySet());
            }
        });
        return new ArrayList<>(sizes);
    }

    private static double score(final Map<String, Map<Long, Double>> scores, final String method, final long size)
    {
        final Map<Long, Double> bySize = scores.get(method);
        return bySize == null || !bySize.containsKey(size) ? Double.NaN : bySize.get(size);
    }

    private static double gbs(final double bytes, final double micros)
    {
        return bytes / (micros * 1e-6) / 1e9;
    }

    private static String percent(final double gbs, final double peak)
    {
        return peak > 0 && !Double.isNaN(gbs) ? String.format(Locale.ROOT, "%.1f %%", 100 * gbs * 1e9 / peak) : "-";
    }

    private static String human(final long bytes)
    {
        return bytes >= MIB ? String.format(Locale.ROOT, "%.0f MiB", bytes / MIB) : bytes + " B";
    }
}
