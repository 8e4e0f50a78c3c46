package dev.tiercache.store;

import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.function.LongPredicate;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A deterministic sweep over the L3 file's headers: every bit of every field of the file header
 * (each copy alone, then both), of a region header and of the entry headers of a raw, a
 * compressed and a removed entry is flipped, one at a time, and the file is truncated at the start
 * and the middle of every one of those fields. Each damage must be detected, counted and skipped:
 * the store opens (or, when no header copy verifies, is refused with a message naming the file),
 * recovers every other entry byte for byte, counts the bad entry or region, and {@code verify}
 * reports what reopening recovers.
 *
 * <p>The file is {@link L3FuzzInput}'s template: 4 regions of 8 KiB that went round the ring.
 * Expectations come from a model of recovery ({@link #expected}): of the entries the damage
 * leaves, per key the one with the highest sequence, unless it is removed.
 *
 * <p>Each flip costs a verify and an open (about 15 ms on 2 cores), so by default two bits of every
 * header byte are flipped (bits {@code b} and {@code b + 4}, {@code b} turning with the byte);
 * CRC32C catches every single-bit error, so the other six behave alike. {@code
 * -Dtiercache.sweep.allBits=true} flips all eight.
 */
class L3HeaderSweepTest
{
    private static final boolean ALL_BITS = Boolean.getBoolean("tiercache.sweep.allBits");

    private static byte[] template;
    /** Entries of every region's current generation, removed and superseded ones included. */
    private static List<Long> current;
    /** The CRC32C of each current entry's value, decoded from the template by this test. */
    private static Map<Long, Integer> fingerprints;
    /** What an intact open recovers, by the model: per key the newest entry, unless it is removed. */
    private static Set<Long> live;

    @TempDir
    Path dir;

    @BeforeAll
    static void readTemplate() throws IOException
    {
        template = L3FuzzInput.templateBytes();
        current = currentEntries(template);
        fingerprints = fingerprints(template, current);
        live = expected(location -> true);
        assertTrue(live.size() > 20 && current.size() > live.size(), "the template holds live and replaced entries: " + live.size() +
            " of " + current.size());
        final Path dir = Files.createTempDirectory("l3-sweep");
        final Path file = dir.resolve("intact.bin");
        Files.write(file, template);
        assertRecovers(file, live, 0, 0, "the intact template");
        Files.delete(file);
        Files.delete(dir);
    }

    @Test
    void everyBitOfOneFileHeaderCopy_opensFromTheOther() throws IOException
    {
        final Path file = dir.resolve("file-header.bin");
        int flips = 0;
        for (final int copy : new int[] {FileHeaderDescriptor.PRIMARY_OFFSET, FileHeaderDescriptor.MIRROR_OFFSET})
        {
            for (final int bit : bits(FileHeaderDescriptor.LENGTH))
            {
                final byte[] bytes = template.clone();
                flip(bytes, copy + bit / 8, bit % 8);
                Files.write(file, bytes);
                final String what = "bit " + bit % 8 + " of byte " + bit / 8 + " of the header copy at " + copy;
                assertRecovers(file, live, 0, 0, what);
                final byte[] repaired = Files.readAllBytes(file);
                assertEquals(Arrays.toString(Arrays.copyOfRange(template, copy, copy + FileHeaderDescriptor.LENGTH)),
                    Arrays.toString(Arrays.copyOfRange(repaired, copy, copy + FileHeaderDescriptor.LENGTH)), "repaired: " + what);
                flips++;
            }
        }
        assertEquals(2 * bits(FileHeaderDescriptor.LENGTH).length, flips);
    }

    @Test
    void sameBitOfBothFileHeaderCopies_isRefusedNamingTheFile() throws IOException
    {
        final Path file = dir.resolve("both-headers.bin");
        for (final int bit : bits(FileHeaderDescriptor.LENGTH))
        {
            final byte[] bytes = template.clone();
            flip(bytes, FileHeaderDescriptor.PRIMARY_OFFSET + bit / 8, bit % 8);
            flip(bytes, FileHeaderDescriptor.MIRROR_OFFSET + bit / 8, bit % 8);
            Files.write(file, bytes);
            final String what = "bit " + bit % 8 + " of byte " + bit / 8 + " of both header copies";
            final boolean inMagic = bit / 8 < Long.BYTES;
            for (final FileStoreException ex : List.of(
                assertThrows(FileStoreException.class, () -> FileStore.open(L3FuzzInput.config(file, true)).close(), what),
                assertThrows(FileStoreException.class, () -> FileStore.verify(file), what)))
            {
                assertTrue(ex.getMessage().contains(file.toString()), what + ": " + ex.getMessage());
                assertTrue(ex.getMessage().contains(inMagic ? "is not a tiercache file store" : "neither copy verifies"),
                    what + ": " + ex.getMessage());
            }
            assertEquals(Arrays.toString(bytes), Arrays.toString(Files.readAllBytes(file)), "a refused file is left as it was: " + what);
        }
    }

    @Test
    void everyBitOfARegionHeader_losesThatRegionOnly() throws IOException
    {
        final Path file = dir.resolve("region-header.bin");
        for (int region = 0; region < L3FuzzInput.REGION_COUNT; region++)
        {
            final long base = FileScan.regionBase(region, L3FuzzInput.REGION_SIZE_BYTES);
            final Set<Long> others = expected(location -> location < base || location >= base + L3FuzzInput.REGION_SIZE_BYTES);
            assertTrue(!others.containsAll(live), "region " + region + " holds live entries");
            for (final int bit : bits(FileRegionDescriptor.LENGTH))
            {
                final byte[] bytes = template.clone();
                flip(bytes, base + bit / 8, bit % 8);
                Files.write(file, bytes);
                assertRecovers(file, others, 0, 1, "bit " + bit % 8 + " of byte " + bit / 8 + " of region " + region + "'s header");
            }
        }
    }

    @Test
    void everyBitOfAnEntryHeader_skipsThatEntryOnly() throws IOException
    {
        final Path file = dir.resolve("entry-header.bin");
        final List<Long> victims = victims();
        for (final long victim : victims)
        {
            final Set<Long> others = expected(location -> location != victim);
            for (final int bit : bits(EntryHeaderDescriptor.LENGTH))
            {
                final byte[] bytes = template.clone();
                flip(bytes, victim + bit / 8, bit % 8);
                Files.write(file, bytes);
                assertRecovers(file, others, 1, 0, "bit " + bit % 8 + " of byte " + bit / 8 + " of the entry header at " + victim);
            }
        }
    }

    @Test
    void truncationAtEveryHeaderField_opensWithWhatPrecedesTheCut() throws IOException
    {
        final Path file = dir.resolve("truncated.bin");
        final List<Long> cuts = new ArrayList<>();
        for (final int copy : new int[] {FileHeaderDescriptor.PRIMARY_OFFSET, FileHeaderDescriptor.MIRROR_OFFSET})
        {
            addFieldCuts(cuts, copy, new int[] {FileHeaderDescriptor.MAGIC_OFFSET, FileHeaderDescriptor.VERSION_OFFSET,
                FileHeaderDescriptor.REGIONS_OFFSET_OFFSET, FileHeaderDescriptor.REGION_SIZE_OFFSET, FileHeaderDescriptor.REGION_COUNT_OFFSET,
                FileHeaderDescriptor.FLAGS_OFFSET, FileHeaderDescriptor.CREATED_MILLIS_OFFSET, FileHeaderDescriptor.CHECKSUM_OFFSET,
                FileHeaderDescriptor.LENGTH});
        }
        for (int region = 0; region < L3FuzzInput.REGION_COUNT; region++)
        {
            addFieldCuts(cuts, FileScan.regionBase(region, L3FuzzInput.REGION_SIZE_BYTES), new int[] {FileRegionDescriptor.MAGIC_OFFSET,
                FileRegionDescriptor.STATE_OFFSET, FileRegionDescriptor.SEQUENCE_OFFSET, FileRegionDescriptor.WRITE_LIMIT_OFFSET,
                FileRegionDescriptor.CHECKSUM_OFFSET, FileRegionDescriptor.LENGTH});
        }
        for (final long victim : victims())
        {
            addFieldCuts(cuts, victim, new int[] {EntryHeaderDescriptor.MAGIC_OFFSET, EntryHeaderDescriptor.FLAGS_OFFSET,
                EntryHeaderDescriptor.CODEC_ID_OFFSET, EntryHeaderDescriptor.KEY_LENGTH_OFFSET, EntryHeaderDescriptor.META_LENGTH_OFFSET,
                EntryHeaderDescriptor.RAW_LENGTH_OFFSET, EntryHeaderDescriptor.STORED_LENGTH_OFFSET, EntryHeaderDescriptor.SEQUENCE_OFFSET,
                EntryHeaderDescriptor.KEY_HASH_OFFSET, EntryHeaderDescriptor.REGION_SEQUENCE_OFFSET,
                EntryHeaderDescriptor.PAYLOAD_CHECKSUM_OFFSET, EntryHeaderDescriptor.HEADER_CHECKSUM_OFFSET, EntryHeaderDescriptor.LENGTH});
        }
        final MemorySegment intact = MemorySegment.ofArray(template);
        for (final long cut : cuts)
        {
            Files.write(file, Arrays.copyOf(template, (int)cut));
            final String what = "cut at " + cut;
            if (cut < FileHeaderDescriptor.LENGTH)
            {
                final FileStoreException ex = assertThrows(FileStoreException.class, () -> FileStore.open(L3FuzzInput.config(file, true)));
                assertTrue(ex.getMessage().contains(file.toString()) && ex.getMessage().contains("not a tiercache file store"),
                    what + ": " + ex.getMessage());
                continue;
            }
            // an entry survives when its bytes precede the cut; its trailing padding does not matter
            final Set<Long> expected = expected(location -> payloadEnd(intact, location) <= cut);
            final FileStoreReport report = FileStore.verify(file);
            assertEquals(expected.size(), report.liveEntries(), "verify: " + what);
            try (FileStore store = FileStore.open(L3FuzzInput.config(file, true)); Arena arena = Arena.ofConfined())
            {
                assertEquals(cut, store.truncatedLengthAtOpen(), what);
                final Set<Long> recovered = new TreeSet<>();
                for (final RecoveredEntry entry : store.recover())
                {
                    recovered.add(entry.location());
                    assertValue(store, arena, entry.location(), what);
                }
                assertEquals(expected, recovered, what);
                if (cutsAWrittenRegion(cut))
                {
                    assertTrue(store.stats().corruptEntriesSkipped() >= 1, what + ": the cut entry is counted");
                }
            }
        }
    }

    /** Opens the file and checks that exactly {@code expected} are recovered, intact, with the given counts. */
    private static void assertRecovers(
        final Path file, final Set<Long> expected, final long badEntries, final long badRegions, final String what)
    {
        final FileStoreReport report = FileStore.verify(file);
        assertEquals(expected.size(), report.liveEntries(), "verify: " + what);
        assertEquals(badEntries + badRegions, report.badEntries().size(), "verify lists the damage: " + what + " " + report.badEntries());
        try (FileStore store = FileStore.open(L3FuzzInput.config(file, true)); Arena arena = Arena.ofConfined())
        {
            final Set<Long> recovered = new TreeSet<>();
            for (final RecoveredEntry entry : store.recover())
            {
                recovered.add(entry.location());
                assertValue(store, arena, entry.location(), what);
            }
            assertEquals(expected, recovered, what);
            assertEquals(badEntries, store.stats().corruptEntriesSkipped(), "bad entries counted: " + what);
            assertEquals(badRegions, store.stats().corruptRegionsSkipped(), "bad regions counted: " + what);
        }
    }

    private static void assertValue(final FileStore store, final Arena arena, final long location, final String what)
    {
        final Integer fingerprint = fingerprints.get(location);
        assertTrue(fingerprint != null, what + ": recovered " + location + ", not an entry of the file");
        final MemorySegment dst = arena.allocate(Math.max(1, store.rawLength(location)));
        final long read = store.read(location, dst);
        assertEquals(store.rawLength(location), read, what + ": read at " + location);
        assertEquals(fingerprint.intValue(), Crc32c.of(dst, 0, read), what + ": bytes at " + location);
    }

    /** The model of recovery: of the available entries, per key the newest, unless that one is removed. */
    private static Set<Long> expected(final LongPredicate available)
    {
        final MemorySegment file = MemorySegment.ofArray(template);
        final Map<String, Long> newest = new HashMap<>();
        for (final long location : current)
        {
            if (!available.test(location))
            {
                continue;
            }
            final String key = Arrays.toString(file.asSlice(location + EntryHeaderDescriptor.LENGTH,
                EntryHeaderDescriptor.keyLength(file, location)).toArray(ValueLayout.JAVA_BYTE));
            final Long other = newest.get(key);
            if (other == null || EntryHeaderDescriptor.sequence(file, other) < EntryHeaderDescriptor.sequence(file, location))
            {
                newest.put(key, location);
            }
        }
        final Set<Long> result = new TreeSet<>(newest.values());
        result.removeIf(location -> EntryHeaderDescriptor.isRemoved(file, location));
        return result;
    }

    private static long payloadEnd(final MemorySegment file, final long location)
    {
        return location + EntryHeaderDescriptor.storedOffset(EntryHeaderDescriptor.keyLength(file, location),
            EntryHeaderDescriptor.metaLength(file, location)) + EntryHeaderDescriptor.storedLength(file, location);
    }

    /** A raw, a compressed and a removed entry, each with a key that has no other version in the file. */
    private static List<Long> victims()
    {
        final MemorySegment file = MemorySegment.ofArray(template);
        Long raw = null;
        Long compressed = null;
        Long removed = null;
        for (final long location : currentEntries(template))
        {
            if (hasOtherVersion(location))
            {
                continue;
            }
            if (EntryHeaderDescriptor.isRemoved(file, location))
            {
                removed = removed == null ? location : removed;
            }
            else if (EntryHeaderDescriptor.codecId(file, location) == EntryHeaderDescriptor.RAW_CODEC_ID)
            {
                raw = raw == null ? location : raw;
            }
            else
            {
                compressed = compressed == null ? location : compressed;
            }
        }
        assertTrue(raw != null && compressed != null && removed != null, "the template has each kind of victim");
        return List.of(raw, compressed, removed);
    }

    private static boolean hasOtherVersion(final long location)
    {
        final MemorySegment file = MemorySegment.ofArray(template);
        return currentEntries(template).stream().anyMatch(other -> other != location && FileScan.sameKey(file, other, location));
    }

    /** Whether the cut lies inside the written part of a region in use. */
    private static boolean cutsAWrittenRegion(final long cut)
    {
        final MemorySegment file = MemorySegment.ofArray(template);
        for (int region = 0; region < L3FuzzInput.REGION_COUNT; region++)
        {
            final long base = FileScan.regionBase(region, L3FuzzInput.REGION_SIZE_BYTES);
            if (FileRegionDescriptor.check(file, base, L3FuzzInput.REGION_SIZE_BYTES) == FileRegionDescriptor.VALID &&
                cut >= base + FileRegionDescriptor.LENGTH && cut < base + FileRegionDescriptor.writeLimit(file, base))
            {
                return true;
            }
        }
        return false;
    }

    /** Entries of every region's current generation, removed ones included. */
    private static List<Long> currentEntries(final byte[] bytes)
    {
        final MemorySegment file = MemorySegment.ofArray(bytes);
        final List<Long> entries = new ArrayList<>();
        for (int region = 0; region < L3FuzzInput.REGION_COUNT; region++)
        {
            final long base = FileScan.regionBase(region, L3FuzzInput.REGION_SIZE_BYTES);
            if (FileRegionDescriptor.check(file, base, L3FuzzInput.REGION_SIZE_BYTES) == FileRegionDescriptor.VALID)
            {
                FileScan.walk(file, base, FileRegionDescriptor.sequence(file, base), FileRegionDescriptor.writeLimit(file, base), false,
                    new FileScan.Walker()
                    {
                        @Override
                        public void entry(final long location)
                        {
                            entries.add(location);
                        }

                        @Override
                        public void bad(final long location, final String reason)
                        {
                            throw new AssertionError("the template has a bad entry at " + location + ": " + reason);
                        }
                    });
            }
        }
        return entries;
    }

    private static Map<Long, Integer> fingerprints(final byte[] bytes, final List<Long> entries)
    {
        final MemorySegment file = MemorySegment.ofArray(bytes);
        final Map<Long, Integer> result = new HashMap<>();
        try (Arena arena = Arena.ofConfined())
        {
            for (final long location : entries)
            {
                final long rawLength = EntryHeaderDescriptor.rawLength(file, location);
                final long storedLength = EntryHeaderDescriptor.storedLength(file, location);
                final long storedAt = payloadEnd(file, location) - storedLength;
                final MemorySegment stored = arena.allocate(Math.max(1, storedLength)).copyFrom(file.asSlice(storedAt, storedLength));
                final MemorySegment raw = arena.allocate(Math.max(1, rawLength));
                if (EntryHeaderDescriptor.codecId(file, location) == EntryHeaderDescriptor.RAW_CODEC_ID)
                {
                    raw.copyFrom(stored.asSlice(0, storedLength));
                }
                else
                {
                    assertEquals(rawLength, Codecs.javaLz4().decompress(stored.asSlice(0, storedLength), raw.asSlice(0, rawLength)));
                }
                result.put(location, Crc32c.of(raw, 0, rawLength));
            }
        }
        return result;
    }

    private static void addFieldCuts(final List<Long> cuts, final long base, final int[] fieldOffsets)
    {
        for (int i = 0; i < fieldOffsets.length; i++)
        {
            cuts.add(base + fieldOffsets[i]);
            if (i + 1 < fieldOffsets.length && fieldOffsets[i + 1] - fieldOffsets[i] > 1)
            {
                cuts.add(base + (fieldOffsets[i] + fieldOffsets[i + 1]) / 2);
            }
        }
    }

    /** The bits to flip in a header of {@code length} bytes, as {@code byte * 8 + bit}. */
    private static int[] bits(final int length)
    {
        if (ALL_BITS)
        {
            return java.util.stream.IntStream.range(0, length * 8).toArray();
        }
        return java.util.stream.IntStream.range(0, length)
            .flatMap(b -> java.util.stream.IntStream.of(b * 8 + b % 4, b * 8 + b % 4 + 4)).toArray();
    }

    private static void flip(final byte[] bytes, final long offset, final int bit)
    {
        bytes[(int)offset] ^= (byte)(1 << bit);
    }
}
