package dev.tiercache;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/**
 * A lease on one entry's bytes, returned by {@link TierCache#get(long)}. While it is open, the
 * bytes it points at are neither freed nor moved: eviction skips the entry, a move waits for the
 * lease to end, and a {@code remove} or overwrite of the key defers the free until the last lease
 * on the old bytes closes. Close it promptly (try-with-resources); closing twice is a no-op.
 *
 * <p>Where the bytes are depends on {@link #tier()}: a host view ({@link #segment}) for
 * {@link Tier#HOST} and {@link Tier#FILE} (an L3 hit is read, verified and decompressed into host
 * memory owned by the lease), a device address ({@link #devicePointer}) for {@link Tier#DEVICE}.
 * {@link #copyTo} and {@link #readAsFloat} work from every level.
 *
 * <p>Not thread-safe: one thread uses a handle at a time.
 */
public final class EntryHandle implements AutoCloseable
{
    private final TierCache cache;
    private final Tier tier;
    private final long leaseKey;
    private final MemorySegment meta;
    private final MemorySegment hostPayload;
    private final long devicePayload;
    private final Arena ownedArena;
    private boolean closed;

    EntryHandle(
        final TierCache cache,
        final Tier tier,
        final long leaseKey,
        final MemorySegment meta,
        final MemorySegment hostPayload,
        final long devicePayload,
        final Arena ownedArena)
    {
        this.cache = cache;
        this.tier = tier;
        this.leaseKey = leaseKey;
        this.meta = meta;
        this.hostPayload = hostPayload;
        this.devicePayload = devicePayload;
        this.ownedArena = ownedArena;
    }

    /**
     * The level the entry was served from.
     *
     * @return the tier.
     */
    public Tier tier()
    {
        return tier;
    }

    /**
     * Number of parts.
     *
     * @return at least 1.
     */
    public int partCount()
    {
        checkOpen();
        return EntryMetaDescriptor.partCount(meta);
    }

    /**
     * A part's spec.
     *
     * @param part index.
     * @return element type and shape.
     */
    public TensorSpec spec(final int part)
    {
        checkPart(part);
        return EntryMetaDescriptor.spec(meta, part);
    }

    /**
     * Bytes of one part.
     *
     * @param part index.
     * @return its length.
     */
    public long partByteSize(final int part)
    {
        checkPart(part);
        return EntryMetaDescriptor.partLength(meta, part);
    }

    /**
     * Bytes of all parts together, as {@link TierCache#getInto} copies them (parts back to back,
     * no padding).
     *
     * @return the sum of part sizes.
     */
    public long byteSize()
    {
        final int parts = partCount();
        long total = 0;
        for (int i = 0; i < parts; i++)
        {
            total += EntryMetaDescriptor.partLength(meta, i);
        }
        return total;
    }

    /**
     * A part's bytes as a read-only host view; no copy.
     *
     * @param part index.
     * @return the view, valid until {@link #close()}.
     * @throws IllegalStateException when the entry is on the device ({@link Tier#DEVICE}).
     */
    public MemorySegment segment(final int part)
    {
        checkPart(part);
        if (hostPayload == null)
        {
            throw new IllegalStateException("the entry is in " + tier.label() + " (" + tier.medium() +
                "): use devicePointer(part) or copyTo(part, destination)");
        }
        return hostPayload.asSlice(EntryMetaDescriptor.partOffset(meta, part), EntryMetaDescriptor.partLength(meta, part)).asReadOnly();
    }

    /**
     * A part's device address.
     *
     * @param part index.
     * @return the address in device memory.
     * @throws IllegalStateException unless the entry is in {@link Tier#DEVICE}.
     */
    public long devicePointer(final int part)
    {
        checkPart(part);
        if (tier != Tier.DEVICE)
        {
            throw new IllegalStateException("the entry is in " + tier.label() + " (" + tier.medium() + "), not on the device: use segment(part)," +
                " or TierCache.getOnDevice to bring it to L1");
        }
        return devicePayload + EntryMetaDescriptor.partOffset(meta, part);
    }

    /**
     * Copies a part into the caller's memory.
     *
     * @param part        index.
     * @param destination at least {@link #partByteSize} bytes; native or heap.
     */
    public void copyTo(final int part, final MemorySegment destination)
    {
        checkPart(part);
        final long length = EntryMetaDescriptor.partLength(meta, part);
        if (destination.byteSize() < length)
        {
            throw new IllegalArgumentException("destination of " + destination.byteSize() + " bytes < part " + part + " of " + length + " bytes");
        }
        final long offset = EntryMetaDescriptor.partOffset(meta, part);
        if (hostPayload != null)
        {
            MemorySegment.copy(hostPayload, offset, destination, 0, length);
        }
        else
        {
            cache.copyFromDevice(devicePayload + offset, destination.asSlice(0, length));
        }
    }

    /**
     * Decodes a {@code U8} part into floats, {@code value * scale + offset} each (the on-demand
     * normalisation of image data), into the caller's buffer.
     *
     * @param part        index of a {@link DType#U8} part.
     * @param destination at least 4 bytes per element.
     * @param scale       multiplier, e.g. {@code 1f / 255f}.
     * @param offset      added after scaling.
     */
    public void readAsFloat(final int part, final MemorySegment destination, final float scale, final float offset)
    {
        final TensorSpec spec = spec(part);
        if (spec.dtype() != DType.U8)
        {
            throw new IllegalArgumentException("part " + part + " is " + spec + ", readAsFloat needs u8");
        }
        final long n = spec.elementCount();
        if (destination.byteSize() < n * Float.BYTES)
        {
            throw new IllegalArgumentException("destination of " + destination.byteSize() + " bytes < " + n + " floats");
        }
        final MemorySegment source;
        Arena scratch = null;
        if (hostPayload != null)
        {
            source = hostPayload.asSlice(EntryMetaDescriptor.partOffset(meta, part), n);
        }
        else
        {
            scratch = Arena.ofConfined();
            source = scratch.allocate(n);
            copyTo(part, source);
        }
        try
        {
            for (long i = 0; i < n; i++)
            {
                destination.setAtIndex(ValueLayout.JAVA_FLOAT_UNALIGNED, i,
                    (source.get(ValueLayout.JAVA_BYTE, i) & 0xFF) * scale + offset);
            }
        }
        finally
        {
            if (scratch != null)
            {
                scratch.close();
            }
        }
    }

    private void checkPart(final int part)
    {
        checkOpen();
        final int parts = EntryMetaDescriptor.partCount(meta);
        if (part < 0 || part >= parts)
        {
            throw new IndexOutOfBoundsException("part=" + part + " is not in [0, " + parts + ")");
        }
    }

    private void checkOpen()
    {
        if (closed)
        {
            throw new IllegalStateException("EntryHandle is closed");
        }
    }

    /**
     * Ends the lease.
     */
    @Override
    public void close()
    {
        if (closed)
        {
            return;
        }
        closed = true;
        try
        {
            cache.releaseLease(leaseKey);
        }
        finally
        {
            if (ownedArena != null)
            {
                ownedArena.close();
            }
        }
    }
}
