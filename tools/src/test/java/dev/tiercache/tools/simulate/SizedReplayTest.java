package dev.tiercache.tools.simulate;

import dev.tiercache.policy.EvictionPolicies;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * A byte-sized replay in which every request has the same size must hit exactly as the same
 * trace replayed in entries at the capacity that holds as many entries, for every policy: a level
 * bounded by bytes sizes its policy by the entries it holds, not by the trace's key count or the
 * index's slots.
 */
class SizedReplayTest
{
    private static final long ENTRY_BYTES = 4096;

    @Test
    void uniformSizes_replayAsEntryCounts_forEveryPolicy_onSeededTraces()
    {
        final long seed = Long.getLong("tiercache.seed", new SplittableRandom().nextLong());
        final SplittableRandom random = new SplittableRandom(seed);
        for (int c = 0; c < 12; c++)
        {
            final int keySpace = 2_000 + random.nextInt(60_000);
            final long[] keys = new long[40_000 + random.nextInt(40_000)];
            final double skew = 0.5 + random.nextDouble();
            for (int i = 0; i < keys.length; i++)
            {
                // a power-law popularity over a key space much larger than the cache
                keys[i] = (long)(keySpace * Math.pow(random.nextDouble(), 1 + skew * 3)) * 0x9E37_79B9L;
            }
            final int capacity = 20 + random.nextInt(Math.max(1, keySpace / 20));
            assertSameHits(new Trace("seeded-" + c, keys, null), capacity, "seed=" + seed + " case=" + c);
        }
    }

    @Test
    void uniformSizes_replayAsEntryCounts_forEveryPolicy_onPublicTraces() throws IOException
    {
        final String folder = System.getProperty("tiercache.traces");
        final Path web = folder == null ? null : Path.of(folder, "cache2k", "web07.trace.gz");
        final Path arc = folder == null ? null : Path.of(folder, "arc", "P3.lis.gz");
        Assumptions.assumeTrue(web != null && Files.exists(web) && Files.exists(arc),
            "public traces not found (system property tiercache.traces=" + folder + "); skipped");
        final Trace webTrace = TraceReader.read(web, TraceFormat.CACHE2K, Integer.MAX_VALUE);
        final Trace arcTrace = TraceReader.read(arc, TraceFormat.ARC, 300_000);
        for (final int capacity : new int[] {1000, 2000})
        {
            assertSameHits(webTrace, capacity, "web07");
            assertSameHits(arcTrace, capacity, "P3");
        }
    }

    private static void assertSameHits(final Trace byEntries, final int capacity, final String what)
    {
        final long[] keys = new long[byEntries.length()];
        for (int i = 0; i < keys.length; i++)
        {
            keys[i] = byEntries.key(i);
        }
        final long[] sizes = new long[keys.length];
        Arrays.fill(sizes, ENTRY_BYTES);
        final Trace byBytes = new Trace(byEntries.name() + "-sized", keys, sizes);
        for (final String policy : EvictionPolicies.names())
        {
            final SimulationResult entries = PolicySimulator.run(byEntries, policy, capacity);
            final SimulationResult bytes = PolicySimulator.run(byBytes, policy, capacity * ENTRY_BYTES);
            assertEquals(entries.hits(), bytes.hits(),
                what + " " + policy + " capacity=" + capacity + " entries (" + capacity * ENTRY_BYTES + " B): hits by entries="
                    + entries.hits() + ", by bytes=" + bytes.hits() + " of " + entries.requests());
        }
        assertEquals(OptimalPolicySimulator.run(byEntries, capacity).hits(), OptimalPolicySimulator.run(byBytes, capacity * ENTRY_BYTES).hits(),
            what + " opt capacity=" + capacity);
    }
}
