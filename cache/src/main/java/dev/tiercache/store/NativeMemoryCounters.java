package dev.tiercache.store;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.Locale;
import java.util.concurrent.atomic.AtomicLongArray;

/**
 * The library's own count of the native memory it holds now, by owner, for the whole process:
 * every allocation adds its bytes here when it is made and takes them away when it is freed, so
 * after every cache is closed each count is back to zero. A count that stays above zero is a leak
 * (the tests check it after opening and closing caches in a loop).
 *
 * <p>What is counted: the host store's arena (pinned or not), the device store's arena, the
 * index's slots and hash table, the read path's own staging memory (used when the host store has
 * no room for an L3 read), and the file store's mapping (address space backed by the file, not by
 * the process's memory, but also ours to give back). Short-lived confined scratch arenas that
 * close within the method that opens them are not counted.
 *
 * <p>Concurrency: one atomic counter per owner; reading them while caches open or close gives a
 * moment's value, which is all a leak check needs.
 */
public final class NativeMemoryCounters
{
    /** Who holds the memory. */
    public enum Owner
    {
        /** L2: the host store's arena, pinned or pageable. */
        HOST_STORE,
        /** L1: the device store's arena (device memory, or host memory on the simulated GPU). */
        DEVICE_STORE,
        /** The index's slots and hash table. */
        INDEX,
        /** Staging for an L3 read that the host store has no room for, freed when its handle closes. */
        STAGING,
        /** The L3 file's mapping. */
        FILE_MAPPING
    }

    private static final AtomicLongArray LIVE_BYTES = new AtomicLongArray(Owner.values().length);

    private NativeMemoryCounters()
    {
    }

    /**
     * Bytes the owner holds now.
     *
     * @param owner who.
     * @return bytes allocated and not yet freed.
     */
    public static long liveBytes(final Owner owner)
    {
        return LIVE_BYTES.get(owner.ordinal());
    }

    /**
     * Bytes all owners hold now.
     *
     * @return the sum.
     */
    public static long liveBytes()
    {
        long sum = 0;
        for (final Owner owner : Owner.values())
        {
            sum += liveBytes(owner);
        }
        return sum;
    }

    /**
     * The counts, for messages.
     *
     * @return e.g. {@code HOST_STORE=0 DEVICE_STORE=0 INDEX=4096 STAGING=0 FILE_MAPPING=0}.
     */
    public static String describe()
    {
        final StringBuilder text = new StringBuilder();
        for (final Owner owner : Owner.values())
        {
            text.append(text.isEmpty() ? "" : " ").append(owner).append('=').append(String.format(Locale.ROOT, "%d", liveBytes(owner)));
        }
        return text.toString();
    }

    static void allocated(final Owner owner, final long bytes)
    {
        LIVE_BYTES.addAndGet(owner.ordinal(), bytes);
    }

    static void freed(final Owner owner, final long bytes)
    {
        LIVE_BYTES.addAndGet(owner.ordinal(), -bytes);
    }

    /**
     * A shared arena whose allocations count for {@code owner} until it is closed.
     *
     * @param owner who the memory is counted for.
     * @return the arena; closing it frees and uncounts everything it allocated.
     */
    public static Arena countedSharedArena(final Owner owner)
    {
        return new CountedArena(owner, Arena.ofShared());
    }

    /**
     * Reserves zeroed anonymous memory that the kernel backs only as it is touched
     * ({@link dev.tiercache.libc.Libc#mapAnonymous}), counted (as address space reserved) for the
     * owner of {@code arena} until it closes, which unmaps it.
     *
     * @param arena from {@link #countedSharedArena}.
     * @param bytes at least 1.
     * @return the mapping, page-aligned and exactly {@code bytes} long.
     * @throws IllegalArgumentException when {@code arena} is not a counted arena.
     */
    public static MemorySegment mapAnonymous(final Arena arena, final long bytes)
    {
        if (!(arena instanceof CountedArena counted))
        {
            throw new IllegalArgumentException("arena=" + arena + " is not from countedSharedArena");
        }
        final MemorySegment mapping = dev.tiercache.libc.Libc.mapAnonymous(bytes, counted);
        counted.count(bytes);
        return mapping;
    }

    /**
     * A shared arena for a file mapping of {@code bytes}, counted as {@link Owner#FILE_MAPPING}
     * from now until it is closed.
     *
     * @param bytes the mapping's length.
     * @return the arena to map into.
     */
    static Arena countedMapping(final long bytes)
    {
        final CountedArena arena = new CountedArena(Owner.FILE_MAPPING, Arena.ofShared());
        arena.count(bytes);
        return arena;
    }

    /** An arena that adds what it allocates to its owner's count and takes it away on close. */
    private static final class CountedArena implements Arena
    {
        private final Owner owner;
        private final Arena arena;
        // guarded by this: allocate and close may come from different threads of a shared arena
        private long bytes;

        CountedArena(final Owner owner, final Arena arena)
        {
            this.owner = owner;
            this.arena = arena;
        }

        @Override
        public MemorySegment allocate(final long byteSize, final long byteAlignment)
        {
            final MemorySegment segment = arena.allocate(byteSize, byteAlignment);
            count(byteSize);
            return segment;
        }

        void count(final long byteSize)
        {
            synchronized (this)
            {
                bytes += byteSize;
            }
            allocated(owner, byteSize);
        }

        @Override
        public MemorySegment.Scope scope()
        {
            return arena.scope();
        }

        @Override
        public void close()
        {
            arena.close();
            final long freed;
            synchronized (this)
            {
                freed = bytes;
                bytes = 0;
            }
            freed(owner, freed);
        }
    }
}
