package dev.tiercache.bench.report;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

/**
 * Reads JMH JSON result files and writes the Markdown report: the machine, the targets
 * with what was measured, each level against the physical limit of its medium, tiercache against
 * each peer on the same operation, and every result with its throughput and allocation.
 *
 * <p>Every ratio is {@code reference time / subject time} for the same parameters in the same
 * run: against a limit it is the fraction of the limit reached (1.00 = at the limit), against a
 * peer it is how many times faster tiercache is (above 1 = tiercache faster). A rule whose
 * benchmarks are absent from the input is left out, so a partial run still gives a report.
 *
 * <p>Usage: {@code java -cp benchmarks.jar dev.tiercache.bench.report.BenchmarkReport
 * --in results.json [--in more.json] --out report.md --title quick --cpu MODEL --cores N --date DAY}.
 * The ratio and target sections are printed to standard output as well.
 */
public final class BenchmarkReport
{
    private static final String SIZE = "size";

    /** Benchmark methods that move no value's bytes, so have no throughput. */
    private static final Set<String> NO_BYTES_MOVED = Set.of("get", "view", "getView", "hit", "miss");

    /** One JMH result row. */
    record Result(String name, Map<String, String> params, int threads, double score, double error,
        String unit, double bytesPerOp, Map<?, ?> raw)
    {
        String param(final String key)
        {
            return params.get(key);
        }

        double gigabytesPerSecond()
        {
            final String size = params.get(SIZE);
            final String method = name.substring(name.indexOf('.') + 1);
            return size == null || NO_BYTES_MOVED.contains(method) || !unit.equals("ns/op") ? Double.NaN : Double.parseDouble(size) / score;
        }
    }

    /** A ratio rule: reference time / subject time, where both have equal shared parameters. */
    record Ratio(String section, String label, String subject, Map<String, String> subjectParams,
        String reference, Map<String, String> referenceParams, double target, long minSize)
    {
    }

    /** What a {@link Check} bounds. */
    enum Metric
    {
        NS_PER_OP("ns/op"),
        BYTES_PER_OP("B/op"),
        GB_PER_S("GB/s");

        final String unit;

        Metric(final String unit)
        {
            this.unit = unit;
        }
    }

    /** An absolute target on one benchmark. */
    record Check(String label, String benchmark, Map<String, String> params, Metric metric, double bound, boolean atMost)
    {
    }

    private static final String LIMITS = "Levels against their physical limit (1.00 = at the limit)";
    private static final String PEERS = "tiercache against peers (above 1 = tiercache faster)";

    private static final List<Ratio> RATIOS = List.of(
        new Ratio(LIMITS, "L2 store view + copy to byte[] / MemorySegment.copy off-heap→byte[]",
            "HostStoreBenchmark.copyToArray", Map.of(), "MemoryCopyBenchmark.offHeapToArray", Map.of(), 0.8, 65536),
        new Ratio(LIMITS, "L2 store view + copy to off-heap / MemorySegment.copy off-heap→off-heap",
            "HostStoreBenchmark.copyToOffHeap", Map.of(), "MemoryCopyBenchmark.offHeapToOffHeap", Map.of(), 0.8, 65536),
        new Ratio(LIMITS, "L2 store copy to byte[], 2 threads / MemorySegment.copy, 2 threads",
            "HostStoreBenchmark.copyToArray2Threads", Map.of(), "MemoryCopyBenchmark.offHeapToArray2Threads", Map.of(),
            Double.NaN, 0),
        new Ratio(LIMITS, "tiercache get L2 copy-out / MemorySegment.copy off-heap→byte[]",
            "TierCacheBenchmark.getCopy", Map.of("level", "L2"), "MemoryCopyBenchmark.offHeapToArray", Map.of(), 0.8, 65536),
        new Ratio(LIMITS, "tiercache getInto L2 (allocation-free path) / MemorySegment.copy off-heap→off-heap",
            "TierCacheBenchmark.getInto", Map.of("level", "L2"), "MemoryCopyBenchmark.offHeapToOffHeap", Map.of(), 0.8, 65536),
        new Ratio(LIMITS, "tiercache getInto L3 raw (read straight into the destination) / FileChannel.read (warm)",
            "TierCacheBenchmark.getInto", Map.of("level", "L3"), "FileReadBenchmark.channelRead", Map.of(), 0.6, 0),
        new Ratio(LIMITS, "tiercache get L3 raw copy-out / FileChannel.read (warm)",
            "TierCacheBenchmark.getCopy", Map.of("level", "L3"), "FileReadBenchmark.channelRead", Map.of(), 0.6, 0),
        new Ratio(LIMITS, "tiercache get L3 LZ4 copy-out / FileChannel.read (warm)",
            "TierCacheBenchmark.getCopy", Map.of("level", "L3_LZ4"), "FileReadBenchmark.channelRead", Map.of(),
            Double.NaN, 0),
        new Ratio(LIMITS, "tiercache get L1 (simulated device) copy-out / MemorySegment.copy off-heap→off-heap",
            "TierCacheBenchmark.getCopy", Map.of("level", "L1"), "MemoryCopyBenchmark.offHeapToOffHeap", Map.of(),
            Double.NaN, 0),
        new Ratio(LIMITS, "copy from a mapped file / FileChannel.read (warm)",
            "FileReadBenchmark.mappedCopy", Map.of(), "FileReadBenchmark.channelRead", Map.of(), Double.NaN, 0),
        new Ratio(PEERS, "tiercache L2 copy-out vs Caffeine get + copy",
            "TierCacheBenchmark.getCopy", Map.of("level", "L2"), "CaffeineBenchmark.getCopy", Map.of(), Double.NaN, 0),
        new Ratio(PEERS, "tiercache L2 copy-out vs Ehcache heap get + copy",
            "TierCacheBenchmark.getCopy", Map.of("level", "L2"), "EhcacheBenchmark.getCopy", Map.of("tier", "heap"),
            Double.NaN, 0),
        new Ratio(PEERS, "tiercache L2 copy-out vs Ehcache off-heap get + copy",
            "TierCacheBenchmark.getCopy", Map.of("level", "L2"), "EhcacheBenchmark.getCopy", Map.of("tier", "offheap"),
            10, 1048576),
        new Ratio(PEERS, "tiercache L3 copy-out vs Ehcache disk get + copy",
            "TierCacheBenchmark.getCopy", Map.of("level", "L3"), "EhcacheBenchmark.getCopy", Map.of("tier", "disk"),
            10, 1048576),
        new Ratio(PEERS, "tiercache L2 getInto vs Ehcache off-heap get + copy",
            "TierCacheBenchmark.getInto", Map.of("level", "L2"), "EhcacheBenchmark.getCopy", Map.of("tier", "offheap"),
            10, 1048576),
        new Ratio(PEERS, "tiercache L3 getInto vs Ehcache disk get + copy",
            "TierCacheBenchmark.getInto", Map.of("level", "L3"), "EhcacheBenchmark.getCopy", Map.of("tier", "disk"),
            10, 1048576),
        new Ratio(PEERS, "tiercache L2 view (no copy) vs Ehcache off-heap get (a deserialized copy)",
            "TierCacheBenchmark.getView", Map.of("level", "L2"), "EhcacheBenchmark.getCopy", Map.of("tier", "offheap"),
            Double.NaN, 0),
        new Ratio(PEERS, "tiercache L3 view (read into a lease) vs Ehcache disk get (a deserialized copy)",
            "TierCacheBenchmark.getView", Map.of("level", "L3"), "EhcacheBenchmark.getCopy", Map.of("tier", "disk"),
            Double.NaN, 0),
        new Ratio(PEERS, "L2 store copy-out vs Caffeine get + copy",
            "HostStoreBenchmark.copyToArray", Map.of(), "CaffeineBenchmark.getCopy", Map.of(), Double.NaN, 0),
        new Ratio(PEERS, "L2 store copy-out vs Ehcache heap get + copy",
            "HostStoreBenchmark.copyToArray", Map.of(), "EhcacheBenchmark.getCopy", Map.of("tier", "heap"), Double.NaN, 0),
        new Ratio(PEERS, "L2 store copy-out vs Ehcache off-heap get + copy",
            "HostStoreBenchmark.copyToArray", Map.of(), "EhcacheBenchmark.getCopy", Map.of("tier", "offheap"),
            Double.NaN, 0),
        new Ratio(PEERS, "L2 store copy-out, 2 threads vs Caffeine, 2 threads",
            "HostStoreBenchmark.copyToArray2Threads", Map.of(), "CaffeineBenchmark.getCopy2Threads", Map.of(),
            Double.NaN, 0),
        new Ratio(PEERS, "L2 store copy-out, 2 threads vs Ehcache off-heap, 2 threads",
            "HostStoreBenchmark.copyToArray2Threads", Map.of(), "EhcacheBenchmark.getCopy2Threads",
            Map.of("tier", "offheap"), Double.NaN, 0),
        new Ratio(PEERS, "tiercache L2 copy-out, 2 threads vs Ehcache off-heap, 2 threads",
            "TierCacheBenchmark.getCopy2Threads", Map.of("level", "L2"), "EhcacheBenchmark.getCopy2Threads",
            Map.of("tier", "offheap"), Double.NaN, 0),
        new Ratio(PEERS, "native LZ4 vs lz4-java (decompress)",
            "Lz4Benchmark.decompress", Map.of("codec", "native"), "Lz4Benchmark.decompress", Map.of("codec", "java"),
            Double.NaN, 0),
        new Ratio(PEERS, "native LZ4 vs lz4-java (compress)",
            "Lz4Benchmark.compress", Map.of("codec", "native"), "Lz4Benchmark.compress", Map.of("codec", "java"),
            Double.NaN, 0));

    private static final List<Check> CHECKS = List.of(
        new Check("L2 view hit ≤ 100 ns", "TierCacheBenchmark.getView", Map.of("level", "L2"), Metric.NS_PER_OP, 100, true),
        new Check("L2 view hit 0 B/op", "TierCacheBenchmark.getView", Map.of("level", "L2"), Metric.BYTES_PER_OP, 1, true),
        new Check("L2 view hit, reused handle ≤ 100 ns", "TierCacheBenchmark.getViewReused", Map.of("level", "L2"), Metric.NS_PER_OP, 100,
            true),
        new Check("L2 view hit, reused handle 0 B/op", "TierCacheBenchmark.getViewReused", Map.of("level", "L2"), Metric.BYTES_PER_OP, 1,
            true),
        new Check("L2 getInto 0 B/op", "TierCacheBenchmark.getInto", Map.of("level", "L2"), Metric.BYTES_PER_OP, 1, true),
        new Check("L2 store view ≤ 100 ns (no index)", "HostStoreBenchmark.view", Map.of(), Metric.NS_PER_OP, 100, true),
        new Check("L2 store view 0 B/op (no index)", "HostStoreBenchmark.view", Map.of(), Metric.BYTES_PER_OP, 1, true),
        new Check("index hit ≤ 60 ns at 10^6", "EntryIndexBenchmark.hit", Map.of("entries", "1000000"), Metric.NS_PER_OP,
            60, true),
        new Check("index hit 0 B/op", "EntryIndexBenchmark.hit", Map.of(), Metric.BYTES_PER_OP, 1, true),
        new Check("index miss 0 B/op", "EntryIndexBenchmark.miss", Map.of(), Metric.BYTES_PER_OP, 1, true),
        new Check("native LZ4 decode ≥ 4 GB/s at 1 MiB (image)", "Lz4Benchmark.decompress",
            Map.of("codec", "native", SIZE, "1048576", "data", "image"), Metric.GB_PER_S, 4, false));

    private BenchmarkReport()
    {
    }

    /**
     * Writes the report.
     *
     * @param args see the class comment.
     * @throws IOException when a file cannot be read or written.
     */
    public static void main(final String[] args) throws IOException
    {
        final List<Path> inputs = new ArrayList<>();
        final Map<String, String> options = new LinkedHashMap<>();
        for (int i = 0; i + 1 < args.length; i += 2)
        {
            if (args[i].equals("--in"))
            {
                inputs.add(Path.of(args[i + 1]));
            }
            else
            {
                options.put(args[i].replaceFirst("^--", ""), args[i + 1]);
            }
        }
        if (inputs.isEmpty() || !options.containsKey("out"))
        {
            System.err.println("usage: BenchmarkReport --in results.json [--in more.json] --out report.md"
                + " [--title T] [--cpu MODEL] [--cores N] [--date DAY]");
            System.exit(2);
        }
        final List<Result> results = new ArrayList<>();
        for (final Path input : inputs)
        {
            results.addAll(read(Files.readString(input, StandardCharsets.UTF_8)));
        }
        final String summary = summary(results);
        final String report = header(results, options) + summary + details(results);
        Files.writeString(Path.of(options.get("out")), report, StandardCharsets.UTF_8);
        System.out.print(summary);
    }

    static List<Result> read(final String json)
    {
        final List<Result> results = new ArrayList<>();
        for (final Object item : (List<?>)JsonReader.parse(json))
        {
            final Map<?, ?> row = asMap(item);
            final String full = (String)row.get("benchmark");
            final String[] parts = full.split("\\.");
            final String name = parts[parts.length - 2] + "." + parts[parts.length - 1];
            final Map<String, String> params = new TreeMap<>();
            final Object rawParams = row.get("params");
            if (rawParams != null)
            {
                asMap(rawParams).forEach((key, value) -> params.put(String.valueOf(key), String.valueOf(value)));
            }
            final Map<?, ?> primary = asMap(row.get("primaryMetric"));
            double bytesPerOp = Double.NaN;
            final Object secondary = row.get("secondaryMetrics");
            if (secondary != null)
            {
                final Map<?, ?> metrics = asMap(secondary);
                final Object norm = metrics.containsKey("gc.alloc.rate.norm")
                    ? metrics.get("gc.alloc.rate.norm") : metrics.get("·gc.alloc.rate.norm");
                if (norm != null)
                {
                    bytesPerOp = number(asMap(norm).get("score"));
                }
            }
            results.add(new Result(name, params, (int)number(row.get("threads")), number(primary.get("score")),
                number(primary.get("scoreError")), (String)primary.get("scoreUnit"), bytesPerOp, row));
        }
        return results;
    }

    static String summary(final List<Result> results)
    {
        final StringBuilder sb = new StringBuilder();
        sb.append("## Targets\n\n| target | measured | met |\n|---|---|---|\n");
        int checks = 0;
        for (final Check check : CHECKS)
        {
            for (final Result result : results)
            {
                if (!result.name().equals(check.benchmark()) || !matches(result, check.params()))
                {
                    continue;
                }
                final double value = switch (check.metric())
                {
                    case NS_PER_OP -> result.score();
                    case BYTES_PER_OP -> result.bytesPerOp();
                    case GB_PER_S -> result.gigabytesPerSecond();
                };
                if (Double.isNaN(value))
                {
                    continue;
                }
                final boolean met = check.atMost() ? value <= check.bound() : value >= check.bound();
                sb.append("| ").append(check.label()).append(describe(result, check.params())).append(" | ")
                    .append(format(value)).append(' ').append(check.metric().unit).append(" | ")
                    .append(met ? "yes" : "**no**").append(" |\n");
                checks++;
            }
        }
        if (checks == 0)
        {
            sb.append("| (no benchmark of a target in this run) | | |\n");
        }
        String section = "";
        for (final Ratio ratio : RATIOS)
        {
            for (final Result subject : results)
            {
                if (!subject.name().equals(ratio.subject()) || !matches(subject, ratio.subjectParams()))
                {
                    continue;
                }
                final Result reference = findReference(results, subject, ratio);
                if (reference == null)
                {
                    continue;
                }
                if (!section.equals(ratio.section()))
                {
                    section = ratio.section();
                    sb.append("\n## ").append(section).append("\n\n")
                        .append("| comparison | params | subject | reference | ratio | ± | target |\n")
                        .append("|---|---|---|---|---|---|---|\n");
                }
                final double value = reference.score() / subject.score();
                final long size = subject.param(SIZE) == null ? 0 : Long.parseLong(subject.param(SIZE));
                final String target;
                if (Double.isNaN(ratio.target()) || size < ratio.minSize())
                {
                    target = "";
                }
                else
                {
                    target = "≥ " + format(ratio.target()) + (value >= ratio.target() ? " yes" : " **no**");
                }
                sb.append("| ").append(ratio.label()).append(" | ").append(paramText(subject)).append(" | ")
                    .append(time(subject.score())).append(" | ").append(time(reference.score())).append(" | ")
                    .append(String.format(Locale.ROOT, "%.2f", value)).append(" | ")
                    .append(uncertainty(subject, reference)).append(" | ").append(target).append(" |\n");
            }
        }
        return sb.append('\n').toString();
    }

    /**
     * The ratio's relative uncertainty from the two 99.9 % intervals (added in quadrature), as a
     * percentage; empty when either side ran too few iterations to have one.
     */
    private static String uncertainty(final Result subject, final Result reference)
    {
        final double a = subject.error() / subject.score();
        final double b = reference.error() / reference.score();
        if (Double.isNaN(a) || Double.isNaN(b))
        {
            return "";
        }
        return String.format(Locale.ROOT, "%.0f %%", 100 * Math.sqrt(a * a + b * b));
    }

    private static Result findReference(final List<Result> results, final Result subject, final Ratio ratio)
    {
        for (final Result candidate : results)
        {
            if (!candidate.name().equals(ratio.reference()) || !matches(candidate, ratio.referenceParams()))
            {
                continue;
            }
            boolean shared = true;
            for (final Map.Entry<String, String> entry : subject.params().entrySet())
            {
                final String key = entry.getKey();
                if (ratio.subjectParams().containsKey(key) || ratio.referenceParams().containsKey(key))
                {
                    continue;
                }
                final String other = candidate.param(key);
                if (other != null && !other.equals(entry.getValue()))
                {
                    shared = false;
                    break;
                }
            }
            if (shared)
            {
                return candidate;
            }
        }
        return null;
    }

    private static String header(final List<Result> results, final Map<String, String> options)
    {
        final StringBuilder sb = new StringBuilder();
        sb.append("# tiercache benchmarks: ").append(options.getOrDefault("title", "run"));
        if (options.containsKey("date"))
        {
            sb.append(", ").append(options.get("date"));
        }
        sb.append("\n\n| machine | |\n|---|---|\n");
        sb.append("| CPU | ").append(options.getOrDefault("cpu", "unknown")).append(" |\n");
        sb.append("| cores | ").append(options.getOrDefault("cores", "unknown")).append(" |\n");
        if (options.containsKey("load"))
        {
            sb.append("| load average (1 min) before → after | ").append(options.get("load")).append(" |\n");
        }
        if (!results.isEmpty())
        {
            final Map<?, ?> raw = results.getFirst().raw();
            sb.append("| JDK | ").append(raw.get("jdkVersion")).append(", ").append(raw.get("vmName")).append(' ')
                .append(raw.get("vmVersion")).append(" |\n");
            sb.append("| JMH | ").append(raw.get("jmhVersion")).append("; forks ").append(integer(raw.get("forks")))
                .append(", warmup ").append(integer(raw.get("warmupIterations"))).append(" × ")
                .append(raw.get("warmupTime")).append(", measurement ")
                .append(integer(raw.get("measurementIterations"))).append(" × ").append(raw.get("measurementTime"))
                .append(" |\n");
        }
        sb.append("\nEvery figure is an average time per operation, or derived from one; a ratio compares two ")
            .append("benchmarks of this same run with the same parameters. Values: 64 MiB working set, ")
            .append("shuffled key order (see the benchmarks' Javadoc). The ± of a ratio combines the two ")
            .append("99.9 % intervals; on a machine shared with other work, trust a ratio only as far as that.\n\n");
        return sb.toString();
    }

    private static String details(final List<Result> results)
    {
        final StringBuilder sb = new StringBuilder();
        sb.append("## All results\n\n| benchmark | params | threads | time/op | ± (99.9 %) | GB/s | B/op |\n")
            .append("|---|---|---|---|---|---|---|\n");
        for (final Result result : results)
        {
            final double rate = result.gigabytesPerSecond();
            sb.append("| ").append(result.name()).append(" | ").append(paramText(result)).append(" | ")
                .append(result.threads()).append(" | ").append(time(result.score())).append(" | ")
                .append(Double.isNaN(result.error()) ? "" : time(result.error())).append(" | ")
                .append(Double.isNaN(rate) ? "" : format(rate)).append(" | ")
                .append(Double.isNaN(result.bytesPerOp()) ? "" : format(result.bytesPerOp())).append(" |\n");
        }
        return sb.toString();
    }

    private static boolean matches(final Result result, final Map<String, String> params)
    {
        for (final Map.Entry<String, String> entry : params.entrySet())
        {
            if (!entry.getValue().equals(result.param(entry.getKey())))
            {
                return false;
            }
        }
        return true;
    }

    private static String describe(final Result result, final Map<String, String> fixed)
    {
        final StringBuilder sb = new StringBuilder();
        result.params().forEach((key, value) ->
        {
            if (!fixed.containsKey(key))
            {
                sb.append(sb.isEmpty() ? " (" : ", ").append(key).append('=').append(paramValue(key, value));
            }
        });
        return sb.isEmpty() ? "" : sb.append(')').toString();
    }

    private static String paramText(final Result result)
    {
        final StringBuilder sb = new StringBuilder();
        result.params().forEach((key, value) ->
            sb.append(sb.isEmpty() ? "" : ", ").append(key).append('=').append(paramValue(key, value)));
        return sb.toString();
    }

    private static String paramValue(final String key, final String value)
    {
        if (!key.equals(SIZE))
        {
            return value;
        }
        final long bytes = Long.parseLong(value);
        if (bytes >= 1 << 20 && bytes % (1 << 20) == 0)
        {
            return (bytes >> 20) + " MiB";
        }
        if (bytes >= 1 << 10 && bytes % (1 << 10) == 0)
        {
            return (bytes >> 10) + " KiB";
        }
        return bytes + " B";
    }

    static String time(final double nanos)
    {
        if (Double.isNaN(nanos))
        {
            return "";
        }
        if (nanos < 1_000)
        {
            return format(nanos) + " ns";
        }
        if (nanos < 1_000_000)
        {
            return format(nanos / 1_000) + " µs";
        }
        return format(nanos / 1_000_000) + " ms";
    }

    static String format(final double value)
    {
        final double magnitude = Math.abs(value);
        if (magnitude >= 100 || magnitude == 0)
        {
            return String.format(Locale.ROOT, "%.0f", value);
        }
        if (magnitude >= 10)
        {
            return String.format(Locale.ROOT, "%.1f", value);
        }
        if (magnitude >= 0.01)
        {
            return String.format(Locale.ROOT, "%.2f", value);
        }
        return String.format(Locale.ROOT, "%.1e", value);
    }

    private static String integer(final Object value)
    {
        return String.valueOf((long)number(value));
    }

    private static double number(final Object value)
    {
        if (value instanceof Double d)
        {
            return d;
        }
        if (value instanceof String s)
        {
            return Double.parseDouble(s);
        }
        return Double.NaN;
    }

    private static Map<?, ?> asMap(final Object value)
    {
        return (Map<?, ?>)value;
    }
}
