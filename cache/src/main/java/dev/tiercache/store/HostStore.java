package dev.tiercache.store;

import dev.tiercache.cuda.CudaException;
import dev.tiercache.cuda.CudaRuntime;
import dev.tiercache.cuda.PinnedBuffer;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;

/**
 * L2: one host arena, sub-allocated by a {@link SpaceAllocator}.
 *
 * <p>The arena is pinned ({@code cudaHostAlloc}) when a CUDA runtime is usable, so copies to and
 * from the device run at full link speed and truly asynchronously; otherwise it is plain off-heap
 * memory from a shared {@link Arena}. Behaviour is the same either way. The arena is allocated
 * once, at creation; no entry ever costs a native allocation.
 *
 * <p>Concurrency: {@link #allocate} and {@link #free} are guarded by the store's monitor; the bytes
 * themselves are read and written without it, by whoever holds the block (the cache's leases
 * decide who that is).
 */
public final class HostStore extends ArenaStore
{
    private final MemorySegment memory;
    private final PinnedBuffer pinned;
    private final Arena arena;

    private HostStore(final BlockAllocator allocator, final long capacityBytes, final PinnedBuffer pinned, final Arena arena)
    {
        super("HostStore", allocator);
        this.pinned = pinned;
        this.arena = arena;
        // pageable memory is mapped, not allocated: the kernel backs it as it is first touched, so a
        // large arena costs resident memory only for what has been used (and is not zeroed up front)
        this.memory = pinned != null ? pinned.segment() : dev.tiercache.libc.Libc.mapAnonymous(capacityBytes, arena);
        NativeMemoryCounters.allocated(NativeMemoryCounters.Owner.HOST_STORE, memory.byteSize());
    }

    /**
     * Creates the store.
     *
     * @param runtime        pins the arena when usable; may be {@code null} or unusable.
     * @param capacityBytes  arena size, at least 1.
     * @param alignmentBytes alignment of every block, a power of two.
     * @return the store; its owner must close it.
     */
    public static HostStore create(final CudaRuntime runtime, final long capacityBytes, final long alignmentBytes)
    {
        if (capacityBytes <= 0)
        {
            throw new IllegalArgumentException("capacityBytes=" + capacityBytes + " must be > 0");
        }
        if (runtime != null && runtime.isUsable())
        {
            try
            {
                final PinnedBuffer pinned = runtime.allocatePinned(capacityBytes, 0);
                return new HostStore(new SpaceAllocator(capacityBytes, alignmentBytes), capacityBytes, pinned, null);
            }
            catch (final CudaException ex)
            {
                // the OS may refuse to lock that much memory; pageable memory still works, only slower to copy
                System.getLogger(HostStore.class.getName()).log(System.Logger.Level.WARNING,
                    "cannot pin " + capacityBytes + " bytes of host memory (" + ex.getMessage() + "); L2 uses pageable memory");
            }
        }
        return new HostStore(new SpaceAllocator(capacityBytes, alignmentBytes), capacityBytes, null, Arena.ofShared());
    }

    /**
     * Creates a pageable store for many small records (the meta arena): blocks up to
     * {@link SlabAllocator#SMALL_MAX} bytes come from slabs with a bit of heap bookkeeping each,
     * and the space behind them keeps a map cell per slab rather than start marks for every unit.
     *
     * @param capacityBytes  arena size, at least 1.
     * @param alignmentBytes alignment of every block, a power of two up to {@link SlabAllocator#SMALL_MAX}.
     * @return the store; its owner must close it.
     */
    public static HostStore createRecordArena(final long capacityBytes, final long alignmentBytes)
    {
        if (capacityBytes <= 0)
        {
            throw new IllegalArgumentException("capacityBytes=" + capacityBytes + " must be > 0");
        }
        return new HostStore(new SlabAllocator(capacityBytes, alignmentBytes), capacityBytes, null, Arena.ofShared());
    }

    /**
     * Whether the arena is page-locked by the CUDA runtime.
     *
     * @return true when pinned.
     */
    public boolean isPinned()
    {
        return pinned != null;
    }



    /**
     * The bytes of a block, as a view; no copy.
     *
     * @param offset from {@link #allocate}.
     * @param bytes  length of the view.
     * @return a slice of the arena, valid until the store is closed.
     */
    public MemorySegment view(final long offset, final long bytes)
    {
        return memory.asSlice(offset, bytes);
    }

    /**
     * The whole arena (for transfers that address it by offset).
     *
     * @return the arena's segment.
     */
    public MemorySegment memory()
    {
        return memory;
    }






    @Override
    void releaseArena()
    {
        if (pinned != null)
        {
            pinned.close();
        }
        else
        {
            arena.close();
        }
        NativeMemoryCounters.freed(NativeMemoryCounters.Owner.HOST_STORE, memory.byteSize());
    }
}
