package dev.tiercache.store;

import dev.tiercache.libc.Libc;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermission;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.EnumSet;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

class FileStoreTest
{
    private static final long SEED = Long.getLong("tiercache.seed", System.nanoTime());
    private static final long SMALL_REGION = 64 * 1024;
    private static final int SMALL_REGIONS = 16;
    private static final RunLengthCodec RLE = new RunLengthCodec();

    @TempDir
    Path dir;

    private String seedNote()
    {
        return "seed=" + SEED + " (replay with -Dtiercache.seed=" + SEED + ")";
    }

    private FileStoreConfig.Builder small(final Path file)
    {
        return FileStoreConfig.builder(file).regionSizeBytes(SMALL_REGION).regionCount(SMALL_REGIONS).codecs(RLE);
    }

    @Test
    void randomEntries_upTo4MiB_surviveCloseAndReopenByteForByte()
    {
        final SplittableRandom random = new SplittableRandom(SEED);
        final long regionSize = 4 * 1024 * 1024 + 8 * 1024;
        final FileStoreConfig config = FileStoreConfig.builder(dir.resolve("l3.bin"))
            .regionSizeBytes(regionSize).regionCount(6).codecs(RLE)
            .reclaimListener((location, keyHash) -> { throw new AssertionError("no reclaim expected; " + seedNote()); })
            .build();
        final List<Sample> written = new ArrayList<>();
        long budget = 12L * 1024 * 1024;
        try (FileStore store = FileStore.open(config))
        {
            while (written.size() < 40)
            {
                final int size = (int)Math.min(4L * 1024 * 1024, Math.round(Math.exp(random.nextDouble() * Math.log(4.0 * 1024 * 1024))));
                if (size > budget)
                {
                    break;
                }
                budget -= size;
                final Sample sample = Sample.random(random, size, random.nextBoolean());
                final long location = store.append(sample.keyHash, sample.key(), sample.meta(), sample.value(),
                    random.nextBoolean() ? RLE : null);
                assertTrue(location >= FileHeaderDescriptor.REGIONS_OFFSET, "location=" + location + " " + seedNote());
                written.add(sample.at(location));
            }
        }

        try (FileStore store = FileStore.open(config))
        {
            final List<RecoveredEntry> recovered = store.recover();
            assertEquals(written.size(), recovered.size(), seedNote());
            for (int i = 0; i < written.size(); i++)
            {
                final Sample sample = written.get(i);
                final RecoveredEntry entry = recovered.get(i);
                assertEquals(sample.location, entry.location(), seedNote());
                assertEquals(sample.keyHash, entry.keyHash(), seedNote());
                assertArrayEquals(sample.key, entry.key().toArray(ValueLayout.JAVA_BYTE), seedNote());
                assertArrayEquals(sample.meta, entry.meta().toArray(ValueLayout.JAVA_BYTE), seedNote());
                assertEquals(sample.value.length, entry.rawLength(), seedNote());
                assertArrayEquals(sample.value, readAll(store, entry.location()), "entry " + i + " " + seedNote());
            }
            assertEquals(0, store.corruptEntriesSkipped());
        }
        assertTrue(FileStore.verify(config.path()).clean(), seedNote());
    }

    @Test
    void aKeysNewestRecordCorrupt_doesNotBringBackAnOlderOne() throws IOException
    {
        final FileStoreConfig config = small(dir.resolve("older.bin")).build();
        final byte[] key = {7, 7, 7};
        final long newer;
        try (FileStore store = FileStore.open(config))
        {
            final byte[] older = new byte[600];
            java.util.Arrays.fill(older, (byte) 1);
            final byte[] newest = new byte[600];
            java.util.Arrays.fill(newest, (byte) 2);
            // both live at once: the older value kept while the newer one was written, then a crash
            store.append(42L, MemorySegment.ofArray(key), MemorySegment.ofArray(new byte[8]), MemorySegment.ofArray(older), null);
            newer = store.append(42L, MemorySegment.ofArray(key), MemorySegment.ofArray(new byte[8]), MemorySegment.ofArray(newest), null);
        }
        try (java.nio.channels.FileChannel channel = java.nio.channels.FileChannel.open(config.path(), java.nio.file.StandardOpenOption.READ,
            java.nio.file.StandardOpenOption.WRITE))
        {
            // a flipped byte in the newer value's payload
            final long at = newer + EntryHeaderDescriptor.storedOffset(key.length, 8) + 100;
            final java.nio.ByteBuffer one = java.nio.ByteBuffer.allocate(1);
            channel.read(one, at);
            one.put(0, (byte) (one.get(0) ^ 0x40)).rewind();
            channel.write(one, at);
        }
        try (FileStore store = FileStore.open(config))
        {
            assertEquals(List.of(), store.recover(), "the older value must not stand in for the corrupt newer one");
            assertEquals(1, store.corruptEntriesSkipped());
        }
    }

    @Test
    void newFile_isOwnerOnlyAndPreallocated() throws IOException
    {
        final FileStoreConfig config = small(dir.resolve("perm.bin")).build();
        try (FileStore store = FileStore.open(config))
        {
            assertEquals(config.fileLengthBytes() - FileHeaderDescriptor.REGIONS_OFFSET,
                store.capacityBytes() + (long)SMALL_REGIONS * FileRegionDescriptor.LENGTH);
            assertEquals(EnumSet.of(PosixFilePermission.OWNER_READ, PosixFilePermission.OWNER_WRITE),
                Files.getPosixFilePermissions(config.path()));
            assertEquals(config.fileLengthBytes(), Files.size(config.path()));
        }
    }

    @Test
    void payloadByteFlip_skipsThatEntryOnly()
    {
        final Path file = dir.resolve("flip.bin");
        final List<Sample> samples = writeSmallEntries(file, 20);
        final Sample victim = samples.get(7);
        final long storedStart = victim.location +
            EntryHeaderDescriptor.storedOffset(victim.key.length, victim.meta.length);
        flipByte(file, storedStart + victim.value.length / 2);

        final FileStoreReport report = FileStore.verify(file);
        assertEquals(1, report.badEntries().size(), report.toString());
        assertEquals(victim.location, report.badEntries().getFirst().location());
        assertTrue(report.badEntries().getFirst().reason().contains("payload checksum"), report.toString());

        try (FileStore store = FileStore.open(small(file).build()))
        {
            assertSurvivorsExcept(store, samples, victim);
            assertEquals(1, store.corruptEntriesSkipped());
            try (Arena arena = Arena.ofConfined())
            {
                assertEquals(FileStore.CORRUPT, store.read(victim.location, arena.allocate(victim.value.length)));
            }
            assertEquals(1, store.stats().corruptReads());
        }
    }

    @Test
    void keyByteFlip_skipsThatEntryOnly()
    {
        final Path file = dir.resolve("key.bin");
        final List<Sample> samples = writeSmallEntries(file, 12);
        final Sample victim = samples.get(3);
        flipByte(file, victim.location + EntryHeaderDescriptor.LENGTH);

        try (FileStore store = FileStore.open(small(file).build()))
        {
            assertSurvivorsExcept(store, samples, victim);
            assertEquals(1, store.corruptEntriesSkipped());
        }
    }

    @Test
    void headerByteFlip_skipsThatEntryAndResynchronises()
    {
        final Path file = dir.resolve("header.bin");
        final List<Sample> samples = writeSmallEntries(file, 20);
        final Sample victim = samples.get(5);
        flipByte(file, victim.location + EntryHeaderDescriptor.STORED_LENGTH_OFFSET + 2);

        final FileStoreReport report = FileStore.inspect(file);
        assertEquals(1, report.badEntries().size(), report.toString());
        assertTrue(report.badEntries().getFirst().reason().contains("header checksum"), report.toString());

        try (FileStore store = FileStore.open(small(file).build()))
        {
            assertSurvivorsExcept(store, samples, victim);
            assertEquals(1, store.corruptEntriesSkipped());
            try (Arena arena = Arena.ofConfined())
            {
                assertEquals(FileStore.CORRUPT, store.read(victim.location, arena.allocate(1 << 16)));
            }
        }
    }

    @Test
    void regionHeaderFlip_losesThatRegionOnly()
    {
        final Path file = dir.resolve("region.bin");
        final List<Sample> samples = writeSmallEntries(file, 30);
        final long firstRegionBase = FileHeaderDescriptor.REGIONS_OFFSET;
        flipByte(file, firstRegionBase + FileRegionDescriptor.WRITE_LIMIT_OFFSET);

        try (FileStore store = FileStore.open(small(file).build()))
        {
            final List<RecoveredEntry> recovered = store.recover();
            final long inFirstRegion = samples.stream().filter(s -> s.location < firstRegionBase + SMALL_REGION).count();
            assertTrue(inFirstRegion > 0 && inFirstRegion < samples.size(), "first region holds " + inFirstRegion);
            assertEquals(samples.size() - inFirstRegion, recovered.size());
            assertEquals(1, store.stats().corruptRegionsSkipped());
            for (final RecoveredEntry entry : recovered)
            {
                assertTrue(entry.location() >= firstRegionBase + SMALL_REGION);
            }
        }
    }

    @Test
    void truncatedFile_inspectableAndOpensWithWhatRemains() throws IOException
    {
        final Path file = dir.resolve("short.bin");
        final List<Sample> samples = writeSmallEntries(file, 30);
        final long cut = FileHeaderDescriptor.REGIONS_OFFSET + SMALL_REGION + SMALL_REGION / 2;
        try (FileChannel channel = FileChannel.open(file, StandardOpenOption.WRITE))
        {
            channel.truncate(cut);
        }

        final FileStoreReport report = FileStore.verify(file);
        assertTrue(report.truncated());
        assertFalse(report.clean());
        assertEquals(FileStoreReport.RegionState.SEALED, report.regions().get(0).state());
        // the region the cut went through is scanned up to the cut, as reopening does
        assertTrue(report.regions().get(1).problem().startsWith("cut at file offset " + cut), report.regions().get(1).problem());
        assertEquals(FileStoreReport.RegionState.MISSING, report.regions().get(2).state());
        final long inFirstRegion = samples.stream()
            .filter(s -> s.location < FileHeaderDescriptor.REGIONS_OFFSET + SMALL_REGION).count();
        final long beforeTheCut = samples.stream().filter(s -> s.location < cut).count();
        assertTrue(report.liveEntries() > inFirstRegion && report.liveEntries() <= beforeTheCut,
            report.liveEntries() + " live, " + inFirstRegion + " in the first region, " + beforeTheCut + " start before the cut; " + seedNote());

        try (FileStore store = FileStore.open(small(file).build()))
        {
            assertEquals(cut, store.truncatedLengthAtOpen());
            assertEquals(report.liveEntries(), store.recover().size(), "verify counts what reopening recovers; " + seedNote());
        }
    }

    @Test
    void fileShorterThanHeader_refusedClearly() throws IOException
    {
        final Path file = dir.resolve("tiny.bin");
        Files.write(file, new byte[10]);

        final FileStoreException ex = assertThrows(FileStoreException.class, () -> FileStore.open(small(file).build()));

        assertTrue(ex.getMessage().contains(file.toString()) && ex.getMessage().contains("length=10"), ex.getMessage());
        assertEquals(10, Files.size(file), "someone else's file is left alone");
    }

    @Test
    void wrongMagic_refusedNamingFileAndValues() throws IOException
    {
        final Path file = dir.resolve("magic.bin");
        writeSmallEntries(file, 1);
        flipByte(file, FileHeaderDescriptor.PRIMARY_OFFSET + FileHeaderDescriptor.MAGIC_OFFSET);
        flipByte(file, FileHeaderDescriptor.MIRROR_OFFSET + FileHeaderDescriptor.MAGIC_OFFSET);

        final FileStoreException ex = assertThrows(FileStoreException.class, () -> FileStore.open(small(file).build()));

        assertTrue(ex.getMessage().contains(file.toString()), ex.getMessage());
        assertTrue(ex.getMessage().contains("magic=0x") && ex.getMessage().contains(Long.toHexString(FileHeaderDescriptor.MAGIC)),
            ex.getMessage());
        assertEquals(file, ex.path());
        assertThrows(FileStoreException.class, () -> FileStore.inspect(file));
    }

    @Test
    void newerFormatVersion_refusedNamingVersions() throws IOException
    {
        final Path file = dir.resolve("newer.bin");
        writeSmallEntries(file, 1);
        try (FileChannel channel = FileChannel.open(file, StandardOpenOption.READ, StandardOpenOption.WRITE))
        {
            // a genuinely newer file: both copies say version 2 and both checksums agree
            final ByteBuffer header = ByteBuffer.allocate(FileHeaderDescriptor.LENGTH);
            channel.read(header, FileHeaderDescriptor.PRIMARY_OFFSET);
            final MemorySegment copy = MemorySegment.ofArray(header.array());
            copy.set(FileHeaderDescriptor.INT, FileHeaderDescriptor.VERSION_OFFSET, 2);
            copy.set(FileHeaderDescriptor.INT, FileHeaderDescriptor.CHECKSUM_OFFSET, FileHeaderDescriptor.computeChecksum(copy));
            channel.write(ByteBuffer.wrap(header.array()), FileHeaderDescriptor.PRIMARY_OFFSET);
            channel.write(ByteBuffer.wrap(header.array()), FileHeaderDescriptor.MIRROR_OFFSET);
        }

        final FileStoreException ex = assertThrows(FileStoreException.class, () -> FileStore.open(small(file).build()));

        assertTrue(ex.getMessage().contains(file.toString()) && ex.getMessage().contains("version 2") &&
            ex.getMessage().contains("up to " + FileHeaderDescriptor.FORMAT_VERSION), ex.getMessage());
    }

    @Test
    void otherGeometry_refusedNamingBoth()
    {
        final Path file = dir.resolve("geometry.bin");
        writeSmallEntries(file, 1);

        final FileStoreException ex = assertThrows(FileStoreException.class,
            () -> FileStore.open(small(file).regionCount(SMALL_REGIONS + 1).build()));

        assertTrue(ex.getMessage().contains("regionCount=" + SMALL_REGIONS) &&
            ex.getMessage().contains("regionCount=" + (SMALL_REGIONS + 1)), ex.getMessage());
    }

    @Test
    void secondOpenInSameProcess_failsClearlyAndFirstKeepsWorking()
    {
        final FileStoreConfig config = small(dir.resolve("twice.bin")).build();
        try (FileStore first = FileStore.open(config))
        {
            final FileStoreException ex = assertThrows(FileStoreException.class, () -> FileStore.open(config));
            assertTrue(ex.getMessage().contains("already open"), ex.getMessage());
            assertThrows(FileStoreException.class, () -> FileStore.inspect(config.path()));

            final Sample sample = Sample.random(new SplittableRandom(SEED), 100, false);
            final long location = first.append(sample.keyHash, sample.key(), sample.meta(), sample.value(), null);
            assertArrayEquals(sample.value, readAll(first, location));
        }
        try (FileStore again = FileStore.open(config))
        {
            assertEquals(1, again.recover().size());
        }
    }

    @Test
    void openInAnotherProcess_failsClearlyButInspectionWorks() throws Exception
    {
        final FileStoreConfig config = small(dir.resolve("shared.bin")).build();
        try (FileStore store = FileStore.open(config))
        {
            final Sample sample = Sample.random(new SplittableRandom(SEED), 100, false);
            store.append(sample.keyHash, sample.key(), sample.meta(), sample.value(), null);
            store.force();

            final String opened = runProbe("open", config.path().toString(), Long.toString(SMALL_REGION), Integer.toString(SMALL_REGIONS));
            assertTrue(opened.startsWith("FAILED") &&
                opened.contains("locked by another process (pid " + ProcessHandle.current().pid() + ";"), opened);

            final String inspected = runProbe("inspect", config.path().toString());
            assertEquals("INSPECTED inUse=true live=1", inspected);
        }
        final String opened = runProbe("open", config.path().toString(), Long.toString(SMALL_REGION), Integer.toString(SMALL_REGIONS));
        assertEquals("OPENED 1", opened);
    }

    @Test
    void notEnoughSpace_refusedBeforeCreatingAnything() throws IOException
    {
        final long available = Libc.statvfs(dir).availableBytes();
        final long regionSize = FileStoreConfig.MAX_REGION_SIZE_BYTES;
        final int regionCount = (int)(available / regionSize) + 2;
        final Path file = dir.resolve("huge.bin");

        final FileStoreException ex = assertThrows(FileStoreException.class,
            () -> FileStore.open(FileStoreConfig.builder(file).regionSizeBytes(regionSize).regionCount(regionCount).build()));

        assertTrue(ex.getMessage().contains("not enough disk space") && ex.getMessage().contains(file.toString()), ex.getMessage());
        assertFalse(Files.exists(file));
    }

    @Test
    void preallocationFailure_removesHalfMadeFile() throws IOException
    {
        final FileStoreConfig config = small(dir.resolve("enospc.bin")).build();
        final int enospc = 28;

        final FileStoreException ex = assertThrows(FileStoreException.class,
            () -> FileStore.open(config, (file, length) -> enospc));

        assertTrue(ex.getMessage().contains("errno=28") && ex.getMessage().contains("No space left on device") &&
            ex.getMessage().contains(config.path().toString()), ex.getMessage());
        assertFalse(Files.exists(config.path()));
        try (var left = Files.list(dir))
        {
            assertEquals(List.of(), left.toList(), "no temporary file is left behind");
        }
        try (FileStore store = FileStore.open(config))
        {
            assertEquals(0, store.recover().size(), "a later open starts clean");
        }
    }

    @Test
    void smallTmpfs_refusedBeforeCreating() throws Exception
    {
        final Path mountPoint = Files.createDirectory(dir.resolve("tmpfs"));
        assumeTrue(run("mount", "-t", "tmpfs", "-o", "size=4m", "tmpfs", mountPoint.toString()), "mounting a tmpfs needs root");
        try
        {
            final Path file = mountPoint.resolve("l3.bin");
            final FileStoreConfig config = FileStoreConfig.builder(file).regionSizeBytes(SMALL_REGION).regionCount(128).build();

            final FileStoreException ex = assertThrows(FileStoreException.class, () -> FileStore.open(config));

            assertTrue(ex.getMessage().contains(file.toString()), ex.getMessage());
            assertFalse(Files.exists(file));
            try (FileStore fits = FileStore.open(FileStoreConfig.builder(file).regionSizeBytes(SMALL_REGION).regionCount(16).build()))
            {
                assertEquals(0, fits.stats().liveEntries());
            }
        }
        finally
        {
            assertTrue(run("umount", mountPoint.toString()));
        }
    }

    @Test
    void filledBeyondCapacity_reportsOldestRegionToListenerFirst()
    {
        final List<long[]> reclaimed = new ArrayList<>();
        final FileStoreConfig config = FileStoreConfig.builder(dir.resolve("ring.bin"))
            .regionSizeBytes(SMALL_REGION).regionCount(4)
            .reclaimListener((location, keyHash) -> reclaimed.add(new long[] {location, keyHash}))
            .build();
        final SplittableRandom random = new SplittableRandom(SEED);
        final List<Sample> samples = new ArrayList<>();
        try (FileStore store = FileStore.open(config))
        {
            while (reclaimed.isEmpty())
            {
                final Sample sample = Sample.random(random, 5000 + random.nextInt(5000), false);
                final long location = store.append(sample.keyHash, sample.key(), sample.meta(), sample.value(), null);
                samples.add(sample.at(location));
                if (samples.size() == 2)
                {
                    assertTrue(store.remove(samples.get(1).location));
                }
            }
            final long firstRegionEnd = FileHeaderDescriptor.REGIONS_OFFSET + SMALL_REGION;
            final Sample newest = samples.getLast();
            final List<Sample> inFirst = samples.stream().filter(s -> s.location < firstRegionEnd && s != newest).toList();
            assertEquals(inFirst.size() - 1, reclaimed.size(), "all but the removed one reported; " + seedNote());
            int reported = 0;
            for (final Sample sample : inFirst)
            {
                if (sample != samples.get(1))
                {
                    assertEquals(sample.location, reclaimed.get(reported)[0]);
                    assertEquals(sample.keyHash, reclaimed.get(reported)[1]);
                    reported++;
                }
            }
            assertTrue(newest.location < firstRegionEnd, "the newest entry reuses the reclaimed region");
            for (final Sample sample : samples)
            {
                if (sample.location >= firstRegionEnd || sample == newest)
                {
                    assertArrayEquals(sample.value, readAll(store, sample.location), seedNote());
                }
            }
            final FileStoreStats stats = store.stats();
            assertEquals(1, stats.reclaimedRegions());
            assertEquals(inFirst.size() - 1, stats.reclaimedEntries());
        }
    }

    @Test
    void throwingListener_failsAppendAndOverwritesNothing()
    {
        final boolean[] fail = {true};
        final FileStoreConfig config = FileStoreConfig.builder(dir.resolve("throw.bin"))
            .regionSizeBytes(SMALL_REGION).regionCount(2)
            .reclaimListener((location, keyHash) ->
            {
                if (fail[0])
                {
                    throw new IllegalStateException("listener refuses");
                }
            })
            .build();
        final SplittableRandom random = new SplittableRandom(SEED);
        try (FileStore store = FileStore.open(config))
        {
            final List<Sample> samples = new ArrayList<>();
            while (true)
            {
                final Sample sample = Sample.random(random, 20_000, false);
                try
                {
                    samples.add(sample.at(store.append(sample.keyHash, sample.key(), sample.meta(), sample.value(), null)));
                }
                catch (final IllegalStateException ex)
                {
                    assertEquals("listener refuses", ex.getMessage());
                    break;
                }
            }
            for (final Sample sample : samples)
            {
                assertArrayEquals(sample.value, readAll(store, sample.location));
            }
            fail[0] = false;
            final Sample sample = Sample.random(random, 20_000, false);
            assertTrue(store.append(sample.keyHash, sample.key(), sample.meta(), sample.value(), null) >= 0);
        }
    }

    @Test
    void entryLargerThanRegion_isFullAndReclaimsNothing()
    {
        final int[] reclaims = {0};
        final FileStoreConfig config = small(dir.resolve("full.bin")).reclaimListener((l, h) -> reclaims[0]++).build();
        try (FileStore store = FileStore.open(config); Arena arena = Arena.ofConfined())
        {
            final MemorySegment big = arena.allocate(SMALL_REGION);
            assertEquals(FileStore.FULL, store.append(1, MemorySegment.ofArray(new byte[1]), MemorySegment.NULL, big, null));
            final MemorySegment justFits = arena.allocate(SMALL_REGION - FileRegionDescriptor.LENGTH - EntryHeaderDescriptor.LENGTH - 8);
            assertTrue(store.append(2, MemorySegment.ofArray(new byte[8]), MemorySegment.NULL, justFits, null) >= 0);
            final MemorySegment runs = arena.allocate(4 * SMALL_REGION);
            assertTrue(store.append(3, MemorySegment.ofArray(new byte[8]), MemorySegment.NULL, runs, RLE) >= 0,
                "a value larger than a region fits when its compressed form does");
            assertEquals(0, reclaims[0]);
        }
    }

    @Test
    void removed_isNotRecoveredAfterReopen()
    {
        final Path file = dir.resolve("remove.bin");
        final List<Sample> samples = writeSmallEntries(file, 10);
        try (FileStore store = FileStore.open(small(file).build()); Arena arena = Arena.ofConfined())
        {
            assertTrue(store.remove(samples.get(4).location));
            assertFalse(store.remove(samples.get(4).location), "second remove");
            assertEquals(FileStore.NO_ENTRY, store.read(samples.get(4).location, arena.allocate(1 << 16)));
            assertEquals(FileStore.NO_ENTRY, store.rawLength(samples.get(4).location));
            assertNull(store.key(samples.get(4).location));
            assertEquals(9, store.stats().liveEntries());
        }
        try (FileStore store = FileStore.open(small(file).build()))
        {
            assertSurvivorsExcept(store, samples, samples.get(4));
            assertEquals(0, store.corruptEntriesSkipped());
        }
    }

    @Test
    void sameKeyAppendedTwice_newestWinsOnRecovery()
    {
        final Path file = dir.resolve("dup.bin");
        final byte[] key = "sample-42".getBytes(StandardCharsets.UTF_8);
        final long first;
        final long second;
        final long other;
        try (FileStore store = FileStore.open(small(file).build()))
        {
            first = store.append(42, MemorySegment.ofArray(key), MemorySegment.NULL, MemorySegment.ofArray(new byte[] {1}), null);
            other = store.append(42, MemorySegment.ofArray("sample-43".getBytes(StandardCharsets.UTF_8)), MemorySegment.NULL,
                MemorySegment.ofArray(new byte[] {3}), null);
            second = store.append(42, MemorySegment.ofArray(key), MemorySegment.NULL, MemorySegment.ofArray(new byte[] {2}), null);
        }
        try (FileStore store = FileStore.open(small(file).build()))
        {
            final List<Long> locations = store.recover().stream().map(RecoveredEntry::location).toList();
            assertEquals(List.of(other, second), locations, "same hash, other key bytes: both live");
            assertEquals(FileStore.NO_ENTRY, store.rawLength(first), "the older one is marked removed");
        }
        final FileStoreReport report = FileStore.inspect(file);
        assertEquals(1, report.removedEntries());
        assertEquals(2, report.liveEntries());
    }

    @Test
    void compressibleEntries_roundTripCompressed()
    {
        final FileStoreConfig config = small(dir.resolve("rle.bin")).build();
        final byte[] value = new byte[40_000];
        for (int i = 0; i < value.length; i++)
        {
            value[i] = (byte)(i / 100);
        }
        final long location;
        try (FileStore store = FileStore.open(config))
        {
            location = store.append(7, MemorySegment.ofArray(new byte[] {7}), MemorySegment.ofArray(new byte[] {1, 2, 3}),
                MemorySegment.ofArray(value), RLE);
            final FileStore.EntryInfo info = store.info(location);
            assertEquals(RLE.id(), info.codecId());
            assertTrue(info.storedLength() < value.length / 10, info.toString());
            assertArrayEquals(value, readAll(store, location));
            assertTrue(store.stats().compressionRatio() > 10, store.stats().toString());
        }
        try (FileStore store = FileStore.open(config))
        {
            assertArrayEquals(value, readAll(store, location));
        }
        assertTrue(FileStore.verify(config.path()).compressionRatio() > 10);
    }

    @Test
    void savingsBelowThreshold_storedRaw()
    {
        final SplittableRandom random = new SplittableRandom(SEED);
        final byte[] value = new byte[20_000];
        for (int i = 0; i < value.length; i++)
        {
            value[i] = (byte)(i < 1_000 ? 0 : 1 + random.nextInt(255));
        }
        final MemorySegment scratch = MemorySegment.ofArray(new byte[value.length * 2]);
        final double savings = 1.0 - (double)RLE.compress(MemorySegment.ofArray(value), scratch) / value.length;
        assertTrue(savings > 0.01 && savings < 0.2, "savings=" + savings + " " + seedNote());

        try (FileStore strict = FileStore.open(small(dir.resolve("strict.bin")).minCompressionSavings(savings + 0.005).build()))
        {
            final long location = strict.append(1, MemorySegment.ofArray(new byte[] {1}), MemorySegment.NULL,
                MemorySegment.ofArray(value), RLE);
            assertEquals(EntryHeaderDescriptor.RAW_CODEC_ID, strict.info(location).codecId());
            assertEquals(value.length, strict.info(location).storedLength());
            assertArrayEquals(value, readAll(strict, location));
        }
        try (FileStore lenient = FileStore.open(small(dir.resolve("lenient.bin")).minCompressionSavings(savings - 0.005).build()))
        {
            final long location = lenient.append(1, MemorySegment.ofArray(new byte[] {1}), MemorySegment.NULL,
                MemorySegment.ofArray(value), RLE);
            assertEquals(RLE.id(), lenient.info(location).codecId());
            assertArrayEquals(value, readAll(lenient, location));
        }
        try (FileStore random2 = FileStore.open(small(dir.resolve("random.bin")).build()))
        {
            final byte[] noise = new byte[5000];
            random.nextBytes(noise);
            final long location = random2.append(1, MemorySegment.ofArray(new byte[] {1}), MemorySegment.NULL,
                MemorySegment.ofArray(noise), RLE);
            assertEquals(EntryHeaderDescriptor.RAW_CODEC_ID, random2.info(location).codecId(), "incompressible data stays raw");
            assertEquals(1, random2.stats().appendedEntries());
            assertEquals(0, random2.stats().compressedEntries());
        }
    }

    @Test
    void codecNotConfigured_isRejectedOnAppendAndReportedOnRead()
    {
        final Path file = dir.resolve("codec.bin");
        final byte[] value = new byte[10_000];
        final long location;
        try (FileStore store = FileStore.open(small(file).build()))
        {
            location = store.append(1, MemorySegment.ofArray(new byte[] {1}), MemorySegment.NULL, MemorySegment.ofArray(value), RLE);
        }
        final FileStoreConfig withoutCodec = FileStoreConfig.builder(file).regionSizeBytes(SMALL_REGION).regionCount(SMALL_REGIONS).build();
        try (FileStore store = FileStore.open(withoutCodec); Arena arena = Arena.ofConfined())
        {
            assertEquals(FileStore.CODEC_MISSING, store.read(location, arena.allocate(value.length)));
            assertThrows(IllegalArgumentException.class,
                () -> store.append(1, MemorySegment.ofArray(new byte[] {1}), MemorySegment.NULL, MemorySegment.ofArray(value), RLE));
        }
    }

    @Test
    void payloadsNotVerifiedOnOpen_corruptionCaughtOnRead()
    {
        final Path file = dir.resolve("lazy.bin");
        final List<Sample> samples = writeSmallEntries(file, 5);
        final Sample victim = samples.get(2);
        flipByte(file, victim.location + EntryHeaderDescriptor.storedOffset(victim.key.length, victim.meta.length));

        try (FileStore store = FileStore.open(small(file).verifyPayloadsOnOpen(false).build()); Arena arena = Arena.ofConfined())
        {
            assertEquals(5, store.recover().size());
            assertEquals(FileStore.CORRUPT, store.read(victim.location, arena.allocate(victim.value.length)));
            assertArrayEquals(samples.get(3).value, readAll(store, samples.get(3).location));
        }
    }

    @Test
    void readingIntoTooSmallDestinationOrBadLocation_isAContractError()
    {
        final Path file = dir.resolve("contract.bin");
        final List<Sample> samples = writeSmallEntries(file, 2);
        try (FileStore store = FileStore.open(small(file).build()); Arena arena = Arena.ofConfined())
        {
            final Sample sample = samples.getFirst();
            assertThrows(IllegalArgumentException.class, () -> store.read(sample.location, arena.allocate(sample.value.length - 1)));
            assertThrows(IllegalArgumentException.class, () -> store.read(3, arena.allocate(16)));
            assertThrows(IllegalArgumentException.class, () -> store.read(sample.location + 4, arena.allocate(16)));
            assertThrows(IllegalArgumentException.class, () -> store.read(FileStore.FULL, arena.allocate(16)));
            assertEquals(FileStore.NO_ENTRY, store.read(FileHeaderDescriptor.REGIONS_OFFSET + 5 * SMALL_REGION + 64, arena.allocate(16)));
        }
    }

    @Test
    void adviseDontNeed_keepsEntryReadable()
    {
        final Path file = dir.resolve("advise.bin");
        final FileStoreConfig config = small(file).build();
        final SplittableRandom random = new SplittableRandom(SEED);
        final Sample sample = Sample.random(random, 50_000, false);
        try (FileStore store = FileStore.open(config))
        {
            final long location = store.append(sample.keyHash, sample.key(), sample.meta(), sample.value(), null);
            store.force();
            assertEquals(0, store.adviseDontNeed(location));
            assertArrayEquals(sample.value, readAll(store, location));
            assertTrue(store.remove(location));
            assertEquals((int)FileStore.NO_ENTRY, store.adviseDontNeed(location));
        }
    }

    @Test
    void adviseWillNeed_afterAPageOut_keepsEntryReadable_andRefusesARemovedOne()
    {
        final Path file = dir.resolve("willneed.bin");
        final FileStoreConfig config = small(file).build();
        final SplittableRandom random = new SplittableRandom(SEED);
        final Sample sample = Sample.random(random, 50_000, false);
        try (FileStore store = FileStore.open(config))
        {
            final long location = store.append(sample.keyHash, sample.key(), sample.meta(), sample.value(), null);
            store.force();
            assertEquals(0, store.adviseDontNeed(location));
            assertEquals(0, store.adviseWillNeed(location));
            assertArrayEquals(sample.value, readAll(store, location));
            assertEquals(sample.keyHash, store.info(location).keyHash());
            assertTrue(store.remove(location));
            assertEquals((int)FileStore.NO_ENTRY, store.adviseWillNeed(location));
            assertTrue(store.adviseWillNeed(location + 7 * 64) < 0, "no entry starts inside another");
        }
    }

    @Test
    void readersDuringAppendsAndRemovals_alwaysSeeWholeEntries() throws InterruptedException
    {
        final Path file = dir.resolve("threads.bin");
        final List<Sample> pinned = writeSmallEntries(file, 20);
        final SplittableRandom random = new SplittableRandom(SEED);
        final List<Throwable> failures = Collections.synchronizedList(new ArrayList<>());
        try (FileStore store = FileStore.open(small(file).build()))
        {
            final AtomicBoolean writing = new AtomicBoolean(true);
            final List<Thread> readers = new ArrayList<>();
            for (int r = 0; r < 3; r++)
            {
                final int offset = r;
                readers.add(Thread.ofPlatform().start(() ->
                {
                    try
                    {
                        for (int i = offset; writing.get() || i < 200; i++)
                        {
                            final Sample sample = pinned.get(i % pinned.size());
                            assertArrayEquals(sample.value, readAll(store, sample.location), "concurrent read; " + seedNote());
                        }
                    }
                    catch (final Throwable ex)
                    {
                        failures.add(ex);
                    }
                }));
            }
            for (int i = 0; i < 100; i++)
            {
                final Sample sample = Sample.random(random, 1 + random.nextInt(6000), random.nextBoolean());
                final long location = store.append(sample.keyHash, sample.key(), sample.meta(), sample.value(), i % 2 == 0 ? RLE : null);
                if (i % 3 == 0)
                {
                    assertTrue(store.remove(location));
                }
            }
            writing.set(false);
            for (final Thread reader : readers)
            {
                reader.join();
            }
            assertEquals(0, store.stats().reclaimedRegions(), "the pinned entries must not be reclaimed");
        }
        assertTrue(failures.isEmpty(), () -> failures.toString());
    }

    @Test
    void close_isIdempotentAndLaterCallsFail()
    {
        final FileStore store = FileStore.open(small(dir.resolve("close.bin")).build());
        store.close();
        store.close();

        assertThrows(IllegalStateException.class, store::stats);
        assertThrows(IllegalStateException.class, store::recover);
        assertThrows(IllegalStateException.class,
            () -> store.append(1, MemorySegment.ofArray(new byte[1]), MemorySegment.NULL, MemorySegment.ofArray(new byte[1]), null));
    }

    @Test
    void keyAndMetaSlices_failCleanlyAfterClose()
    {
        final Path file = dir.resolve("slices.bin");
        final MemorySegment key;
        try (FileStore store = FileStore.open(small(file).build()))
        {
            final long location = store.append(9, MemorySegment.ofArray(new byte[] {1, 2, 3}), MemorySegment.ofArray(new byte[] {4, 5}),
                MemorySegment.ofArray(new byte[] {6}), null);
            key = store.key(location);
            assertArrayEquals(new byte[] {1, 2, 3}, key.toArray(ValueLayout.JAVA_BYTE));
            assertArrayEquals(new byte[] {4, 5}, store.meta(location).toArray(ValueLayout.JAVA_BYTE));
            assertTrue(key.isReadOnly());
        }
        assertThrows(IllegalStateException.class, () -> key.get(ValueLayout.JAVA_BYTE, 0));
    }

    @Test
    void inspect_reportsGeometryEntriesAndRatio()
    {
        final Path file = dir.resolve("report.bin");
        final List<Sample> samples = writeSmallEntries(file, 25);
        final FileStoreStats stats;
        try (FileStore store = FileStore.open(small(file).build()))
        {
            store.remove(samples.get(0).location);
            stats = store.stats();
        }
        final FileStoreReport report = FileStore.inspect(file);

        assertEquals(FileHeaderDescriptor.FORMAT_VERSION, report.formatVersion());
        assertEquals(SMALL_REGION, report.regionSizeBytes());
        assertEquals(SMALL_REGIONS, report.regionCount());
        assertEquals(report.expectedLengthBytes(), report.fileLengthBytes());
        assertFalse(report.inUseByOtherProcess());
        assertFalse(report.payloadsVerified());
        assertTrue(report.clean());
        assertEquals(24, report.liveEntries());
        assertEquals(1, report.removedEntries());
        assertEquals(stats.liveRawBytes(), report.liveRawBytes());
        assertEquals(stats.liveStoredBytes(), report.liveStoredBytes());
        assertEquals(stats.regionsInUse(),
            report.regions().stream().filter(r -> r.state() != FileStoreReport.RegionState.UNUSED).count());
        assertEquals(1, report.regions().stream().filter(r -> r.state() == FileStoreReport.RegionState.ACTIVE).count());
    }

    @Test
    void config_rejectsBadSettingsNamingThem()
    {
        final Path file = dir.resolve("x.bin");
        assertTrue(assertThrows(IllegalArgumentException.class,
            () -> FileStoreConfig.builder(file).regionSizeBytes(5000).regionCount(2).build()).getMessage().contains("regionSizeBytes=5000"));
        assertTrue(assertThrows(IllegalArgumentException.class,
            () -> FileStoreConfig.builder(file).regionCount(0).build()).getMessage().contains("regionCount=0"));
        assertTrue(assertThrows(IllegalArgumentException.class,
            () -> FileStoreConfig.builder(file).regionCount(2).minCompressionSavings(1.0).build()).getMessage()
            .contains("minCompressionSavings=1.0"));
        assertEquals(3, FileStoreConfig.builder(file).regionSizeBytes(SMALL_REGION).capacityBytes(3 * SMALL_REGION + 5).build().regionCount());
    }

    @Test
    void fileBeyond2GiB_mapsAndRoundTrips() throws IOException
    {
        assumeTrue(Boolean.getBoolean("tiercache.largeFileTest"), "reserves 2.1 GiB of disk; run with -Dtiercache.largeFileTest=true");
        final long regionSize = 64L * 1024 * 1024;
        final int regionCount = 33;
        assumeTrue(Libc.statvfs(dir).availableBytes() > 4 * regionSize * regionCount, "not enough disk");
        final FileStoreConfig config = FileStoreConfig.builder(dir.resolve("big.bin")).regionSizeBytes(regionSize).regionCount(regionCount).build();
        final SplittableRandom random = new SplittableRandom(SEED);
        final Sample sample = Sample.random(random, 1 << 20, false);
        final long location;
        try (FileStore store = FileStore.open(config); Arena arena = Arena.ofConfined())
        {
            final MemorySegment filler = arena.allocate(regionSize - 4096);
            for (int i = 0; i < regionCount - 1; i++)
            {
                store.append(i, MemorySegment.ofArray(new byte[] {(byte)i}), MemorySegment.NULL, filler, null);
            }
            location = store.append(sample.keyHash, sample.key(), sample.meta(), sample.value(), null);
            assertTrue(location > Integer.MAX_VALUE, "location=" + location);
        }
        try (FileStore store = FileStore.open(config))
        {
            assertArrayEquals(sample.value, readAll(store, location));
        }
    }

    private List<Sample> writeSmallEntries(final Path file, final int count)
    {
        final SplittableRandom random = new SplittableRandom(SEED ^ count);
        final List<Sample> samples = new ArrayList<>();
        try (FileStore store = FileStore.open(small(file).build()))
        {
            for (int i = 0; i < count; i++)
            {
                final Sample sample = Sample.random(random, 500 + random.nextInt(8000), random.nextBoolean());
                samples.add(sample.at(store.append(sample.keyHash, sample.key(), sample.meta(), sample.value(), i % 3 == 0 ? RLE : null)));
            }
        }
        return samples;
    }

    private void assertSurvivorsExcept(final FileStore store, final List<Sample> samples, final Sample victim)
    {
        final Map<Long, RecoveredEntry> recovered = new HashMap<>();
        for (final RecoveredEntry entry : store.recover())
        {
            recovered.put(entry.location(), entry);
        }
        assertEquals(samples.size() - 1, recovered.size(), seedNote());
        assertFalse(recovered.containsKey(victim.location), seedNote());
        for (final Sample sample : samples)
        {
            if (sample != victim)
            {
                assertArrayEquals(sample.key, recovered.get(sample.location).key().toArray(ValueLayout.JAVA_BYTE), seedNote());
                assertArrayEquals(sample.value, readAll(store, sample.location), seedNote());
            }
        }
    }

    static byte[] readAll(final FileStore store, final long location)
    {
        final long rawLength = store.rawLength(location);
        assertTrue(rawLength >= 0, "rawLength=" + rawLength + " at " + location);
        final byte[] bytes = new byte[(int)rawLength];
        try (Arena arena = Arena.ofConfined())
        {
            final MemorySegment dst = arena.allocate(Math.max(1, rawLength));
            assertEquals(rawLength, store.read(location, dst), "read at " + location);
            MemorySegment.copy(dst, ValueLayout.JAVA_BYTE, 0, bytes, 0, bytes.length);
        }
        return bytes;
    }

    static void flipByte(final Path file, final long position)
    {
        try (FileChannel channel = FileChannel.open(file, StandardOpenOption.READ, StandardOpenOption.WRITE))
        {
            final ByteBuffer one = ByteBuffer.allocate(1);
            channel.read(one, position);
            one.put(0, (byte)(one.get(0) ^ 0x5A)).rewind();
            channel.write(one, position);
        }
        catch (final IOException ex)
        {
            throw new AssertionError(ex);
        }
    }

    private static String runProbe(final String... args) throws IOException, InterruptedException
    {
        final String java = ProcessHandle.current().info().command().orElseThrow();
        final List<String> command = new ArrayList<>(List.of(java, "--enable-native-access=ALL-UNNAMED",
            "-cp", System.getProperty("java.class.path"), FileStoreProbe.class.getName()));
        command.addAll(Arrays.asList(args));
        final Process process = new ProcessBuilder(command).redirectErrorStream(true).start();
        final String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(process.waitFor(60, TimeUnit.SECONDS), "probe timed out: " + output);
        return output.lines().filter(line -> line.startsWith("OPENED") || line.startsWith("FAILED") || line.startsWith("INSPECTED"))
            .findFirst().orElse("no result line in: " + output);
    }

    private static boolean run(final String... command) throws InterruptedException
    {
        try
        {
            final Process process = new ProcessBuilder(command).redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
            return process.waitFor(30, TimeUnit.SECONDS) && process.exitValue() == 0;
        }
        catch (final IOException ex)
        {
            return false;
        }
    }

    /** A key, meta and value generated from a random source, and where it was appended. */
    static final class Sample
    {
        final long keyHash;
        final byte[] key;
        final byte[] meta;
        final byte[] value;
        final long location;

        private Sample(final long keyHash, final byte[] key, final byte[] meta, final byte[] value, final long location)
        {
            this.keyHash = keyHash;
            this.key = key;
            this.meta = meta;
            this.value = value;
            this.location = location;
        }

        static Sample random(final SplittableRandom random, final int size, final boolean compressible)
        {
            final byte[] key = new byte[1 + random.nextInt(48)];
            random.nextBytes(key);
            final byte[] meta = new byte[random.nextInt(40)];
            random.nextBytes(meta);
            final byte[] value = new byte[size];
            if (compressible)
            {
                int i = 0;
                while (i < size)
                {
                    final int run = Math.min(size - i, 1 + random.nextInt(200));
                    Arrays.fill(value, i, i + run, (byte)random.nextInt(4));
                    i += run;
                }
            }
            else
            {
                random.nextBytes(value);
            }
            return new Sample(random.nextLong(), key, meta, value, -1);
        }

        Sample at(final long location)
        {
            assertNotEquals(FileStore.FULL, location);
            return new Sample(keyHash, key, meta, value, location);
        }

        MemorySegment key()
        {
            return MemorySegment.ofArray(key);
        }

        MemorySegment meta()
        {
            return MemorySegment.ofArray(meta);
        }

        MemorySegment value()
        {
            return MemorySegment.ofArray(value);
        }
    }
}
