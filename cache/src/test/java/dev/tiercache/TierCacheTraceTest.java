package dev.tiercache;

import dev.tiercache.cuda.CudaLibrary;
import dev.tiercache.cuda.sim.SimulatedCuda;
import dev.tiercache.cuda.sim.SimulatedDeviceProfile;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.zip.GZIPInputStream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * LRU exactness through the whole cache: public LIRS traces replayed as get-or-put through a
 * TierCache with one level (L2, LRU, no GPU, no file) give exactly the hits of a plain
 * {@link LinkedHashMap} LRU of the same capacity. Traces are read from the folder in the system
 * property {@code tiercache.traces}; the test is skipped, saying so, where it is absent.
 */
class TierCacheTraceTest
{
    private static final long VALUE_BYTES = 64;

    @ParameterizedTest
    @CsvSource({"loop.trace.gz, 100", "loop.trace.gz, 1000", "2_pools.trace.gz, 500", "cpp.trace.gz, 200", "sprite.trace.gz, 300",
        "zigzag.trace.gz, 400", "cs.trace.gz, 250", "ps.trace.gz, 800"})
    void lruLevel_hitsExactlyAsAReferenceLru(final String trace, final int capacity) throws IOException
    {
        final Path folder = Path.of(System.getProperty("tiercache.traces", "../shared/traces"), "lirs");
        final Path file = folder.resolve(trace);
        assumeTrue(Files.isReadable(file), () -> "skipped: trace " + file + " is not here (the public traces folder is absent)");
        CudaLibrary.location();
        SimulatedCuda.current().reset(SimulatedDeviceProfile.MX250);

        final Map<Long, Boolean> reference = new LinkedHashMap<>(capacity * 2, 0.75f, true);
        long referenceHits = 0;
        long cacheHits = 0;
        long requests = 0;
        final MemorySegment value = Arena.ofAuto().allocate(VALUE_BYTES);
        try (TierCache cache = TierCache.builder()
            .useGpu(false)
            .hostBytes(capacity * VALUE_BYTES)
            .hostPolicy("lru")
            .maxEntries(capacity + 1)
            .evictionThresholds(1.0, 1.0)
            .demoteAfterIdle(java.time.Duration.ZERO)
            .build();
             BufferedReader reader = new BufferedReader(new InputStreamReader(new GZIPInputStream(Files.newInputStream(file)),
                 StandardCharsets.US_ASCII)))
        {
            for (String line = reader.readLine(); line != null; line = reader.readLine())
            {
                final String token = line.strip();
                if (token.isEmpty() || token.startsWith("*"))
                {
                    continue;
                }
                final long key = Long.parseLong(token);
                requests++;
                if (reference.get(key) != null)
                {
                    referenceHits++;
                }
                else
                {
                    reference.put(key, Boolean.TRUE);
                    if (reference.size() > capacity)
                    {
                        reference.remove(reference.keySet().iterator().next());
                    }
                }
                try (EntryHandle handle = cache.get(key))
                {
                    if (handle != null)
                    {
                        cacheHits++;
                    }
                }
                if (!cache.contains(key))
                {
                    cache.put(key, value);
                }
            }
            System.out.println(trace + " capacity=" + capacity + " requests=" + requests + " hits=" + cacheHits + " reference=" + referenceHits);
            assertEquals(referenceHits, cacheHits, trace + " at capacity " + capacity);
            assertEquals(cacheHits, cache.stats().hits());
        }
    }
}
