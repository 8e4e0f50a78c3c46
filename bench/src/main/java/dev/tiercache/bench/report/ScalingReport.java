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
import java.util.Objects;
import java.util.TreeSet;

/**
 * Merges the JMH JSON files of one {@code bench/scaling.sh} run (one file per thread count, the
 * interference pair, the view latency) into one JSON array and writes the Markdown report: the
 * key figures, L2 {@code getInto} beside its peers and the copy limit at every thread count, and
 * every throughput with its scaling ratio.
 *
 * <p>The scaling ratio of a benchmark is {@code throughput(N) / throughput(1)} with the same
 * parameters (1.00: no gain from more threads; N: perfect scaling); tiercache against a peer is
 * {@code tiercache throughput / peer throughput} at the same thread count (above 1 = tiercache
 * faster). The ± of a figure is JMH's 99.9 % interval relative to the score.
 *
 * <p>Usage: {@code java -cp benchmarks.jar dev.tiercache.bench.report.ScalingReport --in t1.json
 * [--in more.json] --json merged.json --out report.md --title T --cpu MODEL --cores N --date DAY
 * [--load "A → B"] [--note TEXT]}. The key figures are printed to standard output as well.
 */
public final class ScalingReport
{
    private static final String CLASS = "ScalingBenchmark.";
    private static final String SIZE = "size";
    private static final String THROUGHPUT = "thrpt";

    /** One JMH result row, or one method of a group. */
    record Row(String name, String size, int threads, String mode, double score, double error, String unit)
    {
        double relativeError()
        {
            return error / score;
        }
    }

    private ScalingReport()
    {
    }

    /**
     * Writes the merged JSON and the report.
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
            final String key = args[i].replaceFirst("^--", "");
            if (key.equals("in"))
            {
                inputs.add(Path.of(args[i + 1]));
            }
            else
            {
                options.put(key, args[i + 1]);
            }
        }
        if (inputs.isEmpty() || !options.containsKey("out"))
        {
            throw new IllegalArgumentException("usage: --in results.json [--in more.json] [--json merged.json] --out report.md");
        }
        final List<String> bodies = new ArrayList<>();
        final List<Row> rows = new ArrayList<>();
        Map<?, ?> first = null;
        for (final Path input : inputs)
        {
            // JMH records the path of the java it forked; the report names the JDK by version only.
            final String json = Files.readString(input, StandardCharsets.UTF_8).replaceAll("\"jvm\" : \".*\"", "\"jvm\" : \"java\"");
            final List<?> items = (List<?>)JsonReader.parse(json);
            if (items.isEmpty())
            {
                continue;
            }
            final String trimmed = json.strip();
            bodies.add(trimmed.substring(1, trimmed.length() - 1).strip());
            for (final Object item : items)
            {
                final Map<?, ?> row = (Map<?, ?>)item;
                first = first == null ? row : first;
                rows.addAll(read(row));
            }
        }
        if (options.containsKey("json"))
        {
            Files.writeString(Path.of(options.get("json")), "[\n    " + String.join(",\n    ", bodies) + "\n]\n", StandardCharsets.UTF_8);
        }
        final String key = keyFigures(rows);
        final String report = header(first, options) + key + peers(rows) + everything(rows);
        Files.writeString(Path.of(options.get("out")), report, StandardCharsets.UTF_8);
        System.out.print(key);
    }

    private static List<Row> read(final Map<?, ?> row)
    {
        final String full = (String)row.get("benchmark");
        final String[] parts = full.split("\\.");
        final String name = parts[parts.length - 2] + "." + parts[parts.length - 1];
        final Object params = row.get("params");
        final String size = params == null ? null : (String)((Map<?, ?>)params).get(SIZE);
        final int threads = (int)number(row.get("threads"));
        final String mode = (String)row.get("mode");
        final List<Row> rows = new ArrayList<>();
        rows.add(row(name, size, threads, mode, (Map<?, ?>)row.get("primaryMetric")));
        final Object secondary = row.get("secondaryMetrics");
        if (secondary != null)
        {
            // a @Group's methods: the secondary metrics named after them
            for (final Map.Entry<?, ?> entry : ((Map<?, ?>)secondary).entrySet())
            {
                final String metric = String.valueOf(entry.getKey());
                if (!metric.contains(".") && !metric.startsWith("·"))
                {
                    rows.add(row(name + ":" + metric, size, threads, mode, (Map<?, ?>)entry.getValue()));
                }
            }
        }
        return rows;
    }

    private static Row row(final String name, final String size, final int threads, final String mode, final Map<?, ?> metric)
    {
        return new Row(name, size, threads, mode, number(metric.get("score")), number(metric.get("scoreError")),
            (String)metric.get("scoreUnit"));
    }

    private static Row find(final List<Row> rows, final String name, final String size, final int threads, final String mode)
    {
        for (final Row row : rows)
        {
            if (row.name().equals(name) && Objects.equals(row.size(), size) && row.threads() == threads
                && row.mode().equals(mode))
            {
                return row;
            }
        }
        return null;
    }

    private static String keyFigures(final List<Row> rows)
    {
        final StringBuilder sb = new StringBuilder("## Key figures\n\n| figure | value | from |\n|---|---|---|\n");
        for (final String size : sizes(rows))
        {
            final String at = " (size=" + sizeText(size) + ")";
            final String scaled = "1→2 threads";
            line(sb, "L2 getInto scaling, " + scaled + at, scaling(rows, CLASS + "l2GetInto", size, 2),
                "throughput(2) / throughput(1)");
            line(sb, "Caffeine get + copy scaling, " + scaled + at, scaling(rows, CLASS + "caffeineGetCopy", size, 2), "");
            line(sb, "ConcurrentHashMap get + copy scaling, " + scaled + at, scaling(rows, CLASS + "mapGetCopy", size, 2), "");
            line(sb, "MemorySegment.copy scaling, " + scaled + at, scaling(rows, CLASS + "copyBaseline", size, 2), "");
            line(sb, "L2 getInto / MemorySegment.copy, 1 thread" + at,
                ratio(find(rows, CLASS + "l2GetInto", size, 1, THROUGHPUT), find(rows, CLASS + "copyBaseline", size, 1, THROUGHPUT)),
                "1.00 = at the memory's limit");
            line(sb, "L2 getInto / Caffeine get + copy, 1 thread" + at,
                ratio(find(rows, CLASS + "l2GetInto", size, 1, THROUGHPUT), find(rows, CLASS + "caffeineGetCopy", size, 1, THROUGHPUT)),
                "above 1 = tiercache faster");
        }
        line(sb, "L2 reads kept while L3 streams", ratio(find(rows, "InterferenceBenchmark.whileL3Streams:l2Read", null, 2, THROUGHPUT),
            find(rows, "InterferenceBenchmark.l2ReadAlone", null, 1, THROUGHPUT)), "l2Read beside l3Stream / l2ReadAlone");
        final Row stream = find(rows, "InterferenceBenchmark.whileL3Streams:l3Stream", null, 2, THROUGHPUT);
        if (stream != null)
        {
            sb.append("| L3 1 MiB reads/s beside the L2 reader | ").append(rate(stream)).append(" | ")
                .append(BenchmarkReport.format(stream.score() * (1 << 20) / 1e9)).append(" GB/s |\n");
        }
        for (final Row row : rows)
        {
            if (row.name().equals(CLASS + "l2View") && row.mode().equals("avgt"))
            {
                sb.append("| L2 view hit, reused handle, 1 thread (size=").append(sizeText(row.size())).append(") | ")
                    .append(BenchmarkReport.format(row.score())).append(' ').append(row.unit()).append(errorText(row))
                    .append(" | Mode.AverageTime |\n");
            }
        }
        return sb.append('\n').toString();
    }

    private static void line(final StringBuilder sb, final String label, final double[] value, final String from)
    {
        if (value != null)
        {
            sb.append("| ").append(label).append(" | ").append(String.format(Locale.ROOT, "%.2f", value[0]))
                .append(value[1] > 0 ? String.format(Locale.ROOT, " ±%.0f %%", 100 * value[1]) : "").append(" | ")
                .append(from).append(" |\n");
        }
    }

    /** {@code a / b} and its relative uncertainty (the two intervals in quadrature), or null. */
    private static double[] ratio(final Row a, final Row b)
    {
        if (a == null || b == null)
        {
            return null;
        }
        final double ea = a.relativeError();
        final double eb = b.relativeError();
        final double error = Double.isNaN(ea) || Double.isNaN(eb) ? 0 : Math.sqrt(ea * ea + eb * eb);
        return new double[] {a.score() / b.score(), error};
    }

    private static double[] scaling(final List<Row> rows, final String name, final String size, final int threads)
    {
        return ratio(find(rows, name, size, threads, THROUGHPUT), find(rows, name, size, 1, THROUGHPUT));
    }

    private static String peers(final List<Row> rows)
    {
        final StringBuilder sb = new StringBuilder();
        for (final String size : sizes(rows))
        {
            sb.append("## L2 getInto beside its peers and the copy limit, size=").append(sizeText(size)).append("\n\n")
                .append("Throughput in ops/s, (×) = scaling ratio throughput(N) / throughput(1); the last three columns are ")
                .append("tiercache's throughput over the other's at the same thread count.\n\n")
                .append("| threads | tiercache getInto | (×) | Caffeine get + copy | (×) | CHM get + copy | (×) | ")
                .append("MemorySegment.copy | (×) | tiercache / Caffeine | tiercache / CHM | tiercache / copy |\n")
                .append("|---|---|---|---|---|---|---|---|---|---|---|---|\n");
            final String[] names = {"l2GetInto", "caffeineGetCopy", "mapGetCopy", "copyBaseline"};
            for (final int threads : threadCounts(rows))
            {
                sb.append("| ").append(threads);
                for (final String name : names)
                {
                    final Row row = find(rows, CLASS + name, size, threads, THROUGHPUT);
                    sb.append(" | ").append(row == null ? "" : rate(row) + errorText(row))
                        .append(" | ").append(ratioText(scaling(rows, CLASS + name, size, threads)));
                }
                final Row subject = find(rows, CLASS + names[0], size, threads, THROUGHPUT);
                for (int i = 1; i < names.length; i++)
                {
                    sb.append(" | ").append(ratioText(ratio(subject, find(rows, CLASS + names[i], size, threads, THROUGHPUT))));
                }
                sb.append(" |\n");
            }
            sb.append('\n');
        }
        return sb.toString();
    }

    private static String everything(final List<Row> rows)
    {
        final List<Integer> counts = threadCounts(rows);
        final StringBuilder sb = new StringBuilder("## Every throughput, by thread count\n\n")
            .append("ops/s ±99.9 % interval, (×) = scaling ratio throughput(N) / throughput(1). ")
            .append("Group rows (name:method) ran their own thread layout, one thread per method.\n\n| benchmark | size |");
        for (final int threads : counts)
        {
            sb.append(' ').append(threads).append(threads == 1 ? " thread |" : " threads |");
        }
        sb.append("\n|---|---|").append("---|".repeat(counts.size())).append('\n');
        final TreeSet<String> seen = new TreeSet<>();
        for (final Row row : rows)
        {
            if (!row.mode().equals(THROUGHPUT) || !seen.add(row.name() + "|" + row.size()))
            {
                continue;
            }
            sb.append("| ").append(row.name()).append(" | ").append(row.size() == null ? "" : sizeText(row.size())).append(" |");
            for (final int threads : counts)
            {
                final Row at = find(rows, row.name(), row.size(), threads, THROUGHPUT);
                sb.append(' ');
                if (at != null)
                {
                    sb.append(rate(at)).append(errorText(at));
                    final double[] scaled = scaling(rows, row.name(), row.size(), threads);
                    if (threads != 1 && scaled != null)
                    {
                        sb.append(" (×").append(String.format(Locale.ROOT, "%.2f", scaled[0])).append(')');
                    }
                }
                sb.append(" |");
            }
            sb.append('\n');
        }
        return sb.toString();
    }

    private static String header(final Map<?, ?> raw, final Map<String, String> options)
    {
        final StringBuilder sb = new StringBuilder("# tiercache thread scaling: ")
            .append(options.getOrDefault("title", "run"));
        if (options.containsKey("date"))
        {
            sb.append(", ").append(options.get("date"));
        }
        sb.append("\n\n| machine | |\n|---|---|\n")
            .append("| CPU | ").append(options.getOrDefault("cpu", "unknown")).append(" |\n")
            .append("| cores | ").append(options.getOrDefault("cores", "unknown")).append(" |\n");
        if (options.containsKey("load"))
        {
            sb.append("| load average (1 min) before → after | ").append(options.get("load")).append(" |\n");
        }
        if (raw != null)
        {
            sb.append("| JDK | ").append(raw.get("jdkVersion")).append(", ").append(raw.get("vmName")).append(' ')
                .append(raw.get("vmVersion")).append(" |\n")
                .append("| JMH | ").append(raw.get("jmhVersion")).append("; forks ").append((long)number(raw.get("forks")))
                .append(", warmup ").append((long)number(raw.get("warmupIterations"))).append(" × ").append(raw.get("warmupTime"))
                .append(", measurement ").append((long)number(raw.get("measurementIterations"))).append(" × ")
                .append(raw.get("measurementTime")).append(" |\n");
        }
        sb.append('\n');
        if (options.containsKey("note"))
        {
            sb.append(options.get("note")).append("\n\n");
        }
        sb.append("Workload: 64 MiB working sets of image values, every key resident, shuffled key order, each thread ")
            .append("its own start in it and its own off-heap destination; L3 entries raw (compression off) with warm ")
            .append("pages (see ScalingBenchmark's and InterferenceBenchmark's Javadoc). Each thread count is its own JMH ")
            .append("run (`-t N`); every ratio compares results of this one script run.\n\n");
        return sb.toString();
    }

    private static List<String> sizes(final List<Row> rows)
    {
        final TreeSet<Integer> sizes = new TreeSet<>();
        for (final Row row : rows)
        {
            if (row.name().startsWith(CLASS) && row.size() != null)
            {
                sizes.add(Integer.parseInt(row.size()));
            }
        }
        return sizes.stream().map(String::valueOf).toList();
    }

    private static List<Integer> threadCounts(final List<Row> rows)
    {
        final TreeSet<Integer> counts = new TreeSet<>();
        for (final Row row : rows)
        {
            if (row.name().startsWith(CLASS) && row.mode().equals(THROUGHPUT))
            {
                counts.add(row.threads());
            }
        }
        return List.copyOf(counts);
    }

    private static String ratioText(final double[] value)
    {
        return value == null ? "" : String.format(Locale.ROOT, "%.2f", value[0]);
    }

    private static String errorText(final Row row)
    {
        final double relative = row.relativeError();
        return Double.isNaN(relative) ? "" : String.format(Locale.ROOT, " ±%.0f %%", 100 * relative);
    }

    private static String rate(final Row row)
    {
        final double score = row.score();
        if (score >= 1e6)
        {
            return BenchmarkReport.format(score / 1e6) + " M";
        }
        if (score >= 1e3)
        {
            return BenchmarkReport.format(score / 1e3) + " k";
        }
        return BenchmarkReport.format(score);
    }

    private static String sizeText(final String size)
    {
        final long bytes = Long.parseLong(size);
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
}
