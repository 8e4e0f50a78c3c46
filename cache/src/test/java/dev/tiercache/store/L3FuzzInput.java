package dev.tiercache.store;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;

/**
 * Turns a fuzzer's bytes into an L3 file, for the fuzz tests of the recovery scan and of the
 * read-only tools.
 *
 * <p>Random bytes almost never pass a CRC32C, so a fuzzer fed only raw files would test the magic
 * and checksum checks and little else. The input therefore chooses one of four ways to build the
 * file; the first byte is the mode:
 * <pre>
 *   mode &amp; 3 == 0   the rest of the input is the whole file
 *   mode &amp; 3 == 1   a valid template file, patched
 *   mode &amp; 3 == 2   the template, patched, then every header checksum (file header copies,
 *                   region headers, the template's entry headers) recomputed over the patched
 *                   bytes, so patched lengths, sequences and generations reach the code that
 *                   trusts a verified header; with mode bit 3 the entries' payload checksums too
 *   mode &amp; 3 == 3   the rest of the input is the whole file, with both file header copies'
 *                   checksums recomputed: any geometry reaches the opener
 *   mode bit 2      a truncation follows: u16 little-endian, the file's new length
 * </pre>
 * Patches (modes 1 and 2) follow until the input ends: a u16 little-endian offset into the
 * template, a byte whose low 5 bits are a length n, then n bytes written there (clipped at the
 * file's end).
 *
 * <p>The template ({@link #REGION_SIZE_BYTES} x {@link #REGION_COUNT}, 36 KiB) is made once per
 * JVM by a real {@link FileStore} from a fixed seed: raw and LZ4 entries, a removed one, a
 * replaced key, and one trip around the ring, so a reused region has stale entries of an older
 * generation beyond its write limit.
 */
public final class L3FuzzInput
{
    /** The template's region size. */
    public static final long REGION_SIZE_BYTES = FileStoreConfig.MIN_REGION_SIZE_BYTES;

    /** The template's region count. */
    public static final int REGION_COUNT = 4;

    private static final long TEMPLATE_SEED = 0x7C3L;
    private static final int MODE_RAW = 0;
    private static final int MODE_PATCHED = 1;
    private static final int MODE_PATCHED_CHECKSUMS_FIXED = 2;
    private static final int BIT_TRUNCATE = 4;
    private static final int BIT_PAYLOAD_CHECKSUMS = 8;

    private static volatile Template template;

    private record Template(byte[] bytes, long[] entryLocations)
    {
    }

    private L3FuzzInput()
    {
    }

    /**
     * The configuration a fuzzed file is opened with: the template's geometry, LZ4 registered.
     *
     * @param file the file.
     * @param verifyPayloadsOnOpen whether the open scan reads every payload.
     * @return the configuration.
     */
    public static FileStoreConfig config(final Path file, final boolean verifyPayloadsOnOpen)
    {
        return config(file, verifyPayloadsOnOpen, (location, keyHash) -> { });
    }

    /**
     * Like {@link #config(Path, boolean)}, with a reclaim listener.
     *
     * @param file                 the file.
     * @param verifyPayloadsOnOpen whether the open scan reads every payload.
     * @param reclaimListener      hears about entries overwritten by a reclaim.
     * @return the configuration.
     */
    public static FileStoreConfig config(final Path file, final boolean verifyPayloadsOnOpen, final FileStore.ReclaimListener reclaimListener)
    {
        return FileStoreConfig.builder(file).regionSizeBytes(REGION_SIZE_BYTES).regionCount(REGION_COUNT)
            .codecs(Codecs.lz4()).verifyPayloadsOnOpen(verifyPayloadsOnOpen).reclaimListener(reclaimListener).build();
    }

    /**
     * Builds the file the input describes and writes it, replacing {@code file}.
     *
     * @param input the fuzzer's bytes.
     * @param file  where to write, owner-only.
     */
    public static void write(final byte[] input, final Path file)
    {
        try
        {
            Files.deleteIfExists(file);
            Files.write(Files.createFile(file, java.nio.file.attribute.PosixFilePermissions.asFileAttribute(
                java.nio.file.attribute.PosixFilePermissions.fromString("rw-------"))), build(input));
        }
        catch (final IOException ex)
        {
            throw new UncheckedIOException(ex);
        }
    }

    /**
     * The file the input describes.
     *
     * @param input the fuzzer's bytes.
     * @return the file's bytes.
     */
    public static byte[] build(final byte[] input)
    {
        if (input.length == 0)
        {
            return input;
        }
        final int mode = input[0] & 0xFF;
        int at = 1;
        int truncateTo = -1;
        if ((mode & BIT_TRUNCATE) != 0 && input.length >= at + 2)
        {
            truncateTo = u16(input, at);
            at += 2;
        }
        final byte[] bytes;
        switch (mode & 3)
        {
            case MODE_RAW -> bytes = Arrays.copyOfRange(input, at, input.length);
            case MODE_PATCHED, MODE_PATCHED_CHECKSUMS_FIXED ->
            {
                final Template t = template();
                bytes = t.bytes.clone();
                while (at + 3 <= input.length)
                {
                    final int offset = u16(input, at);
                    final int length = input[at + 2] & 0x1F;
                    at += 3;
                    for (int i = 0; i < length && at < input.length; i++, at++)
                    {
                        if (offset + i < bytes.length)
                        {
                            bytes[offset + i] = input[at];
                        }
                    }
                }
                if ((mode & 3) == MODE_PATCHED_CHECKSUMS_FIXED)
                {
                    fixChecksums(bytes, t.entryLocations, (mode & BIT_PAYLOAD_CHECKSUMS) != 0);
                }
            }
            default ->
            {
                bytes = Arrays.copyOfRange(input, at, input.length);
                fixChecksums(bytes, new long[0], false);
            }
        }
        return truncateTo >= 0 && truncateTo < bytes.length ? Arrays.copyOf(bytes, truncateTo) : bytes;
    }

    /**
     * The template's bytes (a copy), for seeds and the deterministic sweep.
     *
     * @return a valid store file.
     */
    public static byte[] templateBytes()
    {
        return template().bytes.clone();
    }

    /**
     * Where the template's entries (live, removed, superseded and stale alike) start.
     *
     * @return file offsets of entry headers, ascending.
     */
    public static long[] templateEntryLocations()
    {
        return template().entryLocations.clone();
    }

    private static void fixChecksums(final byte[] bytes, final long[] entries, final boolean payloads)
    {
        final MemorySegment file = MemorySegment.ofArray(bytes);
        for (final int copy : new int[] {FileHeaderDescriptor.PRIMARY_OFFSET, FileHeaderDescriptor.MIRROR_OFFSET})
        {
            if (bytes.length >= copy + FileHeaderDescriptor.LENGTH)
            {
                final MemorySegment header = file.asSlice(copy, FileHeaderDescriptor.LENGTH);
                header.set(FileHeaderDescriptor.INT, FileHeaderDescriptor.CHECKSUM_OFFSET, FileHeaderDescriptor.computeChecksum(header));
            }
        }
        for (int region = 0; region < REGION_COUNT; region++)
        {
            final long base = FileScan.regionBase(region, REGION_SIZE_BYTES);
            if (base + FileRegionDescriptor.LENGTH <= bytes.length &&
                file.get(FileHeaderDescriptor.INT, base + FileRegionDescriptor.MAGIC_OFFSET) == FileRegionDescriptor.MAGIC)
            {
                file.set(FileHeaderDescriptor.INT, base + FileRegionDescriptor.CHECKSUM_OFFSET,
                    Crc32c.of(file, base, FileRegionDescriptor.CHECKSUM_OFFSET));
            }
        }
        for (final long location : entries)
        {
            if (location + EntryHeaderDescriptor.LENGTH > bytes.length)
            {
                continue;
            }
            if (payloads)
            {
                final long keyLength = EntryHeaderDescriptor.keyLength(file, location);
                final long metaLength = EntryHeaderDescriptor.metaLength(file, location);
                final long storedLength = EntryHeaderDescriptor.storedLength(file, location);
                if (keyLength >= 0 && metaLength >= 0 && storedLength >= 0 && storedLength < bytes.length)
                {
                    final long end = location + EntryHeaderDescriptor.storedOffset(keyLength, metaLength) + storedLength;
                    if (end <= bytes.length)
                    {
                        file.set(FileHeaderDescriptor.INT, location + EntryHeaderDescriptor.PAYLOAD_CHECKSUM_OFFSET,
                            EntryHeaderDescriptor.computePayloadChecksum(file, location));
                    }
                }
            }
            file.set(FileHeaderDescriptor.INT, location + EntryHeaderDescriptor.HEADER_CHECKSUM_OFFSET,
                EntryHeaderDescriptor.computeHeaderChecksum(file, location));
        }
    }

    private static int u16(final byte[] input, final int at)
    {
        return (input[at] & 0xFF) | (input[at + 1] & 0xFF) << 8;
    }

    private static Template template()
    {
        Template t = template;
        if (t == null)
        {
            synchronized (L3FuzzInput.class)
            {
                t = template;
                if (t == null)
                {
                    t = makeTemplate();
                    template = t;
                }
            }
        }
        return t;
    }

    private static Template makeTemplate()
    {
        try
        {
            final Path dir = Files.createTempDirectory("l3-fuzz-template");
            final Path file = dir.resolve("template.bin");
            final SplittableRandom random = new SplittableRandom(TEMPLATE_SEED);
            try (FileStore store = FileStore.open(config(file, true));
                 Arena arena = Arena.ofConfined())
            {
                long replaced = -1;
                // about six regions' worth: the ring wraps once and a half
                for (int i = 0; i < 110; i++)
                {
                    final byte[] key = ("key-" + (i % 90)).getBytes(java.nio.charset.StandardCharsets.US_ASCII);
                    final byte[] meta = new byte[random.nextInt(12)];
                    random.nextBytes(meta);
                    final byte[] value = new byte[16 + random.nextInt(800)];
                    final boolean compressible = random.nextBoolean();
                    if (compressible)
                    {
                        Arrays.fill(value, (byte)(i & 0x7F));
                    }
                    else
                    {
                        random.nextBytes(value);
                    }
                    final long location = store.append(i % 90, segment(arena, key), segment(arena, meta), segment(arena, value),
                        compressible ? Codecs.lz4() : null);
                    if (i == 100)
                    {
                        replaced = location;
                    }
                    if (i == 105)
                    {
                        store.remove(location);
                    }
                }
                if (replaced > 0)
                {
                    store.remove(replaced);
                }
            }
            final byte[] bytes = Files.readAllBytes(file);
            Files.delete(file);
            Files.delete(dir);
            return new Template(bytes, entryLocations(bytes));
        }
        catch (final IOException ex)
        {
            throw new UncheckedIOException(ex);
        }
    }

    private static MemorySegment segment(final Arena arena, final byte[] bytes)
    {
        final MemorySegment segment = arena.allocate(Math.max(1, bytes.length));
        MemorySegment.copy(bytes, 0, segment, ValueLayout.JAVA_BYTE, 0, bytes.length);
        return segment.asSlice(0, bytes.length);
    }

    /** Every offset in the regions that holds a valid entry header, of any generation. */
    private static long[] entryLocations(final byte[] bytes)
    {
        final MemorySegment file = MemorySegment.ofArray(bytes);
        final List<Long> found = new ArrayList<>();
        for (int region = 0; region < REGION_COUNT; region++)
        {
            final long base = FileScan.regionBase(region, REGION_SIZE_BYTES);
            final long end = Math.min(bytes.length, base + REGION_SIZE_BYTES);
            for (long position = base + FileRegionDescriptor.LENGTH; position + EntryHeaderDescriptor.LENGTH <= end;
                 position += EntryHeaderDescriptor.ALIGNMENT)
            {
                if (EntryHeaderDescriptor.check(file, position, end) == EntryHeaderDescriptor.VALID)
                {
                    found.add(position);
                }
            }
        }
        return found.stream().mapToLong(Long::longValue).toArray();
    }
}
