package dev.tiercache;

import dev.tiercache.store.EntryHeaderDescriptor;
import dev.tiercache.store.FileHeaderDescriptor;
import dev.tiercache.store.FileRegionDescriptor;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.TreeMap;

/**
 * Flips bytes in the stored payload of a live entry of a {@link TierCache}'s L3 file while the
 * cache has it open, as a bad disk block or a stray write would: through a second mapping of the
 * file, which shares the page cache with the store's own mapping.
 *
 * <p>Entries are found by walking the regions the way the store's scan does (region header, then
 * entry headers up to the write limit, of the region's generation); {@code FileStore.inspect}
 * cannot be used because it refuses a file that is open in this process. Of the entries of one
 * key only the newest counts, and removed ones are skipped.
 *
 * <h2>Concurrency</h2>
 * A read of an LZ4 entry checks the stored checksum before it decompresses from the mapping, so
 * bytes flipped between the two would reach the caller through no fault of the cache. The
 * corruption therefore runs while the file store holds its exclusive lock
 * ({@code TierCache.runWithFileExclusive}), when no read, append or removal runs.
 *
 * <p>The channel stays open until {@link #close()}, which the caller runs after closing the cache:
 * closing a descriptor of the file drops every POSIX lock this process holds on it, the store's
 * included.
 */
final class L3FileCorrupter implements AutoCloseable
{
    private final Path path;
    private FileChannel channel;

    /**
     * What was corrupted.
     *
     * @param modelKey   the model's name of the entry's key ({@code 5} or {@code "k5"}).
     * @param location   the entry's location.
     * @param flipped    bytes changed.
     * @param compressed whether the entry is stored LZ4.
     */
    record Corruption(String modelKey, long location, int flipped, boolean compressed)
    {
    }

    L3FileCorrupter(final Path path)
    {
        this.path = path;
    }

    /**
     * Corrupts the newest live entry of {@code preferredKey} if the file has one, else one picked
     * by {@code pick} among the newest live entries of every key.
     *
     * @param cache        the cache that has the file open.
     * @param preferredKey key bytes as the cache stores them.
     * @param pick         seeds the choice of entry and of the bytes flipped.
     * @return what was corrupted, or null when the file holds no live entry.
     */
    Corruption corrupt(final TierCache cache, final byte[] preferredKey, final long pick)
    {
        final Corruption[] result = new Corruption[1];
        cache.runWithFileExclusive(() -> result[0] = corruptLocked(MemorySegment.ofArray(preferredKey), pick, false));
        return result[0];
    }

    private Corruption corruptLocked(final MemorySegment preferredKey, final long pick, final boolean rawOnly)
    {
        try
        {
            if (channel == null)
            {
                channel = FileChannel.open(path, StandardOpenOption.READ, StandardOpenOption.WRITE);
            }
            try (Arena arena = Arena.ofConfined())
            {
                final MemorySegment file = channel.map(FileChannel.MapMode.READ_WRITE, 0, channel.size(), arena);
                final TreeMap<String, long[]> newest = liveEntries(file, rawOnly);
                if (newest.isEmpty())
                {
                    return null;
                }
                long[] target = null;
                for (final long[] entry : newest.values())
                {
                    if (key(file, entry[0]).mismatch(preferredKey) == -1)
                    {
                        target = entry;
                    }
                }
                if (target == null)
                {
                    final List<long[]> all = new ArrayList<>(newest.values());
                    target = all.get(Math.floorMod(pick, all.size()));
                }
                final long location = target[0];
                final long stored = location + EntryHeaderDescriptor.storedOffset(
                    EntryHeaderDescriptor.keyLength(file, location), EntryHeaderDescriptor.metaLength(file, location));
                final long storedLength = EntryHeaderDescriptor.storedLength(file, location);
                final SplittableRandom random = new SplittableRandom(pick);
                final int flips = 1 + random.nextInt(3);
                for (int i = 0; i < flips; i++)
                {
                    final long at = stored + random.nextLong(storedLength);
                    file.set(ValueLayout.JAVA_BYTE, at, (byte) (file.get(ValueLayout.JAVA_BYTE, at) ^ (1 + random.nextInt(255))));
                }
                return new Corruption(modelKey(key(file, location)), location, flips,
                    EntryHeaderDescriptor.codecId(file, location) != EntryHeaderDescriptor.RAW_CODEC_ID);
            }
        }
        catch (final IOException ex)
        {
            throw new UncheckedIOException(ex);
        }
    }

    /**
     * The newest live entry of each key: model key name to {location, sequence}.
     */
    private static TreeMap<String, long[]> liveEntries(final MemorySegment file, final boolean rawOnly)
    {
        final TreeMap<String, long[]> newest = new TreeMap<>();
        final long regionSize = FileHeaderDescriptor.regionSize(file);
        final int regionCount = FileHeaderDescriptor.regionCount(file);
        final long regionsOffset = FileHeaderDescriptor.regionsOffset(file);
        for (int region = 0; region < regionCount; region++)
        {
            final long base = regionsOffset + region * regionSize;
            if (base + regionSize > file.byteSize() || FileRegionDescriptor.check(file, base, regionSize) != FileRegionDescriptor.VALID)
            {
                continue;
            }
            final long generation = FileRegionDescriptor.sequence(file, base);
            final long end = base + FileRegionDescriptor.writeLimit(file, base);
            long position = base + FileRegionDescriptor.LENGTH;
            while (position < end && EntryHeaderDescriptor.check(file, position, end) == EntryHeaderDescriptor.VALID &&
                EntryHeaderDescriptor.regionSequence(file, position) == generation)
            {
                final long sequence = EntryHeaderDescriptor.sequence(file, position);
                final boolean eligible = !EntryHeaderDescriptor.isRemoved(file, position) &&
                    EntryHeaderDescriptor.storedLength(file, position) > 0 &&
                    (!rawOnly || EntryHeaderDescriptor.codecId(file, position) == EntryHeaderDescriptor.RAW_CODEC_ID);
                if (eligible)
                {
                    final String key = modelKey(key(file, position));
                    final long[] previous = newest.get(key);
                    if (previous == null || previous[1] < sequence)
                    {
                        newest.put(key, new long[] {position, sequence});
                    }
                }
                position += EntryHeaderDescriptor.entryLength(EntryHeaderDescriptor.keyLength(file, position),
                    EntryHeaderDescriptor.metaLength(file, position), EntryHeaderDescriptor.storedLength(file, position));
            }
        }
        return newest;
    }

    private static MemorySegment key(final MemorySegment file, final long location)
    {
        return file.asSlice(location + EntryHeaderDescriptor.LENGTH, EntryHeaderDescriptor.keyLength(file, location));
    }

    /**
     * The key bytes of a {@code long} key, as {@code TierCache.put(long, ...)} stores them.
     *
     * @param key the key.
     * @return 8 bytes in native order.
     */
    static byte[] longKeyBytes(final long key)
    {
        final byte[] bytes = new byte[Long.BYTES];
        MemorySegment.ofArray(bytes).set(ValueLayout.JAVA_LONG_UNALIGNED, 0, key);
        return bytes;
    }

    /**
     * The model's name of a stored key: a long key is 8 bytes, the model's String keys ("k0" to
     * "k11") are shorter.
     */
    private static String modelKey(final MemorySegment key)
    {
        if (key.byteSize() == Long.BYTES)
        {
            return Long.toString(key.get(ValueLayout.JAVA_LONG_UNALIGNED, 0));
        }
        return "\"" + new String(key.toArray(ValueLayout.JAVA_BYTE), StandardCharsets.UTF_8) + "\"";
    }

    @Override
    public void close()
    {
        if (channel != null)
        {
            try
            {
                channel.close();
            }
            catch (final IOException ex)
            {
                throw new UncheckedIOException(ex);
            }
            channel = null;
        }
    }
}
