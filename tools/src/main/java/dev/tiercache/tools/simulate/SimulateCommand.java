package dev.tiercache.tools.simulate;

import dev.tiercache.SettingsUnits;
import dev.tiercache.policy.EvictionPolicies;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;

/**
 * {@code tiercache simulate}: replays a trace file or a generated workload through the library's
 * eviction policies (and Belady's offline optimum) at one or more capacities and prints requests,
 * hits, misses and hit ratio for each pair, as a table or as JSON.
 */
@Command(
    name = "simulate",
    mixinStandardHelpOptions = true,
    description = "Replay a cache trace through the eviction policies and print hit ratios.")
public final class SimulateCommand implements Callable<Integer>
{
    /** Exit code: the trace could not be read. */
    public static final int EXIT_IO = 1;

    @Spec
    CommandSpec spec;

    @Option(names = "--trace", description = "Trace file (plain or gzip).")
    Path trace;

    @Option(names = "--workload", description = "Generated workload: epochs:N,E,SEED.")
    String workload;

    @Option(names = "--format", defaultValue = "lirs", description = "Trace format: lirs, arc, csv, cache2k (default: ${DEFAULT-VALUE}).")
    String format;

    @Option(names = "--policy", split = ",", defaultValue = "lru,fifo,wtinylfu,default,opt",
        description = "Policies, comma-separated: the library's, caffeine (Caffeine's own cache) and opt (default: ${DEFAULT-VALUE}).")
    List<String> policies;

    @Option(names = "--capacity", split = ",", required = true,
        description = "Capacities, comma-separated: entries (bytes for csv), N%% of the trace's distinct keys (footprint for csv), "
            + "or for csv a size with a unit (512MiB, 4GB, 100KiB: binary units).")
    List<String> capacities;

    @Option(names = "--limit", defaultValue = "2147483647", description = "Replay at most this many requests.")
    int limit;

    @Option(names = "--json", description = "Print JSON instead of a table.")
    boolean json;

    @Override
    public Integer call()
    {
        final PrintWriter out = spec.commandLine().getOut();
        final PrintWriter err = spec.commandLine().getErr();
        if ((trace == null) == (workload == null))
        {
            throw new ParameterException(spec.commandLine(), "give exactly one of --trace and --workload");
        }
        for (final String policy : policies)
        {
            if (!OptimalPolicySimulator.NAME.equals(policy) && !CaffeineSimulator.NAME.equals(policy)
                && !EvictionPolicies.names().contains(policy))
            {
                throw new ParameterException(spec.commandLine(), "policy=" + policy + " is not one of " + EvictionPolicies.names()
                    + ", " + CaffeineSimulator.NAME + " or " + OptimalPolicySimulator.NAME);
            }
        }
        if (limit < 1)
        {
            throw new ParameterException(spec.commandLine(), "limit=" + limit + " < 1");
        }

        final Trace requests;
        try
        {
            requests = trace != null ? TraceReader.read(trace, TraceFormat.of(format), limit) : EpochsWorkload.parse(workload).generate().prefix(limit);
        }
        catch (final IllegalArgumentException ex)
        {
            throw new ParameterException(spec.commandLine(), ex.getMessage(), ex);
        }
        catch (final IOException ex)
        {
            err.println("tiercache simulate: cannot read trace: " + ex.getMessage());
            err.flush();
            return EXIT_IO;
        }

        final List<Long> sizes = new ArrayList<>();
        for (final String capacity : capacities)
        {
            sizes.add(parseCapacity(capacity, requests));
        }

        final List<SimulationResult> results = new ArrayList<>();
        for (final long capacity : sizes)
        {
            for (final String policy : policies)
            {
                final long start = System.nanoTime();
                final SimulationResult result = switch (policy)
                {
                    case OptimalPolicySimulator.NAME -> OptimalPolicySimulator.run(requests, capacity);
                    case CaffeineSimulator.NAME -> CaffeineSimulator.run(requests, capacity);
                    default -> PolicySimulator.run(requests, policy, capacity);
                };
                results.add(result);
                err.printf(Locale.ROOT, "simulate: %s %s capacity=%d: %.2f%% in %.1f s%n",
                    requests.name(), policy, capacity, 100 * result.hitRatio(), (System.nanoTime() - start) / 1e9);
                err.flush();
            }
        }
        if (json)
        {
            printJson(out, requests, results);
        }
        else
        {
            printTable(out, requests, results);
        }
        out.flush();
        return 0;
    }

    private long parseCapacity(final String text, final Trace requests)
    {
        final String value = text.strip();
        final long capacity;
        try
        {
            if (value.endsWith("%"))
            {
                final double percent = Double.parseDouble(value.substring(0, value.length() - 1));
                capacity = Math.round(requests.footprint() * percent / 100);
            }
            else if (!value.isEmpty() && Character.isLetter(value.charAt(value.length() - 1)))
            {
                if (!requests.isSized())
                {
                    throw new ParameterException(spec.commandLine(), "capacity=" + text + " is a size in bytes, but trace "
                        + requests.name() + " counts entries: give a number of entries or N%");
                }
                capacity = SettingsUnits.parseBytes(value);
            }
            else
            {
                capacity = Long.parseLong(value);
            }
        }
        catch (final IllegalArgumentException ex)
        {
            throw new ParameterException(spec.commandLine(),
                "capacity=" + text + " is neither a number, N% nor a size (" + ex.getMessage() + ")", ex);
        }
        if (capacity < 1)
        {
            throw new ParameterException(spec.commandLine(), "capacity=" + text + " is below 1 entry");
        }
        return capacity;
    }

    private static void printTable(final PrintWriter out, final Trace trace, final List<SimulationResult> results)
    {
        out.printf(Locale.ROOT, "trace %s: %d requests, %d distinct keys%n", trace.name(), trace.length(), trace.distinctKeys());
        final boolean sized = trace.isSized();
        out.printf(Locale.ROOT, "%-10s %14s %12s %12s %12s %9s%s%n",
            "policy", sized ? "capacity(B)" : "capacity", "requests", "hits", "misses", "hit%", sized ? "     byte-hit%" : "");
        for (final SimulationResult r : results)
        {
            out.printf(Locale.ROOT, "%-10s %14d %12d %12d %12d %9.3f%s%n",
                r.policy(), r.capacity(), r.requests(), r.hits(), r.misses(), 100 * r.hitRatio(),
                sized ? String.format(Locale.ROOT, " %14.3f", 100 * r.byteHitRatio()) : "");
        }
    }

    private static void printJson(final PrintWriter out, final Trace trace, final List<SimulationResult> results)
    {
        out.printf(Locale.ROOT, "{\"trace\":\"%s\",\"requests\":%d,\"distinctKeys\":%d,\"sized\":%b,\"results\":[",
            escape(trace.name()), trace.length(), trace.distinctKeys(), trace.isSized());
        for (int i = 0; i < results.size(); i++)
        {
            final SimulationResult r = results.get(i);
            out.printf(Locale.ROOT,
                "%s{\"policy\":\"%s\",\"capacity\":%d,\"requests\":%d,\"hits\":%d,\"misses\":%d,\"hitRatio\":%.6f,"
                    + "\"requestedBytes\":%d,\"hitBytes\":%d,\"byteHitRatio\":%.6f}",
                i == 0 ? "" : ",", escape(r.policy()), r.capacity(), r.requests(), r.hits(), r.misses(), r.hitRatio(),
                r.requestedBytes(), r.hitBytes(), r.byteHitRatio());
        }
        out.println("]}");
    }

    private static String escape(final String text)
    {
        return text.replace("\\", "\\\\").replace("\"", "\\\"");
    }
}
