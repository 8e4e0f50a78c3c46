package dev.tiercache.store;

import dev.tiercache.cuda.CudaException;
import dev.tiercache.cuda.CudaRuntime;
import dev.tiercache.cuda.DeviceBuffer;

/**
 * L1: one device arena per GPU, allocated once with {@code cudaMalloc} and sub-allocated by a
 * {@link SpaceAllocator}.
 *
 * <h2>Sizing</h2>
 * The arena is the configured size, but never more than the device's free memory minus the
 * headroom (a share of its total memory left to the application's own kernels and to the
 * driver), and never above the VRAM limit. {@link #plan} computes that and says which bound
 * decided it; a plan of zero bytes means the level is off, with the reason.
 *
 * <h2>Failure</h2>
 * A block that does not fit is {@link SpaceAllocator#FULL}, never an exception. If the arena's own
 * {@code cudaMalloc} fails, {@link #create} reports it and the cache runs without L1.
 *
 * <p>Concurrency: as {@link HostStore}.
 */
public final class DeviceStore extends ArenaStore
{
    private final DeviceBuffer arena;

    /**
     * The arena size the sizing rules give.
     *
     * @param bytes  the size to allocate, 0 when the level must stay off.
     * @param reason which bound decided it, in words.
     */
    public record Plan(long bytes, String reason)
    {
    }

    private DeviceStore(final DeviceBuffer arena, final long alignmentBytes)
    {
        super("DeviceStore", arena.byteSize(), alignmentBytes);
        this.arena = arena;
        NativeMemoryCounters.allocated(NativeMemoryCounters.Owner.DEVICE_STORE, arena.byteSize());
    }

    /**
     * Applies the sizing rules of the class comment.
     *
     * @param requestedBytes   the configured L1 size.
     * @param freeBytes        the device's free memory now.
     * @param totalBytes       the device's total memory.
     * @param headroomFraction share of total memory never used, in [0, 1).
     * @param vramLimitBytes   hard cap, {@code <= 0} for none.
     * @return the size and why.
     */
    public static Plan plan(
        final long requestedBytes, final long freeBytes, final long totalBytes, final double headroomFraction, final long vramLimitBytes)
    {
        if (headroomFraction < 0 || headroomFraction >= 1)
        {
            throw new IllegalArgumentException("headroomFraction=" + headroomFraction + " is not in [0, 1)");
        }
        final long headroom = (long) Math.ceil(totalBytes * headroomFraction);
        final long available = Math.max(0, freeBytes - headroom);
        long bytes = requestedBytes;
        String reason = "configured size " + requestedBytes;
        if (available < bytes)
        {
            bytes = available;
            reason = "device free " + freeBytes + " minus headroom " + headroom + " (" + (int) Math.round(headroomFraction * 100) + "% of " +
                totalBytes + ")";
        }
        if (vramLimitBytes > 0 && vramLimitBytes < bytes)
        {
            bytes = vramLimitBytes;
            reason = "VRAM limit " + vramLimitBytes;
        }
        return new Plan(Math.max(0, bytes), reason);
    }

    /**
     * Allocates the arena on the calling thread's current device.
     *
     * @param runtime        a usable runtime.
     * @param plan           from {@link #plan}, with {@code bytes > 0}.
     * @param alignmentBytes alignment of every block (256 suits coalesced device access).
     * @return the store.
     * @throws CudaException when the arena cannot be allocated.
     */
    public static DeviceStore create(final CudaRuntime runtime, final Plan plan, final long alignmentBytes)
    {
        if (plan.bytes() <= 0)
        {
            throw new IllegalArgumentException("plan.bytes=" + plan.bytes() + " must be > 0 (" + plan.reason() + ")");
        }
        final DeviceBuffer arena = runtime.allocateDevice(plan.bytes());
        try
        {
            return new DeviceStore(arena, alignmentBytes);
        }
        catch (final RuntimeException ex)
        {
            arena.close();
            throw ex;
        }
    }



    /**
     * The device address of a block.
     *
     * @param offset from {@link #allocate}.
     * @return arena base plus offset.
     */
    public long deviceAddress(final long offset)
    {
        return arena.address() + offset;
    }

    /**
     * The arena.
     *
     * @return the device buffer all blocks live in.
     */
    public DeviceBuffer arena()
    {
        return arena;
    }





    @Override
    void releaseArena()
    {
        arena.close();
        NativeMemoryCounters.freed(NativeMemoryCounters.Owner.DEVICE_STORE, arena.byteSize());
    }
}
