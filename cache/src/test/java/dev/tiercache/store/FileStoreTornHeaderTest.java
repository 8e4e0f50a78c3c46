package dev.tiercache.store;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;

import static dev.tiercache.store.FileHeaderDescriptor.INT;
import static dev.tiercache.store.FileHeaderDescriptor.LONG;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A kill while a region header is updated must not cost the region's entries. The header is
 * rewritten after every append (its write limit) and when the region is sealed; a process killed
 * in the middle of that leaves a header that fails its checksum. Here every state the update's
 * stores can be cut at is written into a closed file by hand, and reopening must recover every
 * entry the header covered before the update (and the appended one when the new limit made it in),
 * repair the header, and count it; a header damaged any other way still loses its region
 * ({@code L3HeaderSweepTest}).
 */
class FileStoreTornHeaderTest
{
    private static final long REGION = 64 * 1024;

    @TempDir
    Path dir;

    @Test
    void aKillDuringTheWriteLimitUpdate_losesNoEntry()
    {
        for (int cut = 0; cut <= 2; cut++)
        {
            final Path path = dir.resolve("append-" + cut + ".bin");
            final FileStoreConfig config = FileStoreConfig.builder(path).regionSizeBytes(REGION).regionCount(4).build();
            final List<Long> locations = fill(config, 5);
            final long base = FileScan.regionBase(0, REGION);
            final long last = locations.getLast() - base;
            final int tornCut = cut;
            patch(path, file ->
            {
                // the header as it was before the last append's update: limit at the last entry's start
                final long newLimit = FileRegionDescriptor.writeLimit(file, base);
                file.set(LONG, base + FileRegionDescriptor.WRITE_LIMIT_OFFSET, last);
                file.set(INT, base + FileRegionDescriptor.CHECKSUM_OFFSET, Crc32c.of(file, base, FileRegionDescriptor.CHECKSUM_OFFSET));
                // then the update's stores, cut after `tornCut` of them: the limit, then the checksum
                if (tornCut >= 1)
                {
                    file.set(LONG, base + FileRegionDescriptor.WRITE_LIMIT_OFFSET, newLimit);
                }
                if (tornCut >= 2)
                {
                    file.set(INT, base + FileRegionDescriptor.CHECKSUM_OFFSET, Crc32c.of(file, base, FileRegionDescriptor.CHECKSUM_OFFSET));
                }
            });
            final Set<Long> expected = new TreeSet<>(locations);
            if (cut == 0)
            {
                expected.remove(locations.getLast());
            }
            try (FileStore store = FileStore.open(config))
            {
                assertEquals(expected, recovered(store), "cut after " + cut + " of the update's stores");
                assertEquals(0, store.stats().corruptRegionsSkipped(), "cut after " + cut);
                assertEquals(cut == 1 ? 1 : 0, store.tornHeadersRepaired(), "cut after " + cut);
            }
            try (FileStore store = FileStore.open(config))
            {
                assertEquals(expected, recovered(store), "cut after " + cut + ", reopened after the repair");
                assertEquals(0, store.tornHeadersRepaired(), "the repair was written: cut after " + cut);
            }
        }
    }

    @Test
    void aKillDuringTheSeal_losesNoEntry()
    {
        final Path path = dir.resolve("seal.bin");
        final FileStoreConfig config = FileStoreConfig.builder(path).regionSizeBytes(REGION).regionCount(4).build();
        // 600-byte values: about a hundred fill region 0, so 150 seal it and go on in region 1
        final List<Long> locations = fill(config, 150);
        final long base = FileScan.regionBase(0, REGION);
        assertTrue(locations.getLast() >= base + REGION, "the appends reached region 1");
        patch(path, file ->
        {
            assertEquals(FileRegionDescriptor.STATE_SEALED, FileRegionDescriptor.state(file, base));
            // the seal's first store made, its checksum not: the checksum is the active header's
            file.set(INT, base + FileRegionDescriptor.STATE_OFFSET, FileRegionDescriptor.STATE_ACTIVE);
            file.set(INT, base + FileRegionDescriptor.CHECKSUM_OFFSET, Crc32c.of(file, base, FileRegionDescriptor.CHECKSUM_OFFSET));
            file.set(INT, base + FileRegionDescriptor.STATE_OFFSET, FileRegionDescriptor.STATE_SEALED);
        });
        try (FileStore store = FileStore.open(config))
        {
            assertEquals(new TreeSet<>(locations), recovered(store));
            assertEquals(0, store.stats().corruptRegionsSkipped());
            assertEquals(1, store.tornHeadersRepaired());
        }
    }

    @Test
    void aHeaderDamagedOtherwise_stillLosesItsRegion()
    {
        final Path path = dir.resolve("damaged.bin");
        final FileStoreConfig config = FileStoreConfig.builder(path).regionSizeBytes(REGION).regionCount(4).build();
        fill(config, 5);
        final long base = FileScan.regionBase(0, REGION);
        patch(path, file -> file.set(LONG, base + FileRegionDescriptor.WRITE_LIMIT_OFFSET,
            FileRegionDescriptor.writeLimit(file, base) - 8));
        try (FileStore store = FileStore.open(config))
        {
            assertEquals(Set.of(), recovered(store), "a write limit that no update wrote is not trusted");
            assertEquals(1, store.stats().corruptRegionsSkipped());
            assertEquals(0, store.tornHeadersRepaired());
        }
    }

    private static List<Long> fill(final FileStoreConfig config, final int entries)
    {
        final List<Long> locations = new ArrayList<>();
        try (FileStore store = FileStore.open(config))
        {
            for (int i = 0; i < entries; i++)
            {
                final byte[] value = new byte[600];
                java.util.Arrays.fill(value, (byte) i);
                locations.add(store.append(1000L + i, MemorySegment.ofArray(new byte[] {(byte) i, 1}), MemorySegment.ofArray(new byte[8]),
                    MemorySegment.ofArray(value), null));
            }
        }
        return locations;
    }

    private static Set<Long> recovered(final FileStore store)
    {
        final Set<Long> locations = new TreeSet<>();
        for (final RecoveredEntry entry : store.recover())
        {
            locations.add(entry.location());
        }
        return locations;
    }

    private static void patch(final Path path, final java.util.function.Consumer<MemorySegment> edit)
    {
        try (Arena arena = Arena.ofConfined();
             FileChannel channel = FileChannel.open(path, StandardOpenOption.READ, StandardOpenOption.WRITE))
        {
            edit.accept(channel.map(FileChannel.MapMode.READ_WRITE, 0, channel.size(), arena));
        }
        catch (final IOException ex)
        {
            throw new java.io.UncheckedIOException(ex);
        }
    }
}
