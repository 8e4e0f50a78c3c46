package dev.tiercache.libc;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.file.Path;

/**
 * The Java face of the libc subset in {@link libc_h}: what the file store and the hardware profile
 * call.
 *
 * <p>Expected failures are return values: the functions that can fail for reasons outside the
 * caller's control return {@code 0} or a positive {@code errno} value (name it with
 * {@link #strerror(int)}). Only {@link #statvfs(Path)}, which has a result to return, throws.
 *
 * <p>Every call allocates its C strings and out-parameters in a confined arena that is closed
 * before it returns, so nothing native outlives a call. All methods are safe from any thread.
 */
public final class Libc
{
    private static final long PAGE_SIZE = sysconfOrThrow(libc_h._SC_PAGESIZE(), "_SC_PAGESIZE");

    private Libc()
    {
    }

    /**
     * Free and total space of a file system, in bytes.
     *
     * @param totalBytes     size of the file system ({@code f_blocks * f_frsize}).
     * @param freeBytes      free space, including blocks reserved for the superuser
     *                       ({@code f_bfree * f_frsize}).
     * @param availableBytes free space an unprivileged process may use ({@code f_bavail * f_frsize}).
     */
    public record FileSystemSpace(long totalBytes, long freeBytes, long availableBytes)
    {
    }

    /**
     * Reserves disk blocks for {@code [offset, offset + length)} of an existing file, growing it when
     * the range ends past its end: afterwards, writes into the range cannot fail for lack of space
     * (so a mapped write cannot raise {@code SIGBUS} on a full disk).
     *
     * <p>The file is opened read-write with {@code O_CLOEXEC} and closed again. Closing a
     * descriptor drops every POSIX record lock this process holds on the file, including the ones
     * {@link java.nio.channels.FileChannel#tryLock()} took: call this before locking, never while a
     * lock is held.
     *
     * @param file   an existing regular file.
     * @param offset first byte of the range.
     * @param length bytes in the range; positive.
     * @return {@code 0}, or the error: e.g. {@code ENOSPC} (no room), {@code ENOENT} (no such file),
     *         {@code EINVAL} (bad offset or length), {@code EFBIG} (past the largest file size).
     */
    public static int posixFallocate(final Path file, final long offset, final long length)
    {
        try (Arena arena = Arena.ofConfined())
        {
            final MemorySegment state = arena.allocate(libc_h.capturedStateLayout());
            final int fd = libc_h.open(
                state, arena.allocateFrom(file.toString()), libc_h.O_RDWR() | libc_h.O_CLOEXEC(), 0);
            if (fd < 0)
            {
                return libc_h.errno(state);
            }
            final int error = libc_h.posix_fallocate(fd, offset, length);
            final int closed = libc_h.close(state, fd);
            if (error != 0)
            {
                return error;
            }
            return closed == 0 ? 0 : libc_h.errno(state);
        }
    }

    /**
     * Gives {@code advice} to the kernel about the whole pages inside {@code range}.
     *
     * <p>The range is rounded inward to page boundaries: a page that is only partly inside
     * {@code range} is left alone, because advice such as {@code MADV_DONTNEED} zeroes private and
     * anonymous pages, and the bytes around a segment belong to someone else. A range that holds
     * no whole page is a successful no-op.
     *
     * @param range  native memory (e.g. a mapped file or an arena allocation).
     * @param advice one of the {@code MADV_*} values of {@link libc_h}.
     * @return {@code 0}, or the error: {@code EINVAL} for advice the kernel does not know (e.g.
     *         {@code MADV_PAGEOUT} before Linux 5.4), {@code ENOMEM} for an unmapped range.
     */
    public static int madvise(final MemorySegment range, final int advice)
    {
        if (!range.isNative())
        {
            throw new IllegalArgumentException("range is not native memory: " + range);
        }
        final long start = range.address();
        final long alignedStart = (start + PAGE_SIZE - 1) & -PAGE_SIZE;
        final long alignedEnd = (start + range.byteSize()) & -PAGE_SIZE;
        if (alignedEnd <= alignedStart)
        {
            return 0;
        }
        try (Arena arena = Arena.ofConfined())
        {
            final MemorySegment state = arena.allocate(libc_h.capturedStateLayout());
            final int rc = libc_h.madvise(
                state, MemorySegment.ofAddress(alignedStart), alignedEnd - alignedStart, advice);
            return rc == 0 ? 0 : libc_h.errno(state);
        }
    }

    /**
     * {@code madvise(MADV_DONTNEED)} over the whole pages inside {@code range}.
     *
     * <p>For a shared file mapping this only drops this process's page-table entries: the pages
     * stay in the page cache (see {@link #madvisePageOut(MemorySegment)} for that). For private and
     * anonymous memory the pages read back as zeros.
     *
     * @param range native memory.
     * @return {@code 0}, or the {@code errno} of the call.
     */
    public static int madviseDontNeed(final MemorySegment range)
    {
        return madvise(range, libc_h.MADV_DONTNEED());
    }

    /**
     * {@code madvise(MADV_WILLNEED)} over the whole pages inside {@code range}: for a file mapping,
     * the kernel starts reading those pages into the page cache and returns at once.
     *
     * @param range native memory.
     * @return {@code 0}, or the {@code errno} of the call.
     */
    public static int madviseWillNeed(final MemorySegment range)
    {
        return madvise(range, libc_h.MADV_WILLNEED());
    }

    /**
     * {@code madvise(MADV_PAGEOUT)} over the whole pages inside {@code range}: clean pages of a file
     * mapping that no other process maps leave the page cache; dirty ones stay until written back.
     *
     * @param range native memory.
     * @return {@code 0}, or the {@code errno} of the call ({@code EINVAL} before Linux 5.4).
     */
    public static int madvisePageOut(final MemorySegment range)
    {
        return madvise(range, libc_h.MADV_PAGEOUT());
    }

    /**
     * The space of the file system that holds {@code path}.
     *
     * @param path any existing file or folder on the file system.
     * @return the sizes, in bytes.
     * @throws IOException when {@code statvfs} fails; the message names the path and the error.
     */
    public static FileSystemSpace statvfs(final Path path) throws IOException
    {
        try (Arena arena = Arena.ofConfined())
        {
            final MemorySegment state = arena.allocate(libc_h.capturedStateLayout());
            final MemorySegment buf = statvfs.allocate(arena);
            if (libc_h.statvfs(state, arena.allocateFrom(path.toString()), buf) != 0)
            {
                final int errno = libc_h.errno(state);
                throw new IOException("statvfs(" + path + ") failed: errno=" + errno + " (" + strerror(errno) + ")");
            }
            final long fragment = statvfs.f_frsize(buf);
            return new FileSystemSpace(
                statvfs.f_blocks(buf) * fragment, statvfs.f_bfree(buf) * fragment, statvfs.f_bavail(buf) * fragment);
        }
    }

    /**
     * The size of a memory page, read once.
     *
     * @return {@code sysconf(_SC_PAGESIZE)}, e.g. 4096.
     */
    public static long pageSize()
    {
        return PAGE_SIZE;
    }

    /**
     * Processors online now.
     *
     * @return {@code sysconf(_SC_NPROCESSORS_ONLN)}.
     */
    public static int onlineProcessors()
    {
        return (int)sysconfOrThrow(libc_h._SC_NPROCESSORS_ONLN(), "_SC_NPROCESSORS_ONLN");
    }

    /**
     * Physical memory, in bytes.
     *
     * @return {@code sysconf(_SC_PHYS_PAGES) * pageSize()}.
     */
    public static long physicalMemoryBytes()
    {
        return sysconfOrThrow(libc_h._SC_PHYS_PAGES(), "_SC_PHYS_PAGES") * PAGE_SIZE;
    }

    /**
     * Reserves {@code bytes} of zeroed, private, anonymous memory ({@code mmap} with
     * {@code MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE}): the kernel backs a page with memory
     * only when it is first touched, so a large reservation costs address space, not resident
     * memory, until it is used. The mapping is unmapped when {@code arena} closes.
     *
     * <p>Every byte reads zero until written, like {@link Arena#allocate(long)}'s memory, without
     * the cost of writing those zeroes up front.
     *
     * @param bytes at least 1; rounded up to whole pages.
     * @param arena the arena whose closing unmaps it; a shared or global arena for memory read by
     *              several threads.
     * @return a segment of exactly {@code bytes}, page-aligned.
     * @throws IllegalArgumentException when {@code bytes < 1}.
     * @throws OutOfMemoryError when the kernel refuses the mapping (e.g. {@code ENOMEM}: no
     *                          address space left, or a strict overcommit policy that counts it).
     */
    public static MemorySegment mapAnonymous(final long bytes, final Arena arena)
    {
        if (bytes < 1)
        {
            throw new IllegalArgumentException("bytes=" + bytes + " must be >= 1");
        }
        final long length = (bytes + PAGE_SIZE - 1) & -PAGE_SIZE;
        final MemorySegment address;
        final int errno;
        try (Arena call = Arena.ofConfined())
        {
            final MemorySegment state = call.allocate(libc_h.capturedStateLayout());
            address = libc_h.mmap(state, MemorySegment.NULL, length, libc_h.PROT_READ() | libc_h.PROT_WRITE(),
                libc_h.MAP_PRIVATE() | libc_h.MAP_ANONYMOUS() | libc_h.MAP_NORESERVE(), -1, 0);
            errno = libc_h.errno(state);
        }
        if (address.address() == -1L)
        {
            throw new OutOfMemoryError("mmap of " + length + " anonymous bytes failed: errno=" + errno + " (" + strerror(errno) + ")");
        }
        final long start = address.address();
        return MemorySegment.ofAddress(start).reinterpret(bytes, arena, ignored -> unmap(start, length));
    }

    private static void unmap(final long start, final long length)
    {
        try (Arena call = Arena.ofConfined())
        {
            final MemorySegment state = call.allocate(libc_h.capturedStateLayout());
            if (libc_h.munmap(state, MemorySegment.ofAddress(start), length) != 0)
            {
                // only a wrong address or length fails, which would be a bug here; nothing to give back
                final int errno = libc_h.errno(state);
                System.getLogger(Libc.class.getName()).log(System.Logger.Level.ERROR,
                    "munmap(0x" + Long.toHexString(start) + ", " + length + ") failed: errno=" + errno + " (" + strerror(errno) + ")");
            }
        }
    }

    /**
     * The C library's message for an error number.
     *
     * @param errno an error number, e.g. {@code ENOSPC}.
     * @return e.g. {@code "No space left on device"}; glibc answers unknown numbers with
     *         {@code "Unknown error N"}.
     */
    public static String strerror(final int errno)
    {
        final MemorySegment message = libc_h.strerror(errno);
        return MemorySegment.NULL.equals(message) ? "errno " + errno : message.getString(0);
    }

    private static long sysconfOrThrow(final int name, final String label)
    {
        try (Arena arena = Arena.ofConfined())
        {
            final MemorySegment state = arena.allocate(libc_h.capturedStateLayout());
            final long value = libc_h.sysconf(state, name);
            if (value <= 0)
            {
                // Linux always knows these three; anything else means the binding itself is wrong.
                throw new IllegalStateException(
                    "sysconf(" + label + "=" + name + ")=" + value + " errno=" + libc_h.errno(state));
            }
            return value;
        }
    }
}
