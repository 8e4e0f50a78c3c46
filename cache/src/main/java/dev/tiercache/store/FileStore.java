package dev.tiercache.store;

import dev.tiercache.libc.Libc;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.file.DirectoryStream;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.FileAttribute;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.zip.CRC32C;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.ReentrantReadWriteLock;

/**
 * L3: entries appended to one preallocated, memory-mapped file, as a log of fixed-size regions.
 *
 * <h2>Format</h2>
 * A 4 KiB file header ({@link FileHeaderDescriptor}: magic, format version, geometry, CRC32C),
 * then {@code regionCount} regions of {@code regionSize} bytes. Each region starts with a
 * {@link FileRegionDescriptor} header (generation, state, write limit) followed by entries
 * ({@link EntryHeaderDescriptor}: lengths, codec, sequence, key hash, the region's generation,
 * CRC32C of header and payload; then key, meta and the stored bytes, 8-byte aligned). Entries are
 * appended to the active region, so the disk sees sequential writes; when it is full the next
 * region in file order becomes active, and if that one holds entries it is reclaimed whole. Regions
 * are therefore used in a ring and the one after the active region is always the oldest: reclaim
 * is FIFO without any bookkeeping. An entry's location is the file offset of its header.
 *
 * <h2>Failure</h2>
 * The file is reserved with {@code posix_fallocate} before it is mapped: a sparse file on a full
 * disk would turn a later store into the mapping into {@code SIGBUS}, which kills the JVM. When
 * there is no room, {@link #open} fails with the sizes and removes the file it created. Every
 * header carries a CRC32C, every payload too, and every read verifies the payload: a torn or
 * corrupted entry is counted and reported as {@link #CORRUPT}, never returned. A new file is made
 * under a temporary name in the same folder (preallocated, locked, both header copies written and
 * forced) and only then linked to its real name, so a kill during creation leaves nothing there;
 * the next open removes the temporary files of creators that are gone. Opening an existing file
 * takes its lock before reading a byte, then validates the header (magic, checksum, version,
 * geometry; from whichever of its two copies verifies) with {@code FileChannel.read}, before
 * anything is mapped. A truncated file is extended back to its geometry with zeros before it is
 * mapped, so no access can fault; what lay past the cut is lost and reported
 * ({@link #truncatedLengthAtOpen()}), what remains is recovered. It then scans every region,
 * oldest generation first, skipping and counting bad entries (see {@link FileScan}). The region header's write
 * limit is updated after each entry is complete, so after a process crash the log ends at the
 * last complete entry; after a power loss, entries whose pages did not reach the disk fail their
 * checksums and are skipped. {@link #force()} and {@link #close()} make what was written durable;
 * nothing else forces, since this is a cache.
 *
 * <p>A file truncated by another process while mapped would turn the next access to a page past
 * its new end into {@code SIGBUS}, which the JVM survives only inside its own copy routines (as
 * an {@link InternalError}), not inside CRC32C or a native codec. So every operation that touches
 * the mapping first makes sure the file still covers the mapping (a {@code stat} by name, about
 * 1.6 microseconds, so at most once a millisecond, and on every region switch), and an
 * {@link InternalError} from a mapped access is caught too; either one
 * turns the store off for good with a reason ({@link #failure()}) and nothing touches the mapping
 * again. A truncation between a check and the access (within that millisecond) cannot be caught;
 * no platform API closes that window for a shared file mapping.
 *
 * <h2>Concurrency</h2>
 * One read-write lock. Reads ({@link #read}, {@link #rawLength}, {@link #key}, {@link #meta},
 * {@link #info}, {@link #adviseDontNeed}, {@link #stats}, {@link #force}) share it; appends,
 * removals, recovery and close take it exclusively, so no read ever sees a region being reclaimed
 * or an arena being closed. The {@link ReclaimListener} runs on the appending thread while the
 * exclusive lock is held; it may read but must not append or remove. The mapping lives in a shared
 * arena closed by {@link #close()}; a segment obtained from {@link #key} or {@link #meta} fails
 * cleanly with {@link IllegalStateException} after that. Across processes (and within this one)
 * the file is held with {@link FileChannel#tryLock()}: a second open fails with a clear message.
 * Within one process a registry of open files answers before any second descriptor is opened,
 * because closing any descriptor of a file drops every POSIX lock the process holds on it.
 *
 * <h2>Allocation</h2>
 * {@link #read}, {@link #rawLength}, {@link #remove} and {@link #append} allocate only the small
 * checksum objects the JDK's CRC32C needs (and a listener object when a region is reclaimed).
 */
public final class FileStore implements AutoCloseable
{
    /** {@link #append} result: the entry can never fit, it is larger than a region. */
    public static final long FULL = -1;

    /** Read result: the entry's header or payload failed its checksum or checks (counted). */
    public static final long CORRUPT = -2;

    /** Bytes copied and summed at a time by a raw read: well inside a core's L2 cache. */
    private static final long VERIFY_CHUNK_BYTES = 64 * 1024;

    /** {@link #read(long, long, MemorySegment)} argument: accept whatever entry is at the location. */
    public static final long ANY_SEQUENCE = -1;

    /** Read result: no current entry starts at the location (removed, or reclaimed since). */
    public static final long NO_ENTRY = -3;

    /** {@link #read} result: the entry was compressed by a codec this store is not configured with. */
    public static final long CODEC_MISSING = -4;

    /**
     * Hears about the live entries of a region just before the region is overwritten, so the
     * cache can drop its index entries for them.
     *
     * <p>Called on the appending thread, under the store's exclusive lock, once per entry that is
     * neither removed nor superseded; it may also hear about locations the cache never indexed
     * (entries whose payload failed verification when the store was opened) and should ignore
     * those. It may {@link #read} the entry but must not append or remove. If it throws, the
     * append fails with that exception and the region is left as it was.
     */
    @FunctionalInterface
    public interface ReclaimListener
    {
        /**
         * An entry is about to be overwritten.
         *
         * @param location the entry's location, as {@link #append} returned it.
         * @param keyHash  the key hash it was appended with.
         */
        void onReclaim(long location, long keyHash);
    }

    /**
     * An entry's header fields.
     *
     * @param location     the entry's location.
     * @param keyHash      the key hash.
     * @param sequence     the entry's sequence.
     * @param codecId      0 raw, else the codec's id.
     * @param keyLength    key bytes.
     * @param metaLength   meta bytes.
     * @param rawLength    bytes a read restores.
     * @param storedLength bytes on disk.
     */
    public record EntryInfo(
        long location, long keyHash, long sequence, int codecId, int keyLength, int metaLength, long rawLength, long storedLength)
    {
    }

    /** Reserves a file's blocks; a seam so tests can make the disk "full". */
    @FunctionalInterface
    interface Preallocator
    {
        /**
         * Reserves {@code [0, length)} of {@code file}.
         *
         * @param file   an existing file, not locked by this process.
         * @param length bytes.
         * @return 0 or an errno value.
         */
        int preallocate(Path file, long length);
    }

    private static final Preallocator POSIX_FALLOCATE = (file, length) -> Libc.posixFallocate(file, 0, length);
    private static final System.Logger LOGGER = System.getLogger(FileStore.class.getName());
    private static final int LOGGED_BAD_ENTRIES = 8;
    private static final Set<Object> OPEN_FILES = ConcurrentHashMap.newKeySet();
    private static final String CREATING_SUFFIX = ".creating";
    /** How stale the knowledge that the file still covers the mapping may be: 1 ms. */
    private static final long LENGTH_CHECK_INTERVAL_NANOS = 1_000_000;
    private static final AtomicLong CREATIONS = new AtomicLong();
    private static final FileAttribute<Set<PosixFilePermission>> OWNER_ONLY =
        PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------"));

    private final FileStoreConfig config;
    private final Path path;
    private final Object fileKey;
    private final FileChannel channel;
    private final FileLock fileLock;
    private final Arena arena;
    private final MemorySegment file;
    private final long regionSize;
    private final int regionCount;
    private final long fileLength;
    private final ReentrantReadWriteLock lock = new ReentrantReadWriteLock();
    private final AtomicLong corruptReads = new AtomicLong();

    // Guarded by lock: written under the write lock, read under either.
    private long[] regionSequence;
    private long[] regionWriteLimit;
    private int[] regionLive;
    private long[] regionLiveRaw;
    private long[] regionLiveStored;
    private int activeRegion = -1;
    /**
     * Whether appends must leave the active region for the next one: set when the open scan found
     * a bad entry in it. Appending after bad bytes would change how a later walk of the region
     * (with the larger write limit) reads them, and a walk that steps over a new entry would
     * reclaim it unreported.
     */
    private boolean activeRegionClosed;
    private long nextRegionSequence = 1;
    private long nextEntrySequence = 1;
    private long appendedEntries;
    private long compressedEntries;
    private long reclaimedRegions;
    private long reclaimedEntries;
    private long corruptEntriesSkipped;
    private long corruptRegionsSkipped;
    private int tornHeadersRepaired;
    private List<RecoveredEntry> recoveredAtOpen;
    private boolean closed;
    private long truncatedLengthAtOpen = -1;
    private int firstRegionCutAtOpen = -1;
    private volatile String failure;
    // Racy on purpose: a reader that sees an old value only looks at the file once more.
    private volatile long nextLengthCheckNanos = System.nanoTime();

    private FileStore(
        final FileStoreConfig config,
        final Object fileKey,
        final FileChannel channel,
        final FileLock fileLock,
        final Arena arena,
        final MemorySegment file)
    {
        this.config = config;
        this.path = config.path();
        this.fileKey = fileKey;
        this.channel = channel;
        this.fileLock = fileLock;
        this.arena = arena;
        this.file = file;
        this.regionSize = config.regionSizeBytes();
        this.regionCount = config.regionCount();
        this.fileLength = config.fileLengthBytes();
    }

    /**
     * Creates the file, or reopens it and recovers its entries.
     *
     * <p>Creating: checks the free space, creates a temporary file owner-only ({@code rw-------})
     * beside the real name, preallocates it, locks it, maps it, writes and forces both header
     * copies, and links it to the real name (never replacing a file there; when another opener won
     * that race, its file is opened instead). Reopening: locks the file, validates the header
     * (magic, checksum, version, the configured geometry; from either copy), preallocates again (a
     * copied file may have become sparse, a truncated one is extended back), locks, maps and
     * scans it.
     *
     * @param config the store's settings.
     * @return the open store; its {@link #recover()} answers from the open scan without rescanning.
     * @throws FileStoreException when the file cannot be created or is not a store this
     *                            configuration can open; the message names the file and the values.
     */
    public static FileStore open(final FileStoreConfig config)
    {
        return open(config, POSIX_FALLOCATE);
    }

    static FileStore open(final FileStoreConfig config, final Preallocator preallocator)
    {
        final Path path = config.path();
        removeLeftovers(path);
        if (!Files.exists(path))
        {
            final FileStore created = create(config, preallocator);
            if (created != null)
            {
                return created;
            }
            // another opener put its file in place first: open that one, or be told who holds it
        }
        return reopen(config, preallocator);
    }

    /**
     * Makes the file under a temporary name in the same folder, preallocates it, locks it, writes
     * and forces both header copies, and only then gives it the real name, with a hard link (which
     * never replaces an existing file). A kill at any point leaves nothing under the real name.
     *
     * @return the open store, or null when another opener's file took the real name first.
     */
    private static FileStore create(final FileStoreConfig config, final Preallocator preallocator)
    {
        final Path path = config.path();
        final long length = config.fileLengthBytes();
        final Path folder = path.toAbsolutePath().getParent();
        final long available;
        try
        {
            available = Libc.statvfs(folder).availableBytes();
        }
        catch (final IOException ex)
        {
            throw new FileStoreException(path, "cannot create " + path + ": " + ex.getMessage(), ex);
        }
        if (available < length)
        {
            throw new FileStoreException(path, "not enough disk space to create " + path + ": needs " + length +
                " bytes (regionSizeBytes=" + config.regionSizeBytes() + " x regionCount=" + config.regionCount() +
                " + header), " + available + " bytes available");
        }
        final Path temporary = folder.resolve(temporaryName(path));
        try
        {
            Files.createFile(temporary, OWNER_ONLY);
        }
        catch (final IOException ex)
        {
            throw new FileStoreException(path, "cannot create " + temporary + " (to become " + path + "): " + ex, ex);
        }

        Object fileKey = null;
        FileStore store = null;
        boolean published = false;
        try
        {
            fileKey = register(temporary);
            final int error = preallocator.preallocate(temporary, length);
            if (error != 0)
            {
                throw new FileStoreException(path, "cannot preallocate " + length + " bytes for " + path + ": errno=" +
                    error + " (" + Libc.strerror(error) + "), " + available + " bytes were available; nothing was created");
            }
            store = attach(config, fileKey, temporary, length, true);
            published = publish(temporary, path);
            if (published)
            {
                syncFolder(folder);
                return store;
            }
            return null;
        }
        finally
        {
            if (!published)
            {
                if (store != null)
                {
                    store.close();
                }
                else if (fileKey != null)
                {
                    OPEN_FILES.remove(fileKey);
                }
            }
            // after the link this only drops the second name; the real one stays
            deleteQuietly(temporary);
        }
    }

    /**
     * Opens an existing file: locks it before reading a byte of it, validates the header (either
     * copy) and the geometry, preallocates again (a copied file may have become sparse, a truncated
     * one is extended back to its geometry) and attaches. The probe's lock is let go for the
     * preallocation, which opens a descriptor of its own: closing that would drop a lock held
     * here anyway. Every header read happens under a lock.
     */
    private static FileStore reopen(final FileStoreConfig config, final Preallocator preallocator)
    {
        final Path path = config.path();
        refuseReadOnly(path);
        final Object fileKey = register(path);
        boolean done = false;
        try
        {
            final long lengthAtOpen;
            try (FileChannel probe = FileChannel.open(path, StandardOpenOption.READ, StandardOpenOption.WRITE))
            {
                lockOrExplain(path, probe);
                final Header header = readHeader(path, probe);
                checkGeometry(config, header);
                lengthAtOpen = header.fileLength;
            }
            catch (final java.nio.file.AccessDeniedException ex)
            {
                throw new FileStoreException(path, "cannot open " + path + " for reading and writing: " + describeAccess(path) +
                    "; the cache file must be readable and writable by this process's user", ex);
            }
            catch (final IOException ex)
            {
                throw new FileStoreException(path, "cannot read " + path + ": " + ex, ex);
            }
            final int error = preallocator.preallocate(path, config.fileLengthBytes());
            if (error != 0)
            {
                throw new FileStoreException(path, "cannot preallocate " + config.fileLengthBytes() + " bytes of " + path +
                    ": errno=" + error + " (" + Libc.strerror(error) + ")");
            }
            final FileStore store = attach(config, fileKey, path, lengthAtOpen, false);
            done = true;
            return store;
        }
        finally
        {
            if (!done)
            {
                OPEN_FILES.remove(fileKey);
            }
        }
    }

    /**
     * Refuses an existing file its owner may not write (mode 0400, say): every later write would
     * fail, so it is refused at open, whoever the process runs as (root could write it anyway, which
     * would hide the same mistake until another user runs the cache).
     */
    private static void refuseReadOnly(final Path path)
    {
        try
        {
            final Set<PosixFilePermission> mode = Files.getPosixFilePermissions(path);
            if (!mode.contains(PosixFilePermission.OWNER_WRITE) || !mode.contains(PosixFilePermission.OWNER_READ))
            {
                throw new FileStoreException(path, path + " is not readable and writable by its owner (" + describeAccess(path) +
                    "): a cache file is read and written; make it so (chmod u+rw) or point the cache at another file");
            }
        }
        catch (final UnsupportedOperationException | IOException ex)
        {
            // no POSIX modes here (or the file went): the open itself reports what it finds
        }
    }

    private static String describeAccess(final Path path)
    {
        try
        {
            return "mode " + PosixFilePermissions.toString(Files.getPosixFilePermissions(path)) + ", owner " + Files.getOwner(path).getName() +
                ", this process runs as " + System.getProperty("user.name");
        }
        catch (final UnsupportedOperationException | IOException ex)
        {
            return "its permissions cannot be read: " + ex;
        }
    }

    /**
     * Locks, maps and scans (or initialises) the file; on any failure releases what it took.
     *
     * @param openPath     the name to open: the temporary one while creating.
     * @param lengthAtOpen the file's length before preallocation, to report a truncation.
     */
    private static FileStore attach(
        final FileStoreConfig config, final Object fileKey, final Path openPath, final long lengthAtOpen, final boolean creating)
    {
        final Path path = config.path();
        FileChannel channel = null;
        FileLock fileLock = null;
        Arena arena = null;
        try
        {
            channel = FileChannel.open(openPath, StandardOpenOption.READ, StandardOpenOption.WRITE);
            fileLock = lockOrExplain(path, channel);
            Header header = null;
            if (!creating)
            {
                // Checked again under this lock: the file may have been replaced since the probe.
                header = readHeader(path, channel);
                checkGeometry(config, header);
                if (header.fileLength < config.fileLengthBytes())
                {
                    throw new FileStoreException(path, path + " is still shorter than its geometry after preallocation: length=" +
                        header.fileLength + " < " + config.fileLengthBytes());
                }
            }
            arena = NativeMemoryCounters.countedMapping(config.fileLengthBytes());
            final MemorySegment file = channel.map(FileChannel.MapMode.READ_WRITE, 0, config.fileLengthBytes(), arena);
            final FileStore store = new FileStore(config, fileKey, channel, fileLock, arena, file);
            if (creating)
            {
                FileHeaderDescriptor.write(file, config.regionSizeBytes(), config.regionCount(), System.currentTimeMillis());
            }
            else
            {
                store.repairHeader(header);
            }
            file.set(FileHeaderDescriptor.LONG, FileHeaderDescriptor.OWNER_PID_OFFSET, ProcessHandle.current().pid());
            file.asSlice(0, FileHeaderDescriptor.REGIONS_OFFSET).force();
            store.recoverAtOpen();
            if (lengthAtOpen < config.fileLengthBytes())
            {
                store.reportTruncation(lengthAtOpen);
            }
            return store;
        }
        catch (final IOException | RuntimeException ex)
        {
            if (arena != null)
            {
                arena.close();
            }
            final IOException failure = release(fileLock, channel);
            if (failure != null)
            {
                ex.addSuppressed(failure);
            }
            if (ex instanceof FileStoreException fse)
            {
                throw fse;
            }
            throw new FileStoreException(path, "cannot open " + path + ": " + ex, ex);
        }
    }

    /**
     * Scans the file's headers without opening it for writing or locking it, for tools.
     * Payload checksums are not read; see {@link #verify(Path)}.
     *
     * @param path a store file, possibly in use by another process, possibly truncated.
     * @return what the headers say.
     * @throws FileStoreException when the file is not a readable store, or is open by a
     *                            {@link FileStore} in this process (inspecting it would drop that
     *                            store's lock; use its {@link #stats()}).
     */
    public static FileStoreReport inspect(final Path path)
    {
        return scanReadOnly(path, false);
    }

    /**
     * Like {@link #inspect(Path)}, and checks every payload checksum too (reads the whole file).
     *
     * @param path a store file.
     * @return what the headers and payloads say.
     * @throws FileStoreException as {@link #inspect(Path)}.
     */
    public static FileStoreReport verify(final Path path)
    {
        return scanReadOnly(path, true);
    }

    private static FileStoreReport scanReadOnly(final Path path, final boolean verifyPayloads)
    {
        final Object fileKey = fileKey(path);
        if (OPEN_FILES.contains(fileKey))
        {
            throw new FileStoreException(path, path + " is open by a FileStore in this process; use its stats() " +
                "(a second descriptor here would release that store's lock when closed)");
        }
        try (FileChannel channel = FileChannel.open(path, StandardOpenOption.READ);
             Arena arena = Arena.ofConfined())
        {
            final Header header = readHeader(path, channel);
            final boolean inUse = lockedByOther(channel);
            final long expected = FileHeaderDescriptor.fileLength(header.regionSize, header.regionCount);
            final long mapped = Math.min(header.fileLength, expected);
            final int whole = (int)Math.max(0, (mapped - FileHeaderDescriptor.REGIONS_OFFSET) / header.regionSize);
            // the region the cut went through is scanned too, up to the cut, as reopening the file would
            final boolean cut = whole < header.regionCount &&
                mapped >= FileScan.regionBase(whole, header.regionSize) + FileRegionDescriptor.LENGTH;
            final int present = cut ? whole + 1 : whole;
            final MemorySegment file = channel.map(FileChannel.MapMode.READ_ONLY, 0, mapped, arena);
            // sized by what the file holds, not by what its header declares (a header may declare 2^31 regions)
            final FileScan scan = FileScan.run(file, header.regionSize, present, present, verifyPayloads, false);

            final List<FileStoreReport.RegionReport> regions = new ArrayList<>(present + 1);
            long liveRaw = 0;
            long liveStored = 0;
            for (int region = 0; region < present; region++)
            {
                liveRaw += scan.regionLiveRaw[region];
                liveStored += scan.regionLiveStored[region];
                regions.add(regionReport(scan, region, header.regionSize, cut && region == whole ? mapped : -1));
            }
            if (present < header.regionCount)
            {
                regions.add(new FileStoreReport.RegionReport(present, FileStoreReport.RegionState.MISSING, 0, 0, 0, 0, 0, 0,
                    (present == header.regionCount - 1 ? "region " + present : "regions " + present + " to " + (header.regionCount - 1) +
                        " (" + (header.regionCount - present) + ")") + " past the end of the file (needs " + expected + " bytes)"));
            }
            return new FileStoreReport(path, header.version, header.createdMillis, header.regionSize, header.regionCount,
                header.fileLength, expected, verifyPayloads, inUse, regions, scan.liveLocations.size(), scan.removedEntries,
                scan.supersededEntries, liveRaw, liveStored, scan.badEntries);
        }
        catch (final IOException ex)
        {
            throw new FileStoreException(path, "cannot read " + path + ": " + ex, ex);
        }
    }

    /**
     * @param cutAt where the file ends inside this region, or -1.
     */
    private static FileStoreReport.RegionReport regionReport(
        final FileScan scan, final int region, final long regionSize, final long cutAt)
    {
        final int check = scan.regionCheck[region];
        if (check == FileRegionDescriptor.UNUSED)
        {
            return new FileStoreReport.RegionReport(region, FileStoreReport.RegionState.UNUSED, 0, 0, 0, 0, 0, 0, "");
        }
        if (check != FileRegionDescriptor.VALID)
        {
            return new FileStoreReport.RegionReport(region, FileStoreReport.RegionState.CORRUPT, 0, 0, 0, 0, 0, 0,
                FileRegionDescriptor.reason(check));
        }
        final FileStoreReport.RegionState state = scan.regionState[region] == FileRegionDescriptor.STATE_ACTIVE ?
            FileStoreReport.RegionState.ACTIVE : FileStoreReport.RegionState.SEALED;
        final String problem = cutAt < 0 ? "" : "cut at file offset " + cutAt + " (needs " +
            (FileScan.regionBase(region, regionSize) + regionSize) + "): the entries before the cut are counted, those after it lost";
        return new FileStoreReport.RegionReport(region, state, scan.regionSequence[region], scan.regionWriteLimit[region],
            scan.regionEntries[region], scan.regionLive[region], scan.regionRemoved[region], scan.regionBad[region], problem);
    }

    /**
     * Appends an entry to the active region, compressing it when that saves enough.
     *
     * <p>When the active region has no room, the next region becomes active; if it holds entries,
     * they are first reported to the {@link ReclaimListener}. With a codec, the compressed form is
     * written straight into the file and kept only when it is at most
     * {@code rawLength * (1 - minCompressionSavings)} bytes; otherwise the raw bytes are stored.
     *
     * @param keyHash     the key's hash, stored for recovery and reclaim reports.
     * @param key         the full key bytes (compared by the cache on every hit).
     * @param meta        opaque bytes for the cache (e.g. part specs).
     * @param raw         the value's bytes.
     * @param codecOrNull a codec registered in the configuration, or null to store raw.
     * @return the entry's location (a file offset, at least 4096), or {@link #FULL} when even the
     *         best case does not fit one region.
     * @throws IllegalArgumentException when the codec is not registered in the configuration.
     * @throws IllegalStateException    when the store is closed.
     */
    public long append(
        final long keyHash, final MemorySegment key, final MemorySegment meta, final MemorySegment raw, final Codec codecOrNull)
    {
        final long keyLength = key.byteSize();
        final long metaLength = meta.byteSize();
        final long rawLength = raw.byteSize();
        final long maxEntryLength = regionSize - FileRegionDescriptor.LENGTH;
        if (keyLength > maxEntryLength || metaLength > maxEntryLength)
        {
            return FULL;
        }
        final long storedOffset = EntryHeaderDescriptor.storedOffset(keyLength, metaLength);
        final long rawEntryLength = EntryHeaderDescriptor.align(storedOffset + rawLength);
        final long compressLimit = compressLimit(codecOrNull, rawLength, maxEntryLength - storedOffset);
        if (compressLimit <= 0 && rawEntryLength > maxEntryLength)
        {
            return FULL;
        }

        lock.writeLock().lock();
        try
        {
            checkOpen();
            if (!mappingIntact())
            {
                return FULL;
            }
            long location = -1;
            int codecId = EntryHeaderDescriptor.RAW_CODEC_ID;
            long storedLength = rawLength;
            if (compressLimit > 0)
            {
                final long compressed = compressIntoLog(raw, storedOffset, compressLimit, codecOrNull);
                if (compressed >= 0)
                {
                    codecId = codecOrNull.id();
                    storedLength = compressed;
                    location = FileScan.regionBase(activeRegion, regionSize) + regionWriteLimit[activeRegion];
                }
            }
            if (codecId == EntryHeaderDescriptor.RAW_CODEC_ID)
            {
                if (rawEntryLength > maxEntryLength)
                {
                    return FULL;
                }
                location = reserve(rawEntryLength);
                MemorySegment.copy(raw, 0, file, location + storedOffset, rawLength);
            }
            final long keyOffset = location + EntryHeaderDescriptor.LENGTH;
            MemorySegment.copy(key, 0, file, keyOffset, keyLength);
            MemorySegment.copy(meta, 0, file, keyOffset + keyLength, metaLength);
            final long metaEnd = keyOffset + keyLength + metaLength;
            file.asSlice(metaEnd, location + storedOffset - metaEnd).fill((byte)0);
            final long entryLength = EntryHeaderDescriptor.align(storedOffset + storedLength);
            file.asSlice(location + storedOffset + storedLength, entryLength - storedOffset - storedLength).fill((byte)0);

            final int region = activeRegion;
            final int payloadChecksum = Crc32c.of(file, keyOffset, storedOffset + storedLength - EntryHeaderDescriptor.LENGTH);
            EntryHeaderDescriptor.write(file, location, codecId, (int)keyLength, (int)metaLength, rawLength, storedLength,
                nextEntrySequence++, keyHash, regionSequence[region], payloadChecksum);
            final long base = FileScan.regionBase(region, regionSize);
            regionWriteLimit[region] = location - base + entryLength;
            FileRegionDescriptor.update(file, base, FileRegionDescriptor.STATE_ACTIVE, regionWriteLimit[region]);

            regionLive[region]++;
            regionLiveRaw[region] += rawLength;
            regionLiveStored[region] += storedLength;
            appendedEntries++;
            if (codecId != EntryHeaderDescriptor.RAW_CODEC_ID)
            {
                compressedEntries++;
            }
            recoveredAtOpen = null;
            return location;
        }
        catch (final InternalError fault)
        {
            failOnFault(fault);
            return FULL;
        }
        catch (final MappingLost lost)
        {
            return FULL;
        }
        finally
        {
            lock.writeLock().unlock();
        }
    }

    /**
     * The most bytes a compressed form may take to be kept: at most {@code rawLength * (1 -
     * minCompressionSavings)} and what one region has room for.
     *
     * @return the limit, or 0 when the value is stored raw (no codec, or nothing to compress).
     * @throws IllegalArgumentException when the codec is not registered in the configuration.
     */
    private long compressLimit(final Codec codecOrNull, final long rawLength, final long room)
    {
        if (codecOrNull == null || rawLength <= 0)
        {
            return 0;
        }
        if (config.codec(codecOrNull.id()) != codecOrNull)
        {
            throw new IllegalArgumentException("codec " + codecOrNull.name() + " id=" + codecOrNull.id() +
                " is not registered in " + config);
        }
        return Math.min((long)Math.floor(rawLength * (1.0 - config.minCompressionSavings())), room);
    }

    /**
     * An entry laid out, compressed and checksummed by {@link #encode} on the caller's thread, with
     * no lock held; {@link #appendEncoded} then only copies it into the log. The bytes live in the
     * caller's arena: the caller owns them and frees them after the append.
     *
     * @param bytes          the entry from its first byte: a blank header, the key, the meta, the
     *                       stored value and the padding, exactly as the log holds it.
     * @param keyHash        the key's hash.
     * @param codecId        the stored form's codec, or the raw codec's id.
     * @param keyLength      key bytes.
     * @param metaLength     meta bytes.
     * @param rawLength      the value's raw length.
     * @param storedLength   the value's stored length.
     * @param payloadChecksum CRC32C of everything after the header up to the end of the stored value.
     */
    public record Encoded(
        MemorySegment bytes, long keyHash, int codecId, int keyLength, int metaLength, long rawLength, long storedLength,
        int payloadChecksum)
    {
        /**
         * @return the bytes the entry takes in the log.
         */
        public long entryLength()
        {
            return bytes.byteSize();
        }
    }

    /**
     * Lays an entry out as the log will hold it, compressing it when that saves enough, without
     * taking the store's lock: the slow part of an append (compression and checksum) runs on the
     * caller's thread, in parallel with other callers. See {@link #append} for the arguments.
     *
     * @param arena where the encoded bytes are allocated; the caller closes it after {@link #appendEncoded}.
     * @return the encoded entry, or null when even the best case does not fit one region.
     * @throws IllegalArgumentException when the codec is not registered in the configuration.
     */
    public Encoded encode(
        final long keyHash, final MemorySegment key, final MemorySegment meta, final MemorySegment raw, final Codec codecOrNull,
        final Arena arena)
    {
        final long keyLength = key.byteSize();
        final long metaLength = meta.byteSize();
        final long rawLength = raw.byteSize();
        final long maxEntryLength = regionSize - FileRegionDescriptor.LENGTH;
        if (keyLength > maxEntryLength || metaLength > maxEntryLength)
        {
            return null;
        }
        final long storedOffset = EntryHeaderDescriptor.storedOffset(keyLength, metaLength);
        final long rawEntryLength = EntryHeaderDescriptor.align(storedOffset + rawLength);
        final long compressLimit = compressLimit(codecOrNull, rawLength, maxEntryLength - storedOffset);
        if (compressLimit <= 0 && rawEntryLength > maxEntryLength)
        {
            return null;
        }
        // zeroed by the arena: the gaps after the meta and after the value are the log's zero padding
        final MemorySegment staging = arena.allocate(Math.max(rawEntryLength, EntryHeaderDescriptor.align(storedOffset + compressLimit)),
            EntryHeaderDescriptor.ALIGNMENT);
        int codecId = EntryHeaderDescriptor.RAW_CODEC_ID;
        long storedLength = rawLength;
        if (compressLimit > 0)
        {
            final long compressed = codecOrNull.compress(raw, staging.asSlice(storedOffset, compressLimit));
            if (compressed >= 0)
            {
                codecId = codecOrNull.id();
                storedLength = compressed;
            }
        }
        if (codecId == EntryHeaderDescriptor.RAW_CODEC_ID)
        {
            if (rawEntryLength > maxEntryLength)
            {
                return null;
            }
            // covers whatever a failed compression left behind
            MemorySegment.copy(raw, 0, staging, storedOffset, rawLength);
        }
        final long keyOffset = EntryHeaderDescriptor.LENGTH;
        MemorySegment.copy(key, 0, staging, keyOffset, keyLength);
        MemorySegment.copy(meta, 0, staging, keyOffset + keyLength, metaLength);
        final int payloadChecksum = Crc32c.of(staging, keyOffset, storedOffset + storedLength - keyOffset);
        final MemorySegment entry = staging.asSlice(0, EntryHeaderDescriptor.align(storedOffset + storedLength));
        return new Encoded(entry, keyHash, codecId, (int)keyLength, (int)metaLength, rawLength, storedLength, payloadChecksum);
    }

    /**
     * Appends an entry {@link #encode} prepared: under the store's lock only a copy into the log and
     * the header and region bookkeeping run. When the active region has no room, the next becomes
     * active, and the entries of a reused region are first reported to the {@link ReclaimListener}.
     *
     * @param entry the encoded entry; its bytes stay the caller's.
     * @return the entry's location, or {@link #FULL} when the store turned itself off (see {@link #failure()}).
     * @throws IllegalStateException when the store is closed.
     */
    public long appendEncoded(final Encoded entry)
    {
        final long entryLength = entry.entryLength();
        lock.writeLock().lock();
        try
        {
            checkOpen();
            if (!mappingIntact())
            {
                return FULL;
            }
            final long location = reserve(entryLength);
            final long header = EntryHeaderDescriptor.LENGTH;
            MemorySegment.copy(entry.bytes(), header, file, location + header, entryLength - header);
            final int region = activeRegion;
            EntryHeaderDescriptor.write(file, location, entry.codecId(), entry.keyLength(), entry.metaLength(), entry.rawLength(),
                entry.storedLength(), nextEntrySequence++, entry.keyHash(), regionSequence[region], entry.payloadChecksum());
            final long base = FileScan.regionBase(region, regionSize);
            regionWriteLimit[region] = location - base + entryLength;
            FileRegionDescriptor.update(file, base, FileRegionDescriptor.STATE_ACTIVE, regionWriteLimit[region]);
            regionLive[region]++;
            regionLiveRaw[region] += entry.rawLength();
            regionLiveStored[region] += entry.storedLength();
            appendedEntries++;
            if (entry.codecId() != EntryHeaderDescriptor.RAW_CODEC_ID)
            {
                compressedEntries++;
            }
            recoveredAtOpen = null;
            return location;
        }
        catch (final InternalError fault)
        {
            failOnFault(fault);
            return FULL;
        }
        catch (final MappingLost lost)
        {
            return FULL;
        }
        finally
        {
            lock.writeLock().unlock();
        }
    }

    /**
     * Reads an entry's value into {@code dst}, verifying its checksum and decompressing straight
     * into {@code dst}.
     *
     * @param location a location from {@link #append} or {@link #recover()}.
     * @param dst      at least {@link #rawLength(long)} bytes; only that prefix is written.
     * @return the raw length written; or {@link #CORRUPT} (counted), {@link #NO_ENTRY} when the entry
     *         was removed or its region reclaimed, {@link #CODEC_MISSING} when its codec is not configured.
     * @throws IllegalArgumentException when the location cannot be an entry's, or {@code dst} is too small.
     * @throws IllegalStateException    when the store is closed.
     */
    public long read(final long location, final MemorySegment dst)
    {
        return read(location, ANY_SEQUENCE, dst);
    }

    /**
     * Reads an entry's value like {@link #read(long, MemorySegment)}, but only when the entry at
     * {@code location} is the one with sequence number {@code expectedSequence}: a location whose
     * region was reclaimed and written again holds another entry, and that read is refused. This is
     * how a caller that remembered a location proves it still reads the same entry.
     *
     * @param location         a location from {@link #append} or {@link #recover()}.
     * @param expectedSequence the entry's sequence ({@link #sequence}), or {@link #ANY_SEQUENCE}.
     * @param dst              at least the entry's raw length.
     * @return as {@link #read(long, MemorySegment)}; {@link #NO_ENTRY} also when the sequence differs.
     */
    public long read(final long location, final long expectedSequence, final MemorySegment dst)
    {
        lock.readLock().lock();
        try
        {
            checkOpen();
            if (!mappingIntact())
            {
                return CORRUPT;
            }
            final long state = entryState(location);
            if (state != 0)
            {
                if (state == CORRUPT)
                {
                    corruptReads.incrementAndGet();
                }
                return state;
            }
            if (expectedSequence != ANY_SEQUENCE && EntryHeaderDescriptor.sequence(file, location) != expectedSequence)
            {
                return NO_ENTRY;
            }
            final long rawLength = EntryHeaderDescriptor.rawLength(file, location);
            if (dst.byteSize() < rawLength)
            {
                throw new IllegalArgumentException(
                    "dst.byteSize()=" + dst.byteSize() + " < rawLength=" + rawLength + " at location=" + location);
            }
            final long storedOffset = location + EntryHeaderDescriptor.storedOffset(
                EntryHeaderDescriptor.keyLength(file, location), EntryHeaderDescriptor.metaLength(file, location));
            final long storedLength = EntryHeaderDescriptor.storedLength(file, location);
            final int codecId = EntryHeaderDescriptor.codecId(file, location);
            if (codecId == EntryHeaderDescriptor.RAW_CODEC_ID)
            {
                return copyVerified(location, storedOffset, rawLength, dst);
            }
            if (EntryHeaderDescriptor.payloadChecksum(file, location) != EntryHeaderDescriptor.computePayloadChecksum(file, location))
            {
                corruptReads.incrementAndGet();
                return CORRUPT;
            }
            final Codec codec = config.codec(codecId);
            if (codec == null)
            {
                return CODEC_MISSING;
            }
            final long restored = codec.decompress(file.asSlice(storedOffset, storedLength), dst.asSlice(0, rawLength));
            if (restored != rawLength)
            {
                corruptReads.incrementAndGet();
                return CORRUPT;
            }
            return rawLength;
        }
        catch (final InternalError fault)
        {
            failOnFault(fault);
            return CORRUPT;
        }
        finally
        {
            lock.readLock().unlock();
        }
    }

    /**
     * Copies a raw entry into {@code dst} and checks its payload checksum on the way, a chunk at a
     * time, so each chunk is summed while it is still in the CPU's cache rather than read twice
     * from the page cache. On a mismatch {@code dst} holds unverified bytes and the result says so.
     *
     * @return {@code rawLength}, or {@link #CORRUPT}.
     */
    private long copyVerified(final long location, final long storedOffset, final long rawLength, final MemorySegment dst)
    {
        final CRC32C crc = new CRC32C();
        final long headerEnd = location + EntryHeaderDescriptor.LENGTH;
        crc.update(file.asSlice(headerEnd, storedOffset - headerEnd).asByteBuffer());
        for (long done = 0; done < rawLength; done += VERIFY_CHUNK_BYTES)
        {
            final long n = Math.min(VERIFY_CHUNK_BYTES, rawLength - done);
            MemorySegment.copy(file, storedOffset + done, dst, done, n);
            crc.update(dst.asSlice(done, n).asByteBuffer());
        }
        if ((int)crc.getValue() != EntryHeaderDescriptor.payloadChecksum(file, location))
        {
            corruptReads.incrementAndGet();
            return CORRUPT;
        }
        return rawLength;
    }

    /**
     * Runs an action while no read, append or removal of this store runs (its exclusive lock); for
     * tests that change the file's bytes behind the store's back, as a failing disk would.
     *
     * @param action what to run.
     */
    public void runExclusively(final Runnable action)
    {
        lock.writeLock().lock();
        try
        {
            action.run();
        }
        finally
        {
            lock.writeLock().unlock();
        }
    }

    /**
     * The sequence number of the live entry at a location, from its verified header.
     *
     * @param location an entry's location.
     * @return its sequence, or {@link #CORRUPT} or {@link #NO_ENTRY} (not counted).
     */
    public long sequence(final long location)
    {
        lock.readLock().lock();
        try
        {
            checkOpen();
            if (!mappingIntact())
            {
                return CORRUPT;
            }
            final long state = entryState(location);
            return state != 0 ? state : EntryHeaderDescriptor.sequence(file, location);
        }
        finally
        {
            lock.readLock().unlock();
        }
    }

    /**
     * The raw length of an entry, from its verified header (the payload is not read).
     *
     * @param location an entry's location.
     * @return bytes a read restores, or {@link #CORRUPT} or {@link #NO_ENTRY} (not counted).
     * @throws IllegalArgumentException when the location cannot be an entry's.
     */
    public long rawLength(final long location)
    {
        lock.readLock().lock();
        try
        {
            checkOpen();
            if (!mappingIntact())
            {
                return CORRUPT;
            }
            final long state = entryState(location);
            return state != 0 ? state : EntryHeaderDescriptor.rawLength(file, location);
        }
        finally
        {
            lock.readLock().unlock();
        }
    }

    /**
     * The key bytes of an entry, in place.
     *
     * @param location an entry's location.
     * @return a read-only slice of the mapping, valid until the entry's region is reclaimed or the
     *         store closes; null when no valid entry starts there.
     */
    public MemorySegment key(final long location)
    {
        lock.readLock().lock();
        try
        {
            checkOpen();
            if (!mappingIntact())
            {
                return null;
            }
            if (entryState(location) != 0)
            {
                return null;
            }
            return file.asSlice(location + EntryHeaderDescriptor.LENGTH, EntryHeaderDescriptor.keyLength(file, location))
                .asReadOnly();
        }
        finally
        {
            lock.readLock().unlock();
        }
    }

    /**
     * The meta bytes of an entry, in place.
     *
     * @param location an entry's location.
     * @return a read-only slice of the mapping, valid until the entry's region is reclaimed or the
     *         store closes; null when no valid entry starts there.
     */
    public MemorySegment meta(final long location)
    {
        lock.readLock().lock();
        try
        {
            checkOpen();
            if (!mappingIntact())
            {
                return null;
            }
            if (entryState(location) != 0)
            {
                return null;
            }
            final int keyLength = EntryHeaderDescriptor.keyLength(file, location);
            return file.asSlice(location + EntryHeaderDescriptor.LENGTH + keyLength, EntryHeaderDescriptor.metaLength(file, location))
                .asReadOnly();
        }
        finally
        {
            lock.readLock().unlock();
        }
    }

    /**
     * An entry's header fields. Allocates the record; for tools and tests, not the hot path.
     *
     * @param location an entry's location.
     * @return the fields, or null when no valid entry starts there.
     */
    public EntryInfo info(final long location)
    {
        lock.readLock().lock();
        try
        {
            checkOpen();
            if (!mappingIntact())
            {
                return null;
            }
            if (entryState(location) != 0)
            {
                return null;
            }
            return new EntryInfo(location, EntryHeaderDescriptor.keyHash(file, location),
                EntryHeaderDescriptor.sequence(file, location), EntryHeaderDescriptor.codecId(file, location),
                EntryHeaderDescriptor.keyLength(file, location), EntryHeaderDescriptor.metaLength(file, location),
                EntryHeaderDescriptor.rawLength(file, location), EntryHeaderDescriptor.storedLength(file, location));
        }
        finally
        {
            lock.readLock().unlock();
        }
    }

    /**
     * Marks an entry removed, in the file, so that recovery does not bring it back and a reclaim
     * does not report it. Its space returns when its region is reclaimed.
     *
     * @param location an entry's location.
     * @return true when it was live; false when it was already removed, reclaimed or corrupt.
     * @throws IllegalArgumentException when the location cannot be an entry's.
     */
    public boolean remove(final long location)
    {
        return remove(location, ANY_SEQUENCE);
    }

    /**
     * Marks the entry at {@code location} removed, only when it is the entry with sequence
     * {@code expectedSequence} (a reclaimed region may hold another entry there by now).
     *
     * @param location         an entry's location.
     * @param expectedSequence its sequence ({@link #sequence}), or {@link #ANY_SEQUENCE}.
     * @return true when it was live and is now removed.
     */
    public boolean remove(final long location, final long expectedSequence)
    {
        lock.writeLock().lock();
        try
        {
            checkOpen();
            if (!mappingIntact())
            {
                return false;
            }
            if (entryState(location) != 0 ||
                (expectedSequence != ANY_SEQUENCE && EntryHeaderDescriptor.sequence(file, location) != expectedSequence))
            {
                return false;
            }
            EntryHeaderDescriptor.markRemoved(file, location);
            final int region = region(location);
            regionLive[region]--;
            regionLiveRaw[region] -= EntryHeaderDescriptor.rawLength(file, location);
            regionLiveStored[region] -= EntryHeaderDescriptor.storedLength(file, location);
            recoveredAtOpen = null;
            return true;
        }
        finally
        {
            lock.writeLock().unlock();
        }
    }

    /**
     * Asks the kernel to drop the entry's pages from memory, for an entry just promoted out of L3:
     * the page cache should not hold a second copy of what L2 holds.
     *
     * <p>Uses {@code MADV_PAGEOUT} (Linux 5.4+), which drops clean pages of the entry from the page
     * cache; {@code MADV_DONTNEED} alone would only unmap them from this process and leave them
     * cached. Falls back to {@code MADV_DONTNEED} where {@code MADV_PAGEOUT} is unknown. Only whole
     * pages inside the entry are advised, and pages not yet written back stay until they are. The
     * page holding the entry's header stays: every later check of the record (a clean demotion onto
     * it, a read) verifies the header first, and would otherwise wait on the disk for 64 bytes.
     *
     * @param location an entry's location.
     * @return 0 when the advice was given, a positive errno when the kernel refused it, or
     *         {@link #NO_ENTRY} / {@link #CORRUPT} (as ints) when no valid entry starts there.
     */
    public int adviseDontNeed(final long location)
    {
        return advise(location, at ->
        {
            final long length = FileScan.entryLength(file, at);
            final MemorySegment entry = file.asSlice(at + EntryHeaderDescriptor.LENGTH, length - EntryHeaderDescriptor.LENGTH);
            final int error = Libc.madvisePageOut(entry);
            return error == 0 ? 0 : Libc.madviseDontNeed(entry);
        });
    }

    /**
     * Asks the kernel to start reading an entry's pages into memory ({@code MADV_WILLNEED}), for an
     * entry about to be read: the kernel reads them while the caller does something else, so the
     * read that follows copies from memory instead of waiting on the disk page by page. The pages
     * are the page cache's, not this store's: the kernel may drop them again under memory pressure.
     *
     * @param location an entry's location.
     * @return 0 when the advice was given, a positive errno when the kernel refused it, or
     *         {@link #NO_ENTRY} / {@link #CORRUPT} (as ints) when no valid entry starts there.
     */
    public int adviseWillNeed(final long location)
    {
        // whole pages inside the entry (its first and last partial pages are read when touched)
        return advise(location, at -> Libc.madviseWillNeed(file.asSlice(at, FileScan.entryLength(file, at))));
    }

    /** Gives advice about a valid, live entry under the read lock; see {@link #adviseDontNeed}. */
    private int advise(final long location, final java.util.function.LongToIntFunction advice)
    {
        lock.readLock().lock();
        try
        {
            checkOpen();
            if (!mappingIntact())
            {
                return (int)NO_ENTRY;
            }
            final long state = entryState(location);
            return state != 0 ? (int)state : advice.applyAsInt(location);
        }
        finally
        {
            lock.readLock().unlock();
        }
    }

    /**
     * The live entries, for rebuilding the cache's index: every region scanned in generation order,
     * every entry verified (payloads too when {@link FileStoreConfig#verifyPayloadsOnOpen()}), bad
     * ones skipped and counted ({@link #corruptEntriesSkipped()}). Of entries with the same key hash
     * and key bytes only the newest is returned; the older ones are marked removed in the file.
     *
     * <p>Right after {@link #open} this returns the open scan's result without rescanning; after any
     * append or removal it scans again.
     *
     * @return the live entries, oldest first; an unmodifiable list.
     */
    public List<RecoveredEntry> recover()
    {
        lock.writeLock().lock();
        try
        {
            checkOpen();
            if (!mappingIntact())
            {
                return List.of();
            }
            if (recoveredAtOpen == null)
            {
                recoveredAtOpen = scan();
            }
            return recoveredAtOpen;
        }
        finally
        {
            lock.writeLock().unlock();
        }
    }

    /**
     * Writes every dirty page of the mapping to the disk.
     */
    public void force()
    {
        lock.readLock().lock();
        try
        {
            checkOpen();
            if (!mappingIntact())
            {
                return;
            }
            file.force();
        }
        finally
        {
            lock.readLock().unlock();
        }
    }

    /**
     * Forces, unmaps, unlocks and closes the file. Safe to call more than once; every other
     * method then throws {@link IllegalStateException}.
     */
    @Override
    public void close()
    {
        lock.writeLock().lock();
        try
        {
            if (closed)
            {
                return;
            }
            closed = true;
            IOException failure = null;
            try
            {
                if (mappingIntact())
                {
                    file.force();
                }
            }
            finally
            {
                arena.close();
                OPEN_FILES.remove(fileKey);
                failure = release(fileLock, channel);
            }
            if (failure != null)
            {
                throw new FileStoreException(path, "cannot close " + path + ": " + failure, failure);
            }
        }
        finally
        {
            lock.writeLock().unlock();
        }
    }

    /**
     * A snapshot of the counters.
     *
     * @return sizes, entries and corruption counts.
     */
    public FileStoreStats stats()
    {
        lock.readLock().lock();
        try
        {
            checkOpen();
            long used = 0;
            long live = 0;
            long liveRaw = 0;
            long liveStored = 0;
            int inUse = 0;
            for (int region = 0; region < regionCount; region++)
            {
                if (regionSequence[region] != 0)
                {
                    inUse++;
                    used += regionWriteLimit[region] - FileRegionDescriptor.LENGTH;
                }
                live += regionLive[region];
                liveRaw += regionLiveRaw[region];
                liveStored += regionLiveStored[region];
            }
            return new FileStoreStats(capacityBytes(), used, live, regionCount, inUse, liveRaw, liveStored, appendedEntries,
                compressedEntries, reclaimedRegions, reclaimedEntries, corruptEntriesSkipped, corruptRegionsSkipped,
                corruptReads.get());
        }
        finally
        {
            lock.readLock().unlock();
        }
    }

    /**
     * Entry space: regions times (region size less the region header).
     *
     * @return bytes.
     */
    public long capacityBytes()
    {
        return regionCount * (regionSize - FileRegionDescriptor.LENGTH);
    }

    /**
     * Entries the latest scan (open or {@link #recover()}) skipped as corrupt.
     *
     * @return the count.
     */
    public long corruptEntriesSkipped()
    {
        lock.readLock().lock();
        try
        {
            return corruptEntriesSkipped;
        }
        finally
        {
            lock.readLock().unlock();
        }
    }

    /**
     * The store's file.
     *
     * @return the configured path.
     */
    public Path path()
    {
        return path;
    }

    /**
     * The store's settings.
     *
     * @return the configuration it was opened with.
     */
    public FileStoreConfig config()
    {
        return config;
    }

    @Override
    public String toString()
    {
        return "FileStore{path=" + path + ", regionSizeBytes=" + regionSize + ", regionCount=" + regionCount + "}";
    }

    /**
     * Region headers found half updated (a kill in the middle of an append or a seal) and written
     * whole again since this store opened.
     *
     * @return headers repaired.
     */
    int tornHeadersRepaired()
    {
        return tornHeadersRepaired;
    }

    private void recoverAtOpen()
    {
        lock.writeLock().lock();
        try
        {
            recoveredAtOpen = scan();
        }
        finally
        {
            lock.writeLock().unlock();
        }
    }

    private List<RecoveredEntry> scan()
    {
        final FileScan scan = FileScan.run(file, regionSize, regionCount, regionCount, config.verifyPayloadsOnOpen(), true);
        regionSequence = scan.regionSequence;
        regionWriteLimit = scan.regionWriteLimit;
        regionLive = scan.regionLive;
        regionLiveRaw = scan.regionLiveRaw;
        regionLiveStored = scan.regionLiveStored;
        activeRegion = scan.newestRegion;
        activeRegionClosed = activeRegion >= 0 && scan.regionBad[activeRegion] > 0;
        nextRegionSequence = Math.max(nextRegionSequence, scan.maxRegionSequence + 1);
        nextEntrySequence = Math.max(nextEntrySequence, scan.maxEntrySequence + 1);
        corruptRegionsSkipped = scan.corruptRegions;
        corruptEntriesSkipped = scan.badEntries.size() - scan.corruptRegions;
        for (int region = 0; region < regionCount; region++)
        {
            if (scan.tornHeader[region])
            {
                // a kill interrupted an update of this header: its fields were proven, write it whole again
                FileRegionDescriptor.write(file, FileScan.regionBase(region, regionSize), scan.regionState[region],
                    scan.regionSequence[region], scan.regionWriteLimit[region]);
                tornHeadersRepaired++;
            }
        }
        if (tornHeadersRepaired > 0)
        {
            LOGGER.log(System.Logger.Level.INFO, "{0}: repaired {1} region headers left half updated by an interrupted write",
                path, tornHeadersRepaired);
        }
        if (!scan.badEntries.isEmpty())
        {
            LOGGER.log(System.Logger.Level.WARNING, "{0}: skipped {1} corrupt entries and {2} corrupt regions; first: {3}",
                path, corruptEntriesSkipped, corruptRegionsSkipped,
                scan.badEntries.subList(0, Math.min(LOGGED_BAD_ENTRIES, scan.badEntries.size())));
        }

        final List<RecoveredEntry> entries = new ArrayList<>(scan.liveLocations.size());
        for (int i = 0; i < scan.liveLocations.size(); i++)
        {
            final long location = scan.liveLocations.getLong(i);
            final int keyLength = EntryHeaderDescriptor.keyLength(file, location);
            final int metaLength = EntryHeaderDescriptor.metaLength(file, location);
            final long keyOffset = location + EntryHeaderDescriptor.LENGTH;
            entries.add(new RecoveredEntry(location, EntryHeaderDescriptor.keyHash(file, location),
                EntryHeaderDescriptor.sequence(file, location), EntryHeaderDescriptor.codecId(file, location),
                EntryHeaderDescriptor.rawLength(file, location), EntryHeaderDescriptor.storedLength(file, location),
                copyOf(file, keyOffset, keyLength), copyOf(file, keyOffset + keyLength, metaLength)));
        }
        return Collections.unmodifiableList(entries);
    }

    /**
     * Makes sure the active region has {@code length} bytes free, moving to the next region (and
     * reclaiming it) when it has not.
     *
     * @return the file offset where the entry goes.
     */
    private long reserve(final long length)
    {
        if (activeRegion >= 0 && !activeRegionClosed && regionWriteLimit[activeRegion] + length <= regionSize)
        {
            return FileScan.regionBase(activeRegion, regionSize) + regionWriteLimit[activeRegion];
        }
        final int next = (activeRegion + 1) % regionCount;
        if (!mappingIntact(true))
        {
            throw new MappingLost();
        }
        if (regionSequence[next] != 0)
        {
            reclaim(next);
        }
        if (activeRegion >= 0 && activeRegion != next)
        {
            FileRegionDescriptor.update(file, FileScan.regionBase(activeRegion, regionSize), FileRegionDescriptor.STATE_SEALED,
                regionWriteLimit[activeRegion]);
        }
        regionSequence[next] = nextRegionSequence++;
        regionWriteLimit[next] = FileRegionDescriptor.LENGTH;
        regionLive[next] = 0;
        regionLiveRaw[next] = 0;
        regionLiveStored[next] = 0;
        final long base = FileScan.regionBase(next, regionSize);
        FileRegionDescriptor.write(file, base, FileRegionDescriptor.STATE_ACTIVE, regionSequence[next], FileRegionDescriptor.LENGTH);
        activeRegion = next;
        activeRegionClosed = false;
        return base + FileRegionDescriptor.LENGTH;
    }

    /**
     * Compresses {@code raw} straight into the log: first into what is left of the active region,
     * then, if that was too small for a form within {@code limit}, at the start of a fresh region.
     * Writing into the file directly saves a scratch buffer and a copy.
     *
     * @return the compressed length, the bytes sitting at the active region's write limit plus
     *         {@code storedOffset}; or -1 when no form of at most {@code limit} bytes exists.
     */
    private long compressIntoLog(final MemorySegment raw, final long storedOffset, final long limit, final Codec codec)
    {
        if (activeRegion >= 0 && !activeRegionClosed)
        {
            final long tail = FileScan.regionBase(activeRegion, regionSize) + regionWriteLimit[activeRegion];
            final long room = FileScan.regionBase(activeRegion, regionSize) + regionSize - tail - storedOffset;
            if (room > 0)
            {
                final long compressed = codec.compress(raw, file.asSlice(tail + storedOffset, Math.min(room, limit)));
                if (compressed >= 0)
                {
                    return compressed;
                }
                if (room >= limit)
                {
                    return -1;
                }
            }
        }
        final long location = reserve(EntryHeaderDescriptor.align(storedOffset + limit));
        final long compressed = codec.compress(raw, file.asSlice(location + storedOffset, limit));
        return compressed < 0 ? -1 : compressed;
    }

    private void reclaim(final int region)
    {
        final FileStore.ReclaimListener listener = config.reclaimListener();
        FileScan.walk(file, FileScan.regionBase(region, regionSize), regionSequence[region], regionWriteLimit[region], false,
            new FileScan.Walker()
            {
                @Override
                public void entry(final long location)
                {
                    if (!EntryHeaderDescriptor.isRemoved(file, location))
                    {
                        listener.onReclaim(location, EntryHeaderDescriptor.keyHash(file, location));
                        reclaimedEntries++;
                    }
                }

                @Override
                public void bad(final long location, final String reason)
                {
                    // Counted when the region was scanned at open; nothing here can be in the index.
                }
            });
        reclaimedRegions++;
    }

    /**
     * Whether a current, valid, live entry starts at {@code location}.
     *
     * @return 0 when one does, else {@link #NO_ENTRY} or {@link #CORRUPT}.
     */
    private long entryState(final long location)
    {
        final int region = region(location);
        final long base = FileScan.regionBase(region, regionSize);
        final long limit = base + regionWriteLimit[region];
        if (regionSequence[region] == 0 || location >= limit)
        {
            return NO_ENTRY;
        }
        if (EntryHeaderDescriptor.check(file, location, limit) != EntryHeaderDescriptor.VALID)
        {
            return CORRUPT;
        }
        if (EntryHeaderDescriptor.regionSequence(file, location) != regionSequence[region] ||
            EntryHeaderDescriptor.isRemoved(file, location))
        {
            return NO_ENTRY;
        }
        return 0;
    }

    private int region(final long location)
    {
        final long offset = location - FileHeaderDescriptor.REGIONS_OFFSET;
        if (location < FileHeaderDescriptor.REGIONS_OFFSET || (location & (EntryHeaderDescriptor.ALIGNMENT - 1)) != 0 ||
            offset / regionSize >= regionCount || offset % regionSize < FileRegionDescriptor.LENGTH)
        {
            throw new IllegalArgumentException("location=" + location + " cannot hold an entry of " + this);
        }
        return (int)(offset / regionSize);
    }

    private void checkOpen()
    {
        if (closed)
        {
            throw new IllegalStateException("closed: " + this);
        }
    }

    /**
     * What a header read found.
     *
     * @param copy       the offset of the copy the fields come from.
     * @param otherCheck what {@link FileHeaderDescriptor#check} said of the other copy.
     */
    private record Header(
        int version, long regionSize, int regionCount, long createdMillis, long fileLength, int copy, int otherCheck)
    {
    }

    private static Header readHeader(final Path path, final FileChannel channel) throws IOException
    {
        final long fileLength = channel.size();
        if (fileLength < FileHeaderDescriptor.LENGTH)
        {
            throw new FileStoreException(path, path + " is not a tiercache file store: length=" + fileLength +
                " is shorter than the " + FileHeaderDescriptor.LENGTH + "-byte header");
        }
        final ByteBuffer buffer = ByteBuffer.allocate((int)Math.min(fileLength, FileHeaderDescriptor.REGIONS_OFFSET));
        while (buffer.hasRemaining())
        {
            if (channel.read(buffer, buffer.position()) < 0)
            {
                break;
            }
        }
        final MemorySegment page = MemorySegment.ofArray(buffer.array()).asSlice(0, buffer.position());
        final int primary = FileHeaderDescriptor.check(page, FileHeaderDescriptor.PRIMARY_OFFSET);
        final int mirror = FileHeaderDescriptor.check(page, FileHeaderDescriptor.MIRROR_OFFSET);
        final int copy = primary == FileHeaderDescriptor.VALID ? FileHeaderDescriptor.PRIMARY_OFFSET :
            mirror == FileHeaderDescriptor.VALID ? FileHeaderDescriptor.MIRROR_OFFSET : -1;
        if (copy < 0)
        {
            final String copies = "primary at " + FileHeaderDescriptor.PRIMARY_OFFSET + ": " +
                FileHeaderDescriptor.describe(page, FileHeaderDescriptor.PRIMARY_OFFSET, primary) + "; mirror at " +
                FileHeaderDescriptor.MIRROR_OFFSET + ": " + FileHeaderDescriptor.describe(page, FileHeaderDescriptor.MIRROR_OFFSET, mirror);
            if (primary != FileHeaderDescriptor.BAD_CHECKSUM && mirror != FileHeaderDescriptor.BAD_CHECKSUM)
            {
                throw new FileStoreException(path, path + " is not a tiercache file store (" + copies + ")" +
                    (primary == FileHeaderDescriptor.ABSENT ? " (an empty header: not made by this library)" : ""));
            }
            throw new FileStoreException(path, path + " has a corrupt header: neither copy verifies (" + copies + ")");
        }
        final MemorySegment header = page.asSlice(copy, FileHeaderDescriptor.LENGTH);
        final int version = FileHeaderDescriptor.version(header);
        if (version > FileHeaderDescriptor.FORMAT_VERSION)
        {
            throw new FileStoreException(path, path + " was written in format version " + version +
                ", newer than this library reads (up to " + FileHeaderDescriptor.FORMAT_VERSION + ")");
        }
        if (version < 1)
        {
            throw new FileStoreException(path, path + " has an invalid format version " + version);
        }
        final long regionSize = FileHeaderDescriptor.regionSize(header);
        final int regionCount = FileHeaderDescriptor.regionCount(header);
        final int regionsOffset = FileHeaderDescriptor.regionsOffset(header);
        if (regionsOffset != FileHeaderDescriptor.REGIONS_OFFSET || regionCount < 1 ||
            regionSize < FileStoreConfig.MIN_REGION_SIZE_BYTES || regionSize > FileStoreConfig.MAX_REGION_SIZE_BYTES ||
            regionSize % FileStoreConfig.REGION_SIZE_ALIGNMENT != 0)
        {
            throw new FileStoreException(path, path + " has an invalid geometry: regionsOffset=" + regionsOffset +
                " regionSizeBytes=" + regionSize + " regionCount=" + regionCount);
        }
        return new Header(version, regionSize, regionCount, FileHeaderDescriptor.createdMillis(header), fileLength, copy,
            copy == FileHeaderDescriptor.PRIMARY_OFFSET ? mirror : primary);
    }

    private static void checkGeometry(final FileStoreConfig config, final Header header)
    {
        final Path path = config.path();
        if (header.regionSize != config.regionSizeBytes() || header.regionCount != config.regionCount())
        {
            throw new FileStoreException(path, path + " has regionSizeBytes=" + header.regionSize + " regionCount=" +
                header.regionCount + " but the configuration asks for regionSizeBytes=" + config.regionSizeBytes() +
                " regionCount=" + config.regionCount() + " (configure the file's geometry, or delete the file)");
        }
    }

    /**
     * Takes the file's lock, or says who holds it.
     *
     * @return the lock.
     * @throws FileStoreException when another process or channel holds it.
     */
    private static FileLock lockOrExplain(final Path path, final FileChannel channel) throws IOException
    {
        final FileLock fileLock;
        try
        {
            fileLock = channel.tryLock();
        }
        catch (final OverlappingFileLockException ex)
        {
            throw new FileStoreException(path, path + " is already locked by another channel in this process", ex);
        }
        if (fileLock == null)
        {
            throw new FileStoreException(path, path + " is locked by another process (" + owner(channel) +
                "; a cache already uses it)");
        }
        return fileLock;
    }

    /**
     * The lock holder as the file names it, for a message only (the field is not checksummed).
     */
    private static String owner(final FileChannel channel) throws IOException
    {
        final ByteBuffer pid = ByteBuffer.allocate(Long.BYTES).order(java.nio.ByteOrder.LITTLE_ENDIAN);
        while (pid.hasRemaining())
        {
            if (channel.read(pid, FileHeaderDescriptor.OWNER_PID_OFFSET + pid.position()) < 0)
            {
                return "pid unknown";
            }
        }
        final long value = pid.getLong(0);
        return value > 0 && ProcessHandle.of(value).isPresent() ? "pid " + value : "pid unknown";
    }

    /**
     * Rewrites the header copy that did not verify from the one that did (a file from before the
     * mirror gets its mirror here). Called under the file's lock, before anything else is written.
     */
    private void repairHeader(final Header header)
    {
        final int copy = header.copy;
        final int other = copy == FileHeaderDescriptor.PRIMARY_OFFSET ? FileHeaderDescriptor.MIRROR_OFFSET : FileHeaderDescriptor.PRIMARY_OFFSET;
        if (header.otherCheck == FileHeaderDescriptor.VALID &&
            MemorySegment.mismatch(file, copy, copy + FileHeaderDescriptor.LENGTH, file, other, other + FileHeaderDescriptor.LENGTH) == -1)
        {
            return;
        }
        if (header.otherCheck != FileHeaderDescriptor.ABSENT)
        {
            LOGGER.log(System.Logger.Level.WARNING, "{0}: the header copy at {1} did not verify ({2}); opened from the copy at {3} " +
                "and rewrote the other from it", path, other, FileHeaderDescriptor.describe(file, other, header.otherCheck), copy);
        }
        MemorySegment.copy(file, copy, file, other, FileHeaderDescriptor.LENGTH);
    }

    private void reportTruncation(final long lengthAtOpen)
    {
        truncatedLengthAtOpen = lengthAtOpen;
        final long intact = Math.max(0, lengthAtOpen - FileHeaderDescriptor.REGIONS_OFFSET);
        firstRegionCutAtOpen = (int)Math.min(regionCount, intact / regionSize);
        LOGGER.log(System.Logger.Level.WARNING, "{0} was truncated: length={1} < {2} bytes that its geometry needs; " +
            "regions {3} to {4} were cut and the entries they held past the cut are lost; the file was extended again and " +
            "opened with the {5} live entries that remained ({6} corrupt entries skipped)", path, lengthAtOpen, fileLength,
            firstRegionCutAtOpen, regionCount - 1, recoveredAtOpen.size(), corruptEntriesSkipped);
    }

    /**
     * The file's length when this store opened it, when that was shorter than its geometry: the
     * file was truncated, it was extended back with zeros, and what the missing part held is lost.
     *
     * @return the length found, or -1 when the file was whole.
     */
    public long truncatedLengthAtOpen()
    {
        return truncatedLengthAtOpen;
    }

    /**
     * The first region that a truncation found at open cut (partly or wholly); every region from
     * there on lost what lay past the cut.
     *
     * @return a region index, or -1 when the file was whole.
     */
    public int firstRegionCutAtOpen()
    {
        return firstRegionCutAtOpen;
    }

    /**
     * Why this store stopped touching its mapping, if it did: the file became shorter than the
     * mapping (truncated by another process) or a mapped access faulted. From then on appends
     * answer {@link #FULL}, reads {@link #CORRUPT} (not counted), removals false, and nothing
     * touches the mapping again, so the process is never killed by {@code SIGBUS}.
     *
     * @return the reason, or null while the store is healthy.
     */
    public String failure()
    {
        return failure;
    }

    /**
     * Whether the mapping may be touched: false once the store has failed, or when the file has
     * become shorter than the mapping (then the store fails, with the reason). Looks at the file
     * at most once per {@link #LENGTH_CHECK_INTERVAL_NANOS} (a look costs about 1.6 microseconds, several
     * times a small read), and on every region switch. Looks the file up
     * by name, not through the channel: a {@link FileChannel} call on an interrupted caller thread
     * would close the channel, and with it the store's lock. A name that no longer leads to this
     * file cannot be used to truncate it, so the check passes then.
     */
    private boolean mappingIntact()
    {
        return mappingIntact(false);
    }

    /**
     * @param now true to look even when the last look was less than
     *            {@link #LENGTH_CHECK_INTERVAL_NANOS} ago (a region switch does).
     */
    private boolean mappingIntact(final boolean now)
    {
        if (failure != null)
        {
            return false;
        }
        final long time = System.nanoTime();
        if (!now && time - nextLengthCheckNanos < 0)
        {
            return true;
        }
        nextLengthCheckNanos = time + LENGTH_CHECK_INTERVAL_NANOS;
        final BasicFileAttributes attributes;
        try
        {
            attributes = Files.readAttributes(path, BasicFileAttributes.class);
        }
        catch (final IOException ex)
        {
            return true;
        }
        final Object key = attributes.fileKey();
        if (key != null && !key.equals(fileKey))
        {
            return true;
        }
        if (attributes.size() < fileLength)
        {
            fail(path + " was truncated to length=" + attributes.size() + " < " + fileLength +
                " bytes while mapped (by another process?): L3 is off and its mapping is not touched again");
            return false;
        }
        return true;
    }

    private void fail(final String reason)
    {
        synchronized (this)
        {
            if (failure != null)
            {
                return;
            }
            failure = reason;
        }
        LOGGER.log(System.Logger.Level.ERROR, reason);
    }

    private void failOnFault(final InternalError fault)
    {
        fail(path + ": an access to the mapping faulted (" + fault.getMessage() + "), length now " + lengthOrUnknown() +
            " of " + fileLength + " bytes: L3 is off and its mapping is not touched again");
    }

    private String lengthOrUnknown()
    {
        try
        {
            return Long.toString(Files.size(path));
        }
        catch (final IOException ex)
        {
            return "unknown";
        }
    }

    /** Thrown by a region switch that found the file shorter than the mapping; the append answers {@link #FULL}. */
    private static final class MappingLost extends RuntimeException
    {
        private static final long serialVersionUID = 1L;

        MappingLost()
        {
            super(null, null, false, false);
        }
    }

    private static String temporaryName(final Path path)
    {
        return "." + path.getFileName() + "." + ProcessHandle.current().pid() + "." + CREATIONS.incrementAndGet() + CREATING_SUFFIX;
    }

    /**
     * Removes what interrupted creations of {@code path} left: temporary files whose creating
     * process is gone. Ones of live processes (this one included) are left to their creators.
     */
    private static void removeLeftovers(final Path path)
    {
        final Path folder = path.toAbsolutePath().getParent();
        final String prefix = "." + path.getFileName() + ".";
        try (DirectoryStream<Path> leftovers = Files.newDirectoryStream(folder, prefix + "*" + CREATING_SUFFIX))
        {
            for (final Path leftover : leftovers)
            {
                final String name = leftover.getFileName().toString();
                final String middle = name.substring(prefix.length(), name.length() - CREATING_SUFFIX.length());
                final int dot = middle.indexOf('.');
                final long pid;
                try
                {
                    pid = Long.parseLong(dot < 0 ? middle : middle.substring(0, dot));
                }
                catch (final NumberFormatException ex)
                {
                    continue;
                }
                if (pid != ProcessHandle.current().pid() && ProcessHandle.of(pid).isEmpty())
                {
                    LOGGER.log(System.Logger.Level.INFO, "removing {0}, left by an interrupted creation of {1} (pid {2})",
                        leftover, path, pid);
                    deleteQuietly(leftover);
                }
            }
        }
        catch (final IOException ex)
        {
            LOGGER.log(System.Logger.Level.WARNING, "cannot look for leftovers of " + path + " in " + folder, ex);
        }
    }

    /**
     * Gives the finished file its real name without ever replacing a file there.
     *
     * @return false when a file already has the name.
     */
    private static boolean publish(final Path temporary, final Path path)
    {
        try
        {
            Files.createLink(path, temporary);
            return true;
        }
        catch (final FileAlreadyExistsException ex)
        {
            return false;
        }
        catch (final UnsupportedOperationException | IOException linkFailure)
        {
            // no hard links here: a rename, which would replace a file, so only where there is none
            try
            {
                if (Files.exists(path))
                {
                    return false;
                }
                Files.move(temporary, path, StandardCopyOption.ATOMIC_MOVE);
                return true;
            }
            catch (final IOException ex)
            {
                ex.addSuppressed(linkFailure);
                throw new FileStoreException(path, "cannot move " + temporary + " to " + path + ": " + ex, ex);
            }
        }
    }

    /**
     * Makes the new name durable: without it a power loss could lose the link though the file's
     * blocks were forced.
     */
    private static void syncFolder(final Path folder)
    {
        try (FileChannel directory = FileChannel.open(folder, StandardOpenOption.READ))
        {
            directory.force(true);
        }
        catch (final IOException ex)
        {
            LOGGER.log(System.Logger.Level.DEBUG, "cannot sync " + folder + ": " + ex);
        }
    }

    private static boolean lockedByOther(final FileChannel channel) throws IOException
    {
        try
        {
            final FileLock shared = channel.tryLock(0, Long.MAX_VALUE, true);
            if (shared == null)
            {
                return true;
            }
            shared.release();
            return false;
        }
        catch (final OverlappingFileLockException ex)
        {
            return true;
        }
    }

    private static Object register(final Path path)
    {
        final Object fileKey = fileKey(path);
        if (!OPEN_FILES.add(fileKey))
        {
            throw new FileStoreException(path, path + " is already open by a FileStore in this process");
        }
        return fileKey;
    }

    private static Object fileKey(final Path path)
    {
        try
        {
            final Object key = Files.readAttributes(path, BasicFileAttributes.class).fileKey();
            return key != null ? key : path.toRealPath();
        }
        catch (final NoSuchFileException ex)
        {
            throw new FileStoreException(path, path + " does not exist", ex);
        }
        catch (final IOException ex)
        {
            throw new FileStoreException(path, "cannot read " + path + ": " + ex, ex);
        }
    }

    private static MemorySegment copyOf(final MemorySegment file, final long offset, final long length)
    {
        return MemorySegment.ofArray(file.asSlice(offset, length).toArray(ValueLayout.JAVA_BYTE)).asReadOnly();
    }

    /**
     * Releases the lock and closes the channel, both even when the first fails.
     *
     * @return the first failure, later ones suppressed in it; null when both succeeded.
     */
    private static IOException release(final FileLock fileLock, final FileChannel channel)
    {
        IOException failure = null;
        try
        {
            if (fileLock != null && fileLock.isValid())
            {
                fileLock.release();
            }
        }
        catch (final IOException ex)
        {
            failure = ex;
        }
        try
        {
            if (channel != null)
            {
                channel.close();
            }
        }
        catch (final IOException ex)
        {
            if (failure == null)
            {
                failure = ex;
            }
            else
            {
                failure.addSuppressed(ex);
            }
        }
        return failure;
    }

    private static void deleteQuietly(final Path path)
    {
        try
        {
            Files.deleteIfExists(path);
        }
        catch (final IOException ex)
        {
            LOGGER.log(System.Logger.Level.WARNING, "could not remove the half-made " + path, ex);
        }
    }
}
