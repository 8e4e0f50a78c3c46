package dev.tiercache;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

/**
 * The fixed cost per entry: builds a cache for {@code maxEntries} entries, fills it with 8-byte
 * entries under {@code long} keys, one part each, and reports what the bookkeeping holds (index
 * slots and key table, meta records, heap for the policies) per potential and per held entry, the
 * policies' and buffers' heap structure by structure as they count it from their arrays
 * ({@code TierCache.heapBytes()}; the JVM's heap reading also holds the stores', the index's and
 * the slot table's arrays, the classes' statics and the collector's rounding), and
 * the process's resident memory (from {@code /proc/self/statm}) at each step, so that what a
 * large {@code maxEntries} reserves up front shows as resident bytes, not only as counters. A
 * measurement, not a test:
 * <pre>
 * ./mvnw -B -q test-compile -pl cache -am
 * java --enable-native-access=ALL-UNNAMED -Dtiercache.cudart=none -Xmx4g -cp "cache/target/classes:cache/target/test-classes:bindings/target/classes:&lt;agrona jar&gt;:&lt;lz4-java jar&gt;" \
 *   dev.tiercache.FootprintMeasurement [maxEntries] [entries to put] [ttl]
 * </pre>
 * With {@code ttl} the entries expire after an hour, so each slot also stores an expiry in its
 * extension part (decision record 0035).
 */
public final class FootprintMeasurement
{
    private FootprintMeasurement()
    {
    }

    public static void main(final String[] args) throws IOException
    {
        final int maxEntries = args.length > 0 ? Integer.parseInt(args[0]) : 1_000_000;
        final int entries = args.length > 1 ? Integer.parseInt(args[1]) : maxEntries;
        final boolean ttl = args.length > 2 && "ttl".equals(args[2]);
        final long heapBefore = heapUsed();
        final long rssBefore = residentBytes();
        final TierCache.Builder builder = TierCache.builder().useGpu(false).hostBytes(128L << 20).maxEntries(maxEntries);
        if (ttl)
        {
            builder.ttl(java.time.Duration.ofHours(1));
        }
        try (TierCache cache = builder.build();
             Arena arena = Arena.ofConfined())
        {
            final long rssBuilt = residentBytes();
            final long[] empty = cache.bookkeepingBytes();
            final Map<String, Long> heapPartsEmpty = cache.heapBytes();
            final long heapEmpty = heapUsed() - heapBefore;
            final MemorySegment value = arena.allocate(8);
            for (int key = 0; key < entries; key++)
            {
                value.set(ValueLayout.JAVA_LONG_UNALIGNED, 0, key);
                cache.put(key, value);
            }
            final long[] full = cache.bookkeepingBytes();
            final Map<String, Long> heapPartsFull = cache.heapBytes();
            final long heapFull = heapUsed() - heapBefore;
            final long rssFull = residentBytes();
            final int held = cache.size();
            System.out.printf("entries held: %d (of maxEntries %d)%n", held, maxEntries);
            System.out.printf("index (slots + key table) in use: %d bytes = %.1f B per held entry, of which slot extensions %.1f B; address space reserved %d bytes = %.1f B per potential entry%n",
                full[0], (double) full[0] / held, (double) full[4] / held, full[3], (double) full[3] / maxEntries);
            System.out.printf("meta arena reserved: %d bytes = %.1f B per potential entry; used %d bytes = %.1f B per held entry%n",
                full[1], (double) full[1] / maxEntries, full[2], (double) full[2] / held);
            System.out.printf("heap (policies, buffers): %.1f B per potential entry when empty, %.1f B per held entry when full%n",
                (double) heapEmpty / maxEntries, (double) heapFull / held);
            System.out.printf("heap by structure (policies, buffers; not the stores, the index or the slot table), counted from array lengths:%n");
            for (final Map.Entry<String, Long> part : heapPartsFull.entrySet())
            {
                final long before = heapPartsEmpty.getOrDefault(part.getKey(), 0L);
                System.out.printf("  %-28s %,12d bytes = %5.2f B per held entry when full (%,12d bytes = %5.2f B per potential entry after build)%n",
                    part.getKey(), part.getValue(), (double) part.getValue() / held, before, (double) before / maxEntries);
            }
            final long accountedFull = HeapAccount.total(heapPartsFull);
            final long accountedEmpty = HeapAccount.total(heapPartsEmpty);
            System.out.printf("  %-28s %,12d bytes = %5.2f B per held entry when full (%,12d bytes = %5.2f B per potential entry after build)%n",
                "total", accountedFull, (double) accountedFull / held, accountedEmpty, (double) accountedEmpty / maxEntries);
            System.out.printf("fixed cost per held entry (index + meta used + heap): %.1f B%n",
                (double) (full[0] + full[2] + heapFull) / held);
            System.out.printf("resident memory: build() added %.1f MiB (%.1f B per potential entry; index in use then %d bytes); filling added %.1f MiB more%n",
                (rssBuilt - rssBefore) / 1048576.0, (double) (rssBuilt - rssBefore) / maxEntries, empty[0], (rssFull - rssBuilt) / 1048576.0);
        }
    }

    private static long residentBytes() throws IOException
    {
        final Path statm = Path.of("/proc/self/statm");
        if (!Files.isReadable(statm))
        {
            return 0;
        }
        final String[] fields = Files.readString(statm).trim().split(" ");
        return Long.parseLong(fields[1]) * dev.tiercache.libc.Libc.pageSize();
    }

    private static long heapUsed()
    {
        System.gc();
        System.gc();
        return ManagementFactory.getMemoryMXBean().getHeapMemoryUsage().getUsed();
    }
}
