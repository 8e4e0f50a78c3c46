package dev.tiercache.store;

import com.code_intelligence.jazzer.junit.FuzzTest;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * The L3 file format against arbitrary bytes (built by {@link L3FuzzInput}): opening and
 * recovering a store, and the read-only {@link FileStore#inspect}/{@link FileStore#verify}.
 *
 * <p>What must hold for every input: the only exception is {@link FileStoreException}, and its
 * message names the file; nothing reads outside the mapping (the segments are bounds-checked, so
 * such a read would escape as {@link IndexOutOfBoundsException} and fail here); every recovered
 * entry reads back as its full length or as {@link FileStore#CORRUPT}; the store keeps working
 * after recovery, and what is appended to it, through reclaims of fuzzed regions, reads back byte
 * for byte; a file that {@code verify} finds clean, {@code inspect} finds clean too; and opening
 * recovers exactly the entries {@code verify} counted live.
 *
 * <p>Without {@code JAZZER_FUZZ} (every {@code ./mvnw verify}) each method replays the inputs
 * committed under {@code src/test/resources/dev/tiercache/store/L3FileFuzzTestInputs/}. With the
 * {@code fuzz} profile it fuzzes; see the profile in this module's pom.
 */
class L3FileFuzzTest
{
    private static final Path DIR = temporaryFolder();
    /** Bytes read back from one recovered entry at most; larger raw lengths get a too-small buffer. */
    private static final long READ_CAP_BYTES = 1L << 20;
    private static final int APPENDS_AFTER_RECOVERY = 9;

    @FuzzTest(maxDuration = "30s")
    void recoveryScan(final byte[] input)
    {
        final Path file = DIR.resolve("recover.bin");
        L3FuzzInput.write(input, file);
        try
        {
            final long verifiedLive = liveOrMinusOne(file);
            openRecoverReadAppend(file, true, verifiedLive);
            // again without payload checks at open: now reads meet the bad payloads
            openRecoverReadAppend(file, false, -1);
        }
        finally
        {
            deleteAll(file);
        }
    }

    @FuzzTest(maxDuration = "30s")
    void inspectAndVerify(final byte[] input)
    {
        final Path file = DIR.resolve("inspect.bin");
        L3FuzzInput.write(input, file);
        try
        {
            final FileStoreReport inspected;
            final FileStoreReport verified;
            try
            {
                inspected = FileStore.inspect(file);
                verified = FileStore.verify(file);
            }
            catch (final FileStoreException ex)
            {
                assertNamesFile(ex, file);
                return;
            }
            for (final FileStoreReport report : List.of(inspected, verified))
            {
                final List<FileStoreReport.RegionReport> regions = report.regions();
                assertTrue(!regions.isEmpty() && regions.size() <= report.regionCount(), "regions reported: " + regions.size());
                assertTrue(regions.getLast().state() == FileStoreReport.RegionState.MISSING ||
                    regions.getLast().index() == report.regionCount() - 1, () -> "every region is accounted for: " + regions.getLast());
                assertTrue(!report.truncated() || !report.clean(), "a truncated file is not clean");
                assertTrue(report.liveEntries() >= 0 && report.liveRawBytes() >= 0 && report.liveStoredBytes() >= 0, report::toString);
                report.badEntries().forEach(bad -> assertTrue(bad.reason() != null && !bad.reason().isEmpty()));
            }
            assertEquals(inspected.regionCount(), verified.regionCount());
            if (verified.clean())
            {
                assertTrue(inspected.clean(), "verify found the file clean but inspect did not: " + inspected.badEntries());
            }
            assertTrue(verified.liveEntries() <= inspected.liveEntries(),
                "verify counts only entries whose payload is intact: " + verified.liveEntries() + " > " + inspected.liveEntries());
        }
        finally
        {
            deleteAll(file);
        }
    }

    /** The live entries {@code verify} counts, or -1 when it cannot read the file. */
    private static long liveOrMinusOne(final Path file)
    {
        try
        {
            final FileStoreReport report = FileStore.verify(file);
            return report.regionSizeBytes() == L3FuzzInput.REGION_SIZE_BYTES && report.regionCount() == L3FuzzInput.REGION_COUNT ?
                report.liveEntries() : -1;
        }
        catch (final FileStoreException ex)
        {
            assertNamesFile(ex, file);
            return -1;
        }
    }

    private static void openRecoverReadAppend(final Path file, final boolean verifyPayloads, final long expectedLive)
    {
        final FileStore store;
        final Set<Long> reclaimed = new HashSet<>();
        try
        {
            store = FileStore.open(L3FuzzInput.config(file, verifyPayloads, (location, keyHash) -> reclaimed.add(location)));
        }
        catch (final FileStoreException ex)
        {
            assertNamesFile(ex, file);
            return;
        }
        try (store; Arena arena = Arena.ofConfined())
        {
            final List<RecoveredEntry> recovered = store.recover();
            if (expectedLive >= 0)
            {
                assertEquals(expectedLive, recovered.size(), "open recovers what verify counted live");
            }
            for (final RecoveredEntry entry : recovered)
            {
                assertTrue(entry.location() >= FileHeaderDescriptor.REGIONS_OFFSET &&
                    entry.location() < store.config().fileLengthBytes(), () -> "location outside the regions: " + entry);
                final MemorySegment dst = arena.allocate(Math.max(1, Math.min(entry.rawLength(), READ_CAP_BYTES)));
                try
                {
                    final long read = store.read(entry.location(), entry.sequence(), dst);
                    assertTrue(read == entry.rawLength() || read == FileStore.CORRUPT || read == FileStore.CODEC_MISSING,
                        () -> "read " + read + " of " + entry);
                }
                catch (final IllegalArgumentException ex)
                {
                    assertTrue(dst.byteSize() < entry.rawLength(), () -> "refused a large enough buffer: " + ex.getMessage());
                }
            }
            appendAndReadBack(store, arena, reclaimed);
        }
    }

    /** Appends enough to reclaim regions the fuzzer wrote, then reads every append back. */
    private static void appendAndReadBack(final FileStore store, final Arena arena, final Set<Long> reclaimed)
    {
        final List<long[]> appended = new ArrayList<>();
        final List<byte[]> values = new ArrayList<>();
        for (int i = 0; i < APPENDS_AFTER_RECOVERY; i++)
        {
            final byte[] value = new byte[3000 + i];
            for (int b = 0; b < value.length; b++)
            {
                value[b] = (byte)(b * 31 + i);
            }
            final MemorySegment key = arena.allocateFrom("fresh-" + i);
            final MemorySegment raw = arena.allocate(value.length);
            MemorySegment.copy(value, 0, raw, ValueLayout.JAVA_BYTE, 0, value.length);
            final long location = store.append(-1 - i, key, arena.allocate(0), raw, null);
            if (location == FileStore.FULL)
            {
                assertTrue(store.failure() != null, "an append that fits a region was refused on a healthy store");
                return;
            }
            appended.add(new long[] {location, store.sequence(location)});
            values.add(value);
        }
        // only the appends still in the ring: the oldest may have been reclaimed by later ones
        for (int i = 0; i < appended.size(); i++)
        {
            final long[] at = appended.get(i);
            if (reclaimed.contains(at[0]))
            {
                continue;
            }
            final byte[] expected = values.get(i);
            final MemorySegment dst = arena.allocate(expected.length);
            final long read = store.read(at[0], at[1], dst);
            assertEquals(expected.length, read, "a fresh append read back");
            assertArrayEquals(expected, dst.toArray(ValueLayout.JAVA_BYTE), "a fresh append read back byte for byte");
        }
    }

    private static void assertNamesFile(final FileStoreException ex, final Path file)
    {
        if (ex.getMessage() == null || !ex.getMessage().contains(file.getFileName().toString()))
        {
            fail("a FileStoreException that does not name the file: " + ex.getMessage(), ex);
        }
    }

    private static void deleteAll(final Path file)
    {
        try (var files = Files.list(file.getParent()))
        {
            for (final Path path : files.toList())
            {
                Files.deleteIfExists(path);
            }
        }
        catch (final IOException ex)
        {
            throw new UncheckedIOException(ex);
        }
    }

    private static Path temporaryFolder()
    {
        try
        {
            final Path dir = Files.createTempDirectory("l3-fuzz");
            dir.toFile().deleteOnExit();
            return dir;
        }
        catch (final IOException ex)
        {
            throw new UncheckedIOException(ex);
        }
    }
}
