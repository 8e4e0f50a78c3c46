package dev.tiercache.store;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * What the file survives: kills during creation, racing creators, bit flips in the file header,
 * truncation at rest and truncation under a live mapping. The process cases run the store in a
 * child JVM ({@link FileStoreProbeProcess}) and kill it or change its file from here.
 */
class FileStoreDurabilityTest
{
    private static final long SEED = Long.getLong("tiercache.seed", System.nanoTime());
    private static final long REGION = 64 * 1024;
    private static final int REGIONS = 16;
    private static final int RANDOM_KILLS = Integer.getInteger("tiercache.creationKills", 8);

    @TempDir
    Path dir;

    private String seedNote()
    {
        return "seed=" + SEED + " (replay with -Dtiercache.seed=" + SEED + ")";
    }

    private FileStoreConfig config(final Path file)
    {
        return FileStoreConfig.builder(file).regionSizeBytes(REGION).regionCount(REGIONS).build();
    }

    private String[] probeArgs(final String command, final Path file)
    {
        return new String[] {command, file.toString(), Long.toString(REGION), Integer.toString(REGIONS)};
    }

    private List<Path> leftovers() throws IOException
    {
        try (var files = Files.list(dir))
        {
            return files.filter(p -> p.getFileName().toString().endsWith(".creating")).toList();
        }
    }

    @Test
    void aReadOnlyFile_isRefusedAtOpen_withItsModeAndOwner() throws Exception
    {
        final Path file = dir.resolve("l3.bin");
        try (FileStore store = FileStore.open(config(file)))
        {
            assertEquals(0, store.recover().size());
        }
        assertEquals("rw-------", java.nio.file.attribute.PosixFilePermissions.toString(Files.getPosixFilePermissions(file)),
            "a new file is its owner's only");
        Files.setPosixFilePermissions(file, java.nio.file.attribute.PosixFilePermissions.fromString("r--------"));
        final FileStoreException refused = org.junit.jupiter.api.Assertions.assertThrows(FileStoreException.class,
            () -> FileStore.open(config(file)).close());
        org.junit.jupiter.api.Assertions.assertTrue(refused.getMessage().contains("mode r--------") &&
            refused.getMessage().contains(file.toString()) && refused.getMessage().contains("chmod u+rw"), refused.getMessage());
        Files.setPosixFilePermissions(file, java.nio.file.attribute.PosixFilePermissions.fromString("rw-------"));
        try (FileStore store = FileStore.open(config(file)))
        {
            assertEquals(0, store.recover().size());
        }
    }

    @Test
    void killDuringCreation_leavesNothingUnderTheRealName_andTheNextOpenCleansUp() throws Exception
    {
        final Path file = dir.resolve("l3.bin");
        try (FileStoreProbeProcess child = FileStoreProbeProcess.start(dir, probeArgs("create-paused", file)))
        {
            assertNotNull(child.awaitLine("PREALLOCATING"), String.valueOf(child.seen()));
            child.kill();
        }

        assertFalse(Files.exists(file), "a creation killed half way leaves no file under the real name");
        assertEquals(1, leftovers().size(), "its temporary file is still there: " + leftovers());
        try (FileStore store = FileStore.open(config(file)))
        {
            assertEquals(0, store.recover().size());
        }
        assertEquals(List.of(), leftovers(), "the next open removed the leftover");
        try (FileStore again = FileStore.open(config(file)))
        {
            assertEquals(0, again.recover().size());
        }
    }

    @Test
    void killsAtRandomMomentsOfCreation_alwaysLeaveAFileThatOpens() throws Exception
    {
        final SplittableRandom random = new SplittableRandom(SEED);
        int killedDuringCreation = 0;
        int opened = 0;
        for (int trial = 0; trial < RANDOM_KILLS; trial++)
        {
            final Path file = dir.resolve("kill-" + trial + ".bin");
            final long delayMillis = random.nextLong(400);
            final boolean created;
            try (FileStoreProbeProcess child = FileStoreProbeProcess.start(dir, probeArgs("create", file)))
            {
                assertNotNull(child.awaitLine("CREATING"), String.valueOf(child.seen()));
                Thread.sleep(delayMillis);
                child.kill();
            }
            // the real name appears only once the creation is complete; a temporary file means it had begun
            created = Files.exists(file);
            if (!created && !leftovers().isEmpty())
            {
                killedDuringCreation++;
            }
            try (FileStore store = FileStore.open(config(file)))
            {
                assertEquals(0, store.recover().size(), "trial " + trial + " delay=" + delayMillis + "ms " + seedNote());
                opened++;
            }
        }
        System.out.println("creation kills: " + RANDOM_KILLS + ", of them during the creation (temporary file made, " +
            "real name not yet): " + killedDuringCreation + "; files that opened afterwards: " + opened + " of " + RANDOM_KILLS +
            "; " + seedNote());
        assertEquals(RANDOM_KILLS, opened);
        assertEquals(List.of(), leftovers());
    }

    @Test
    void racingCreates_loserIsToldWhoHoldsTheLock() throws Exception
    {
        final Path file = dir.resolve("race.bin");
        try (FileStoreProbeProcess slow = FileStoreProbeProcess.start(dir, probeArgs("create-paused", file));
             FileStoreProbeProcess fast = FileStoreProbeProcess.start(dir, probeArgs("hold", file)))
        {
            assertNotNull(slow.awaitLine("PREALLOCATING"), String.valueOf(slow.seen()));
            assertEquals("OPENED 0", fast.awaitResult(), "the second creator finishes first and holds the file");

            slow.answer();
            final String loser = slow.awaitResult();
            assertTrue(loser.startsWith("FAILED") && loser.contains("locked by another process (pid " + fast.pid() + ";") &&
                !loser.contains("not a tiercache file store"), loser);

            fast.answer();
            assertEquals(0, fast.awaitExit(), String.valueOf(fast.seen()));
            assertEquals(0, slow.awaitExit(), String.valueOf(slow.seen()));
        }
        try (FileStore store = FileStore.open(config(file)))
        {
            assertEquals(0, store.recover().size());
        }
        assertEquals(List.of(), leftovers());
    }

    @Test
    void anyBitFlipInOneHeaderCopy_opensFromTheOtherAndRepairsIt() throws IOException
    {
        final SplittableRandom random = new SplittableRandom(SEED);
        final Path file = dir.resolve("flips.bin");
        final List<FileStoreTest.Sample> samples = writeEntries(file, 5, random);
        final byte[] intact = readBytes(file, 0, FileHeaderDescriptor.LENGTH);
        assertArrayEquals(intact, readBytes(file, FileHeaderDescriptor.MIRROR_OFFSET, FileHeaderDescriptor.LENGTH),
            "a new file has its mirror");
        for (final int copy : new int[] {FileHeaderDescriptor.PRIMARY_OFFSET, FileHeaderDescriptor.MIRROR_OFFSET})
        {
            for (int offset = 0; offset < FileHeaderDescriptor.LENGTH; offset++)
            {
                final int bit = random.nextInt(8);
                flipBit(file, copy + offset, bit);
                final String flip = "bit " + bit + " of byte " + offset + " in the copy at " + copy + "; " + seedNote();
                try (FileStore store = FileStore.open(config(file)))
                {
                    assertEquals(samples.size(), store.recover().size(), flip);
                    for (final FileStoreTest.Sample sample : samples)
                    {
                        assertArrayEquals(sample.value, FileStoreTest.readAll(store, sample.location), flip);
                    }
                }
                assertArrayEquals(intact, readBytes(file, FileHeaderDescriptor.PRIMARY_OFFSET, FileHeaderDescriptor.LENGTH), flip);
                assertArrayEquals(intact, readBytes(file, FileHeaderDescriptor.MIRROR_OFFSET, FileHeaderDescriptor.LENGTH), flip);
            }
        }
    }

    @Test
    void versionFlipInOneCopy_isNotANewerFormat() throws IOException
    {
        final Path file = dir.resolve("version.bin");
        writeEntries(file, 1, new SplittableRandom(SEED));
        flipBit(file, FileHeaderDescriptor.VERSION_OFFSET, 1);

        try (FileStore store = FileStore.open(config(file)))
        {
            assertEquals(1, store.recover().size());
        }
    }

    @Test
    void bothHeaderCopiesBad_reportedAsCorrupt() throws IOException
    {
        final Path file = dir.resolve("both.bin");
        writeEntries(file, 1, new SplittableRandom(SEED));
        flipBit(file, FileHeaderDescriptor.PRIMARY_OFFSET + FileHeaderDescriptor.VERSION_OFFSET, 1);
        flipBit(file, FileHeaderDescriptor.MIRROR_OFFSET + FileHeaderDescriptor.REGION_COUNT_OFFSET, 3);

        final FileStoreException ex = assertThrows(FileStoreException.class, () -> FileStore.open(config(file)));

        assertTrue(ex.getMessage().contains(file.toString()) && ex.getMessage().contains("corrupt header") &&
            ex.getMessage().contains("neither copy verifies") && !ex.getMessage().contains("newer"), ex.getMessage());
    }

    @Test
    void fileFromBeforeTheMirror_opensAndGainsItsMirror() throws IOException
    {
        final Path file = dir.resolve("old.bin");
        final List<FileStoreTest.Sample> samples = writeEntries(file, 3, new SplittableRandom(SEED));
        final byte[] primary = readBytes(file, 0, FileHeaderDescriptor.LENGTH);
        writeBytes(file, FileHeaderDescriptor.MIRROR_OFFSET, new byte[FileHeaderDescriptor.LENGTH]);
        writeBytes(file, FileHeaderDescriptor.OWNER_PID_OFFSET, new byte[Long.BYTES]);

        try (FileStore store = FileStore.open(config(file)))
        {
            assertEquals(samples.size(), store.recover().size());
        }
        assertArrayEquals(primary, readBytes(file, FileHeaderDescriptor.MIRROR_OFFSET, FileHeaderDescriptor.LENGTH));
    }

    @Test
    void truncatedFile_recoversEveryEntryTheRemainingLengthHolds() throws IOException
    {
        final SplittableRandom random = new SplittableRandom(SEED);
        final Path file = dir.resolve("cut.bin");
        final List<FileStoreTest.Sample> samples = writeEntries(file, 40, random);
        final long cut = FileHeaderDescriptor.REGIONS_OFFSET + 2 * REGION + random.nextLong(REGION);
        try (FileChannel channel = FileChannel.open(file, StandardOpenOption.WRITE))
        {
            channel.truncate(cut);
        }
        final List<FileStoreTest.Sample> whole = new ArrayList<>();
        for (final FileStoreTest.Sample sample : samples)
        {
            if (sample.location + wholeLength(sample) <= cut)
            {
                whole.add(sample);
            }
        }
        final String note = "cut=" + cut + " " + seedNote();

        try (FileStore store = FileStore.open(config(file)))
        {
            assertEquals(cut, store.truncatedLengthAtOpen(), note);
            assertEquals(2, store.firstRegionCutAtOpen(), note);
            assertEquals(whole.size(), store.recover().size(), note);
            for (final FileStoreTest.Sample sample : whole)
            {
                assertArrayEquals(sample.value, FileStoreTest.readAll(store, sample.location), note);
            }
            assertTrue(store.stats().corruptEntriesSkipped() <= 2,
                "at most the entry the cut went through and the zeros after it: " + note);
            final FileStoreTest.Sample more = FileStoreTest.Sample.random(random, 3000, false);
            final long location = store.append(more.keyHash, more.key(), more.meta(), more.value(), null);
            assertArrayEquals(more.value, FileStoreTest.readAll(store, location), note);
        }
        assertEquals(config(file).fileLengthBytes(), Files.size(file));
        try (FileStore again = FileStore.open(config(file)))
        {
            assertEquals(-1, again.truncatedLengthAtOpen());
            assertEquals(whole.size() + 1, again.recover().size(), note);
        }
    }

    @Test
    void truncatedWhileMapped_turnsTheStoreOffInsteadOfKillingTheProcess() throws Exception
    {
        final Path file = dir.resolve("sigbus.bin");
        try (FileStoreProbeProcess child = FileStoreProbeProcess.start(dir, probeArgs("append-after-truncate", file)))
        {
            assertNotNull(child.awaitLine("READY"), String.valueOf(child.seen()));
            try (FileChannel channel = FileChannel.open(file, StandardOpenOption.WRITE))
            {
                channel.truncate(FileHeaderDescriptor.REGIONS_OFFSET + 4096);
            }
            child.answer();

            final int exit = child.awaitExit();

            final String seen = String.valueOf(child.seen());
            assertEquals(0, exit, seen);
            assertTrue(child.seen().stream().anyMatch(line -> line.startsWith("APPENDED " + FileStore.FULL + " failure=") &&
                line.contains("truncated to length=" + (FileHeaderDescriptor.REGIONS_OFFSET + 4096))), seen);
            assertTrue(child.seen().contains("READ " + FileStore.CORRUPT), seen);
            assertTrue(child.seen().contains("CLOSED"), seen);
        }
    }

    @Test
    void healthyStore_hasNoFailure()
    {
        try (FileStore store = FileStore.open(config(dir.resolve("fine.bin"))))
        {
            assertNull(store.failure());
            assertEquals(-1, store.truncatedLengthAtOpen());
            assertEquals(-1, store.firstRegionCutAtOpen());
        }
    }

    private List<FileStoreTest.Sample> writeEntries(final Path file, final int count, final SplittableRandom random)
    {
        final List<FileStoreTest.Sample> samples = new ArrayList<>();
        try (FileStore store = FileStore.open(config(file)))
        {
            for (int i = 0; i < count; i++)
            {
                final FileStoreTest.Sample sample = FileStoreTest.Sample.random(random, 500 + random.nextInt(8000), false);
                samples.add(sample.at(store.append(sample.keyHash, sample.key(), sample.meta(), sample.value(), null)));
            }
        }
        return samples;
    }

    private static long wholeLength(final FileStoreTest.Sample sample)
    {
        return EntryHeaderDescriptor.entryLength(sample.key.length, sample.meta.length, sample.value.length);
    }

    private static void flipBit(final Path file, final long position, final int bit) throws IOException
    {
        final byte[] one = readBytes(file, position, 1);
        one[0] ^= (byte)(1 << bit);
        writeBytes(file, position, one);
    }

    private static byte[] readBytes(final Path file, final long position, final int length) throws IOException
    {
        try (FileChannel channel = FileChannel.open(file, StandardOpenOption.READ))
        {
            final ByteBuffer buffer = ByteBuffer.allocate(length);
            while (buffer.hasRemaining())
            {
                assertTrue(channel.read(buffer, position + buffer.position()) >= 0, "read past the end at " + position);
            }
            return buffer.array();
        }
    }

    private static void writeBytes(final Path file, final long position, final byte[] bytes) throws IOException
    {
        try (FileChannel channel = FileChannel.open(file, StandardOpenOption.WRITE))
        {
            channel.write(ByteBuffer.wrap(bytes), position);
        }
    }
}
