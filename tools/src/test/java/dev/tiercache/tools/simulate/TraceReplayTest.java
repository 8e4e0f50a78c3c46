package dev.tiercache.tools.simulate;

import dev.tiercache.policy.EvictionPolicies;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Replays the public traces (folder in system property {@code tiercache.traces}; skipped when absent):
 * the library's LRU and FIFO must hit exactly as often as an independent {@link LinkedHashMap}
 * implementation, and Belady's optimum at least as often as every policy.
 */
class TraceReplayTest
{
    private static final int ARC_PREFIX = 400_000;

    private static final List<Trace> TRACES = new ArrayList<>();
    private static String skipReason;

    @BeforeAll
    static void readTraces() throws IOException
    {
        final String folder = System.getProperty("tiercache.traces");
        if (folder == null || !Files.isDirectory(Path.of(folder)))
        {
            skipReason = "public traces not found (system property tiercache.traces=" + folder + "); trace replays skipped";
            return;
        }
        final List<Trace> traces = TRACES;
        try (Stream<Path> files = Files.list(Path.of(folder, "lirs")))
        {
            for (final Path file : files.filter(f -> f.toString().endsWith(".trace.gz")).sorted().toList())
            {
                traces.add(TraceReader.read(file, TraceFormat.LIRS, Integer.MAX_VALUE));
            }
        }
        final Path arc = Path.of(folder, "arc", "P3.lis.gz");
        if (Files.exists(arc))
        {
            traces.add(TraceReader.read(arc, TraceFormat.ARC, ARC_PREFIX));
        }
        final Path web = Path.of(folder, "cache2k", "web07.trace.gz");
        if (Files.exists(web))
        {
            traces.add(TraceReader.read(web, TraceFormat.CACHE2K, Integer.MAX_VALUE));
        }
        if (traces.isEmpty())
        {
            skipReason = "no traces in " + folder;
        }
    }

    @BeforeEach
    void requireTraces()
    {
        Assumptions.assumeTrue(skipReason == null, skipReason);
    }

    @Test
    void lruAndFifo_matchIndependentReference_exactly()
    {
        for (final Trace trace : TRACES)
        {
            for (final double fraction : new double[] {0.01, 0.1, 0.3})
            {
                final int capacity = Math.max(1, (int)(trace.distinctKeys() * fraction));
                assertEquals(reference(trace, capacity, true), PolicySimulator.run(trace, "lru", capacity).hits(),
                    trace.name() + " lru capacity=" + capacity);
                assertEquals(reference(trace, capacity, false), PolicySimulator.run(trace, "fifo", capacity).hits(),
                    trace.name() + " fifo capacity=" + capacity);
            }
        }
    }

    @Test
    void optimum_isAtLeastEveryPolicy()
    {
        for (final Trace trace : TRACES)
        {
            final int capacity = Math.max(1, trace.distinctKeys() / 10);
            final long optimum = OptimalPolicySimulator.run(trace, capacity).hits();
            for (final String policy : EvictionPolicies.names())
            {
                final long hits = PolicySimulator.run(trace, policy, capacity).hits();
                assertTrue(hits <= optimum, trace.name() + " " + policy + "=" + hits + " > opt=" + optimum);
            }
        }
    }

    private static long reference(final Trace trace, final int capacity, final boolean accessOrder)
    {
        final Map<Long, Boolean> cache = new LinkedHashMap<>(capacity * 2, 0.75f, accessOrder)
        {
            private static final long serialVersionUID = 1L;

            @Override
            protected boolean removeEldestEntry(final Map.Entry<Long, Boolean> eldest)
            {
                return size() > capacity;
            }
        };
        long hits = 0;
        for (int i = 0; i < trace.length(); i++)
        {
            final long key = trace.key(i);
            if (cache.get(key) != null)
            {
                hits++;
            }
            else
            {
                cache.put(key, Boolean.TRUE);
            }
        }
        return hits;
    }
}
