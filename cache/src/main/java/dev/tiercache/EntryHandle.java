package dev.tiercache;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/**
 * A lease on one entry's bytes, from {@link TierCache#get(long)}. While it is open, the bytes it
 * points at are neither freed nor reused: it pins the entry's index slot, eviction skips the entry,
 * and a move, a {@code remove} or an overwrite of the key leaves the pinned bytes in place until
 * the last lease on them closes. Close it promptly (try-with-resources); closing twice is a no-op.
 *
 * <p>Where the bytes are depends on {@link #tier()}: a host view ({@link #segment}) for
 * {@link Tier#HOST} and {@link Tier#FILE} (an L3 hit is read, verified and decompressed into a
 * block of L2's arena, or other host memory, that the lease holds), a device address ({@link #devicePointer}) for {@link Tier#DEVICE}.
 * {@link #copyTo} and {@link #readAsFloat} work from every level. The part specs are read in place
 * from the cache's meta records, which a lease also keeps alive.
 *
 * <h2>Reuse</h2>
 * A handle made with {@link #EntryHandle()} and re-armed by {@link TierCache#get(long, EntryHandle)}
 * after each close costs no allocation per lookup (an L2 or L1 hit; an L3 hit reads into memory it
 * allocates). A closed handle is inert: every accessor throws {@link IllegalStateException}.
 *
 * <p>Not thread-safe: one thread uses a handle at a time.
 */
public final class EntryHandle implements AutoCloseable
{
    /** No L2 block holds this handle's bytes for it. */
    static final long NO_STAGING = -1;

    private static final System.Logger LOG = System.getLogger(EntryHandle.class.getName());

    private TierCache cache;
    private Tier tier;
    private int slot;
    private Arena viewScope;
    private MemorySegment metaMemory;
    private long metaBase;
    private MemorySegment hostMemory;
    private long hostBase;
    private long devicePayload;
    private Arena ownedArena;
    private long stagingOffset = NO_STAGING;
    private boolean closed = true;

    /**
     * An empty, closed handle to pass to {@link TierCache#get(long, EntryHandle)} again and again.
     */
    public EntryHandle()
    {
    }

    /**
     * Opens the handle on an entry; the caller has pinned its slot, and the handle now owns the pin.
     */
    void arm(
        final TierCache cache,
        final Tier tier,
        final int slot,
        final MemorySegment metaMemory,
        final long metaBase,
        final MemorySegment hostMemory,
        final long hostBase,
        final long devicePayload,
        final Arena ownedArena,
        final long stagingOffset)
    {
        this.cache = cache;
        this.tier = tier;
        this.slot = slot;
        this.viewScope = null;
        this.metaMemory = metaMemory;
        this.metaBase = metaBase;
        this.hostMemory = hostMemory;
        this.hostBase = hostBase;
        this.devicePayload = devicePayload;
        this.ownedArena = ownedArena;
        this.stagingOffset = stagingOffset;
        this.closed = false;
    }

    /**
     * Whether the handle holds a lease.
     *
     * @return true between a successful get and {@link #close()}.
     */
    public boolean isOpen()
    {
        return !closed;
    }

    /**
     * The level the entry was served from.
     *
     * @return the tier.
     */
    public Tier tier()
    {
        checkOpen();
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
        return EntryMetaDescriptor.partCount(metaMemory, metaBase);
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
        return EntryMetaDescriptor.spec(metaMemory, metaBase, part);
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
        return EntryMetaDescriptor.partLength(metaMemory, metaBase, part);
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
            total += EntryMetaDescriptor.partLength(metaMemory, metaBase, i);
        }
        return total;
    }

    /**
     * A part's bytes as a read-only host view; no copy. The view lives in a scope of this lease:
     * once the handle closes, any access through it throws {@link IllegalStateException}, so it
     * can never read bytes the cache has since given to another entry. The scope is confined to
     * the thread that first asks for a view of this lease; close the handle on that thread (a
     * handle closed elsewhere keeps its entry's bytes pinned until the cache closes, since the view
     * cannot be ended from there). The first view of a lease allocates its scope.
     *
     * @param part index.
     * @return the view, valid until {@link #close()}.
     * @throws IllegalStateException when the entry is on the device ({@link Tier#DEVICE}).
     */
    public MemorySegment segment(final int part)
    {
        checkPart(part);
        if (hostMemory == null)
        {
            throw new IllegalStateException("the entry is in " + tier.label() + " (" + tier.medium() +
                "): use devicePointer(part) or copyTo(part, destination)");
        }
        if (viewScope == null)
        {
            viewScope = Arena.ofConfined();
            cache.viewOpened();
        }
        final MemorySegment bytes = hostMemory.asSlice(hostBase + EntryMetaDescriptor.partOffset(metaMemory, metaBase, part),
            EntryMetaDescriptor.partLength(metaMemory, metaBase, part));
        return bytes.reinterpret(viewScope, null).asReadOnly();
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
        return devicePayload + EntryMetaDescriptor.partOffset(metaMemory, metaBase, part);
    }

    /**
     * Copies a part into the caller's memory; allocates nothing from L1 or L2 into native memory.
     *
     * @param part        index.
     * @param destination at least {@link #partByteSize} bytes; native or heap.
     */
    public void copyTo(final int part, final MemorySegment destination)
    {
        checkPart(part);
        final long length = EntryMetaDescriptor.partLength(metaMemory, metaBase, part);
        if (destination.byteSize() < length)
        {
            throw new IllegalArgumentException("destination of " + destination.byteSize() + " bytes < part " + part + " of " + length + " bytes");
        }
        final long offset = EntryMetaDescriptor.partOffset(metaMemory, metaBase, part);
        if (hostMemory != null)
        {
            MemorySegment.copy(hostMemory, hostBase + offset, destination, 0, length);
        }
        else
        {
            cache.copyFromDevice(devicePayload + offset, destination.byteSize() == length ? destination : destination.asSlice(0, length),
                this);
        }
    }

    /**
     * The entry's key as a message shows it: {@code key=42}, {@code key="name"}, or the length of
     * a byte key.
     */
    String describeKey()
    {
        final int kind = EntryMetaDescriptor.keyKind(metaMemory, metaBase);
        final long keyBase = metaBase + EntryMetaDescriptor.keyOffset(EntryMetaDescriptor.partCount(metaMemory, metaBase));
        final int keyLength = metaMemory.get(ValueLayout.JAVA_INT_UNALIGNED, metaBase + EntryMetaDescriptor.KEY_LENGTH_OFFSET);
        return switch (kind)
        {
            // a long key's record is shared and carries no key: the key is the slot's hash
            case EntryMetaDescriptor.KEY_KIND_LONG -> "key=" + cache.keyHashOf(slot);
            case EntryMetaDescriptor.KEY_KIND_STRING -> "key=\"" +
                new String(metaMemory.asSlice(keyBase, keyLength).toArray(ValueLayout.JAVA_BYTE), java.nio.charset.StandardCharsets.UTF_8) + "\"";
            default -> "key=<" + keyLength + " bytes>";
        };
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
        checkPart(part);
        final long base = metaBase + EntryMetaDescriptor.PARTS_OFFSET + (long) EntryMetaDescriptor.PART_LENGTH * part;
        if (metaMemory.get(ValueLayout.JAVA_INT_UNALIGNED, base + EntryMetaDescriptor.PART_DTYPE_OFFSET) != DType.U8.code())
        {
            throw new IllegalArgumentException("part " + part + " is " + spec(part) + ", readAsFloat needs u8");
        }
        final long n = EntryMetaDescriptor.partLength(metaMemory, metaBase, part);
        if (destination.byteSize() < n * Float.BYTES)
        {
            throw new IllegalArgumentException("destination of " + destination.byteSize() + " bytes < " + n + " floats");
        }
        final MemorySegment source;
        final long from;
        Arena scratch = null;
        if (hostMemory != null)
        {
            source = hostMemory;
            from = hostBase + EntryMetaDescriptor.partOffset(metaMemory, metaBase, part);
        }
        else
        {
            scratch = Arena.ofConfined();
            source = scratch.allocate(n);
            from = 0;
            copyTo(part, source);
        }
        try
        {
            normalize(source, from, destination, n, scale, offset);
        }
        finally
        {
            if (scratch != null)
            {
                scratch.close();
            }
        }
    }

    /** Elements per chunk of {@link #normalize}: int-indexed loops over slices, which C2 vectorizes. */
    private static final int NORMALIZE_CHUNK = 1 << 16;

    /**
     * {@code destination[i] = (source[from + i] & 0xFF) * scale + offset} for {@code n} elements,
     * in chunks with an int index over slices starting at 0 (a long-indexed loop with an offset is
     * not vectorized, and runs several times slower than a loop over a heap array).
     */
    static void normalize(final MemorySegment source, final long from, final MemorySegment destination, final long n, final float scale,
        final float offset)
    {
        for (long done = 0; done < n; done += NORMALIZE_CHUNK)
        {
            final int count = (int) Math.min(NORMALIZE_CHUNK, n - done);
            final MemorySegment in = source.asSlice(from + done, count);
            final MemorySegment out = destination.asSlice(done * Float.BYTES, (long) count * Float.BYTES);
            for (int i = 0; i < count; i++)
            {
                out.setAtIndex(ValueLayout.JAVA_FLOAT_UNALIGNED, i, (in.get(ValueLayout.JAVA_BYTE, i) & 0xFF) * scale + offset);
            }
        }
    }

    private void checkPart(final int part)
    {
        checkOpen();
        final int parts = EntryMetaDescriptor.partCount(metaMemory, metaBase);
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
     * Ends the lease; the handle may then be passed to {@link TierCache#get(long, EntryHandle)}
     * again.
     */
    @Override
    public void close()
    {
        if (closed)
        {
            return;
        }
        closed = true;
        if (viewScope != null)
        {
            try
            {
                viewScope.close();
            }
            catch (final WrongThreadException ex)
            {
                // a view made on another thread cannot be ended here: keep the bytes pinned for it
                LOG.log(System.Logger.Level.WARNING, "EntryHandle closed on a thread other than its view's: the entry stays pinned " +
                    "until the cache closes; close handles on the thread that read their views");
                hostMemory = null;
                metaMemory = null;
                return;
            }
            viewScope = null;
            cache.viewClosed();
        }
        final Arena owned = ownedArena;
        ownedArena = null;
        final long staging = stagingOffset;
        stagingOffset = NO_STAGING;
        hostMemory = null;
        metaMemory = null;
        try
        {
            cache.releasePin(slot, staging);
        }
        catch (final RuntimeException ex)
        {
            // closing a lease never throws (it runs in try-with-resources' close): say it and go on
            LOG.log(System.Logger.Level.ERROR, "EntryHandle: releasing its lease failed", ex);
        }
        finally
        {
            if (owned != null)
            {
                owned.close();
            }
        }
    }
}
