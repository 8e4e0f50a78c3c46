package dev.tiercache.store;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.file.Path;
import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * Rough throughput figures of the file store against a plain memory copy, warm page cache, 1 MiB
 * raw entries; not JMH. Skipped unless {@code -Dtiercache.measure=true}:
 * {@code ./mvnw -B -q -pl cache -am verify -Dtest=FileStoreMeasurement -Dsurefire.failIfNoSpecifiedTests=false -Dtiercache.measure=true}
 */
class FileStoreMeasurement
{
    private static final int ENTRY = 1 << 20;
    private static final int ENTRIES = 192;

    @TempDir
    Path dir;

    @Test
    void appendReadAndRecoverThroughput()
    {
        assumeTrue(Boolean.getBoolean("tiercache.measure"), "measurement; run with -Dtiercache.measure=true");
        final FileStoreConfig config = FileStoreConfig.builder(dir.resolve("measure.bin"))
            .regionSizeBytes(64L << 20).regionCount(4).build();
        try (Arena arena = Arena.ofConfined())
        {
            final MemorySegment value = arena.allocate(ENTRY, 64);
            final SplittableRandom random = new SplittableRandom(1);
            for (long i = 0; i < ENTRY; i += 8)
            {
                value.set(ValueLayout.JAVA_LONG, i, random.nextLong());
            }
            final MemorySegment dst = arena.allocate(ENTRY, 64);
            final MemorySegment key = arena.allocate(16);
            final long[] locations = new long[ENTRIES];
            try (FileStore store = FileStore.open(config))
            {
                for (int round = 0; round < 3; round++)
                {
                    final long appendStart = System.nanoTime();
                    for (int i = 0; i < ENTRIES; i++)
                    {
                        locations[i] = store.append(i, key, MemorySegment.NULL, value, null);
                    }
                    final long appendNanos = System.nanoTime() - appendStart;
                    final long readStart = System.nanoTime();
                    for (int i = 0; i < ENTRIES; i++)
                    {
                        store.read(locations[i], dst);
                    }
                    final long readNanos = System.nanoTime() - readStart;
                    final long copyStart = System.nanoTime();
                    for (int i = 0; i < ENTRIES; i++)
                    {
                        MemorySegment.copy(value, 0, dst, 0, ENTRY);
                    }
                    final long copyNanos = System.nanoTime() - copyStart;
                    System.out.printf("round %d: append %.2f GB/s, read (CRC32C + copy) %.2f GB/s, MemorySegment.copy %.2f GB/s%n",
                        round, gbps(appendNanos), gbps(readNanos), gbps(copyNanos));
                }
            }
            final long openStart = System.nanoTime();
            try (FileStore store = FileStore.open(config))
            {
                final long openNanos = System.nanoTime() - openStart;
                System.out.printf("reopen with payload verification: %d entries in %.1f ms, %.2f GB/s%n",
                    store.recover().size(), openNanos / 1e6, store.stats().liveStoredBytes() / (double)openNanos);
            }
        }
    }

    private static double gbps(final long nanos)
    {
        return (double)ENTRY * ENTRIES / nanos;
    }
}
