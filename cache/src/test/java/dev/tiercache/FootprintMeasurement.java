package dev.tiercache;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.management.ManagementFactory;

/**
 * The fixed cost per entry: fills a cache with a million 8-byte entries under {@code long} keys,
 * one part each, and reports what the bookkeeping holds (index slots and key table, meta records,
 * heap for the policies) per potential and per held entry. A measurement, not a test:
 * <pre>
 * ./mvnw -B -q test-compile -pl cache -am
 * java --enable-native-access=ALL-UNNAMED -Dtiercache.cudart=none -cp "cache/target/classes:cache/target/test-classes:$(cat cache/target/classpath.txt)" dev.tiercache.FootprintMeasurement
 * </pre>
 */
public final class FootprintMeasurement
{
    private FootprintMeasurement()
    {
    }

    public static void main(final String[] args)
    {
        final int entries = args.length > 0 ? Integer.parseInt(args[0]) : 1_000_000;
        final long heapBefore = heapUsed();
        try (TierCache cache = TierCache.builder().useGpu(false).hostBytes(128L << 20).maxEntries(entries).build();
             Arena arena = Arena.ofConfined())
        {
            final long[] empty = cache.bookkeepingBytes();
            final long heapEmpty = heapUsed() - heapBefore;
            final MemorySegment value = arena.allocate(8);
            for (int key = 0; key < entries; key++)
            {
                value.set(java.lang.foreign.ValueLayout.JAVA_LONG_UNALIGNED, 0, key);
                cache.put(key, value);
            }
            final long[] full = cache.bookkeepingBytes();
            final long heapFull = heapUsed() - heapBefore;
            System.out.printf("entries held: %d (of maxEntries %d)%n", cache.size(), entries);
            System.out.printf("index (slots + key table): %d bytes = %.1f B per potential entry%n", full[0], (double) full[0] / entries);
            System.out.printf("meta arena reserved: %d bytes = %.1f B per potential entry; used %d bytes = %.1f B per held entry%n",
                full[1], (double) full[1] / entries, full[2], (double) full[2] / cache.size());
            System.out.printf("heap (policies, buffers): %.1f B per potential entry when empty, %.1f B per held entry when full%n",
                (double) heapEmpty / entries, (double) heapFull / cache.size());
            System.out.printf("fixed cost per held entry (index + meta used + heap): %.1f B; reserved up front: %.1f B per potential entry%n",
                (double) (full[0] + full[2] + heapFull) / cache.size(), (double) (empty[0] + empty[1] + heapEmpty) / entries);
        }
    }

    private static long heapUsed()
    {
        System.gc();
        System.gc();
        return ManagementFactory.getMemoryMXBean().getHeapMemoryUsage().getUsed();
    }
}
