package dev.tiercache.dataset;

import dev.tiercache.CacheStats;
import dev.tiercache.DType;
import dev.tiercache.EntryHandle;
import dev.tiercache.LevelStats;
import dev.tiercache.Part;
import dev.tiercache.Tier;
import dev.tiercache.TierCache;
import dev.tiercache.TensorSpec;
import dev.tiercache.cuda.CudaRuntime;
import dev.tiercache.cuda.CudaStream;
import dev.tiercache.cuda.DeviceBuffer;
import dev.tiercache.cuda.DeviceNormalizer;
import dev.tiercache.cuda.MemcpyKind;

import java.io.PrintWriter;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.Locale;
import java.util.Objects;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

/**
 * What a training loop needs around a {@link TierCache}: fill it before the first epoch, gather a
 * batch into one buffer, bring the next batch up while the current one is used, and print the
 * statistics now and then. Made with {@link #builder(TierCache)}; the cache stays the caller's.
 *
 * <h2>Preload</h2>
 * {@link #preload} fills L1 first, then L2, and stops cleanly, with a {@link PreloadSummary} and no
 * exception, before the first entry that would not fit the room left in them (or a byte limit).
 * A plain {@code put} would make room by pushing older entries down to L3, which turns a preload of
 * a dataset larger than memory into a churn through the disk; stopping keeps what was loaded where
 * it was put. Only when asked ({@code spillToFile}) does it go on into L3. The room is measured
 * from the cache's statistics before every entry, up to {@link Builder#fillFraction} of each level
 * (default 0.90, the cache's default low-water mark, so the mover's trimming does not push preloaded
 * entries down either). An entry is placed in L1 by {@link TierCache#getOnDevice}, which counts one
 * access; the statistics therefore show one access per entry preloaded into L1. The summary counts
 * where the stored entries are when the preload returns (a spilling preload's later puts push its
 * earlier entries down), looked up in the index: a snapshot that agrees with {@link TierCache#stats()}
 * at that moment.
 *
 * <h2>Batches</h2>
 * {@link #getBatch} copies N entries back to back into one host buffer, in the order of the keys,
 * each through a lease, so it reads from whatever level the entry is in. The device variant
 * {@link #getBatchOnDevice} fills a {@link DeviceBuffer}: an entry in L1 is copied device to device,
 * one in L2 or L3 goes straight from the leased host bytes to the device (L2 is pinned, so that is
 * one DMA, no staging copy). With L4, {@link #getBatch} first fetches the batch's local misses from
 * it in one pipelined exchange ({@link TierCache#fetchFromRemote}).
 *
 * <h2>Prefetch</h2>
 * {@link #prefetch} hands the next batch's keys to one background thread, which raises each entry
 * to the target level: by default L2, with {@link TierCache#promoteToHost} (an L3 entry is read
 * into L2 at once, if L2's admission takes it; what L1 holds is left alone); L1 only when asked
 * ({@code prefetch(keys, Tier.DEVICE)}), with {@link TierCache#getOnDevice} (synchronous on that
 * thread, so the training thread's next {@code get} is an L1 hit). Neither counts as an access.
 *
 * <h2>The epoch plan</h2>
 * A training loop knows each epoch's order before it starts. Given it ({@link #epoch(long[])}), a
 * plan thread raises the entries just ahead of the batch methods' reads, within a window of
 * {@link Builder#lookAheadBytes}, and makes room by demoting what is needed furthest ahead, so the
 * reads find their entries in L2 or L1 instead of waiting on the file. {@link #planStats} says what
 * it did; {@link BatchStats#fileReads} counts the reads that still waited on L3.
 *
 * <h2>Concurrency</h2>
 * One training thread calls the batch methods and the stats reporter; the prefetch and plan
 * threads only call the cache, which is thread-safe. {@link #close()} stops both (not the cache).
 */
public final class DatasetCache implements AutoCloseable
{

    private static final int RAISED = 0;
    private static final int MISSING = 1;
    private static final int NOT_RAISED = 2;
    private static final long DEVICE_ALIGNMENT = 256;
    private static final long PART_ALIGNMENT = 64;
    private static final double MIB = 1024.0 * 1024.0;

    private final TierCache cache;
    private final ProgressListener progress;
    private final double fillFraction;
    private final PeriodicStatsReporter statsReporter;
    private final BatchCounters counters = new BatchCounters();
    private ExecutorService prefetcher;
    private CudaRuntime runtime;
    private DeviceNormalizer normalizer;
    private final java.util.concurrent.ConcurrentLinkedQueue<CudaStream> idleStreams = new java.util.concurrent.ConcurrentLinkedQueue<>();
    private final java.util.List<CudaStream> streams = new java.util.ArrayList<>();
    private final long lookAheadBytes;
    private volatile EpochPlan plan;

    private DatasetCache(final Builder builder)
    {
        this.cache = builder.cache;
        this.progress = builder.progress;
        this.fillFraction = builder.fillFraction;
        this.lookAheadBytes = builder.lookAheadBytes;
        this.statsReporter = builder.statsOut == null ? null :
            new PeriodicStatsReporter(cache, builder.statsOut, builder.statsEveryBatches, builder.statsEveryNanos);
    }

    /**
     * Starts a configuration around a cache.
     *
     * @param cache the cache; the caller keeps owning it.
     * @return a builder: no progress output, no periodic statistics, fill fraction 0.90.
     */
    public static Builder builder(final TierCache cache)
    {
        return new Builder(Objects.requireNonNull(cache, "cache"));
    }

    /**
     * The wrapped cache.
     *
     * @return the cache.
     */
    public TierCache cache()
    {
        return cache;
    }

    /**
     * The periodic statistics printer, when one was configured.
     *
     * @return the reporter, or {@code null}.
     */
    public PeriodicStatsReporter statsReporter()
    {
        return statsReporter;
    }

    // ------------------------------------------------------------------------------------------
    // preload
    // ------------------------------------------------------------------------------------------

    /**
     * Loads and stores entries until L1 and L2 are full (see the class comment).
     *
     * @param keys   keys in the order to load them.
     * @param loader makes an entry's parts.
     * @return what was loaded and why it stopped.
     */
    public PreloadSummary preload(final long[] keys, final TierCache.Loader loader)
    {
        return preload(keys, loader, Long.MAX_VALUE, false);
    }

    /**
     * Loads and stores entries until L1 and L2 are full or {@code maxBytes} are loaded.
     *
     * @param keys     keys in the order to load them.
     * @param loader   makes an entry's parts.
     * @param maxBytes most payload bytes to load.
     * @return what was loaded and why it stopped.
     */
    public PreloadSummary preload(final long[] keys, final TierCache.Loader loader, final long maxBytes)
    {
        return preload(keys, loader, maxBytes, false);
    }

    /**
     * Loads and stores entries: L1 first, then L2, then, when {@code spillToFile}, L3 through
     * ordinary puts (which may push L2 entries down); without it, stops before the first entry that
     * does not fit L1 and L2.
     *
     * @param keys        keys in the order to load them.
     * @param loader      makes an entry's parts.
     * @param maxBytes    most payload bytes to load.
     * @param spillToFile whether to go on into L3 when L1 and L2 are full.
     * @return what was loaded and why it stopped.
     */
    public PreloadSummary preload(final long[] keys, final TierCache.Loader loader, final long maxBytes, final boolean spillToFile)
    {
        Objects.requireNonNull(loader, "loader");
        if (maxBytes < 0)
        {
            throw new IllegalArgumentException("maxBytes=" + maxBytes + " < 0");
        }
        final String task = "preload";
        final long start = System.nanoTime();
        int loaded = 0;
        int already = 0;
        long bytes = 0;
        final long[] stored = new long[keys.length];
        PreloadSummary.Stop stop = PreloadSummary.Stop.COMPLETE;
        String detail = "complete";
        int index = 0;
        for (; index < keys.length; index++)
        {
            final long key = keys[index];
            if (cache.contains(key))
            {
                already++;
                progress.onProgress(task, index + 1, keys.length, bytes, System.nanoTime() - start);
                continue;
            }
            final Part[] parts;
            try
            {
                parts = loader.load(key);
            }
            catch (final RuntimeException ex)
            {
                throw ex;
            }
            catch (final Exception ex)
            {
                throw new IllegalStateException("preload: the loader failed for key " + key + ": " + ex, ex);
            }
            if (parts == null)
            {
                continue;
            }
            final long size = payloadBytes(parts);
            if (size > maxBytes - bytes)
            {
                stop = PreloadSummary.Stop.BYTE_LIMIT;
                detail = String.format(Locale.ROOT, "stopped at key %d: its %d bytes would pass the limit of %d bytes (%d loaded)",
                    key, size, maxBytes, bytes);
                break;
            }
            final Tier tier = place(key, parts, size, spillToFile);
            if (tier == null)
            {
                stop = PreloadSummary.Stop.CAPACITY;
                detail = "stopped at key " + key + ": its " + size + " bytes do not fit the room left (" + roomDescription() + ")";
                break;
            }
            stored[loaded] = key;
            loaded++;
            bytes += size;
            progress.onProgress(task, index + 1, keys.length, bytes, System.nanoTime() - start);
        }
        // where the stored entries are now, not where each was put: later puts and the mover push earlier ones down
        final int[] resident = new int[Tier.values().length];
        int evicted = 0;
        for (int i = 0; i < loaded; i++)
        {
            final Tier now = cache.tierOf(stored[i]);
            if (now == null)
            {
                evicted++;
            }
            else
            {
                resident[now.ordinal()]++;
            }
        }
        final PreloadSummary summary = new PreloadSummary(keys.length, loaded, already, bytes, resident[Tier.DEVICE.ordinal()],
            resident[Tier.HOST.ordinal()], resident[Tier.FILE.ordinal()], evicted, stop, index, detail, System.nanoTime() - start);
        progress.onDone(task, index, keys.length, bytes, summary.elapsedNanos(), summary.toString());
        return summary;
    }

    /**
     * Stores one entry where it fits.
     *
     * @return its level, or {@code null} when it fits neither L1 nor L2 and spilling is off.
     */
    private Tier place(final long key, final Part[] parts, final long size, final boolean spillToFile)
    {
        final CacheStats stats = cache.stats();
        final long hostRoom = room(stats.level(Tier.HOST));
        final long hostNeed = align(size, PART_ALIGNMENT);
        // the entry passes through L2 on its way to L1, so L2 needs room for it either way
        if (cache.hasDevice() && hostNeed <= hostRoom && align(size, DEVICE_ALIGNMENT) <= room(stats.level(Tier.DEVICE)))
        {
            final Tier landed = cache.put(key, parts);
            if (landed == Tier.HOST && placeOnDevice(key))
            {
                return Tier.DEVICE;
            }
            return landed;
        }
        if (hostNeed <= hostRoom)
        {
            return cache.put(key, parts);
        }
        return spillToFile ? cache.put(key, parts) : null;
    }

    private boolean placeOnDevice(final long key)
    {
        try (EntryHandle handle = cache.getOnDevice(key))
        {
            return handle != null && handle.tier() == Tier.DEVICE;
        }
        catch (final IllegalArgumentException | IllegalStateException ex)
        {
            // larger than L1 takes, or L1 is full of leased entries: the entry stays in L2
            return false;
        }
    }

    private long room(final LevelStats level)
    {
        return level.enabled() ? (long)(level.capacityBytes() * fillFraction) - level.usedBytes() : 0;
    }

    private String roomDescription()
    {
        final CacheStats stats = cache.stats();
        final StringBuilder out = new StringBuilder();
        for (final Tier tier : new Tier[] {Tier.DEVICE, Tier.HOST})
        {
            final LevelStats level = stats.level(tier);
            if (out.length() > 0)
            {
                out.append(", ");
            }
            out.append(tier.label()).append(level.enabled() ?
                String.format(Locale.ROOT, " %.1f MiB of %.1f MiB x %.2f", Math.max(0, room(level)) / MIB, level.capacityBytes() / MIB, fillFraction) :
                " off");
        }
        return out.toString();
    }

    private static long payloadBytes(final Part[] parts)
    {
        long total = 0;
        for (int i = 0; i < parts.length; i++)
        {
            total = i + 1 < parts.length ? align(total + parts[i].spec().byteSize(), PART_ALIGNMENT) : total + parts[i].spec().byteSize();
        }
        return total;
    }

    private static long align(final long value, final long alignment)
    {
        return (value + alignment - 1) & -alignment;
    }

    // ------------------------------------------------------------------------------------------
    // batches
    // ------------------------------------------------------------------------------------------

    /**
     * Whether a batch result names a miss.
     *
     * @param result what a batch method returned.
     * @return true when some key was not cached.
     */
    public static boolean isMiss(final long result)
    {
        return result < 0;
    }

    /**
     * The key that a batch result reports as missing.
     *
     * @param result a negative batch result.
     * @return the index in the key array of the first key that was not cached.
     */
    public static int missedIndex(final long result)
    {
        if (result >= 0)
        {
            throw new IllegalArgumentException("result=" + result + " is not a miss");
        }
        return (int)(-1 - result);
    }

    /**
     * Copies the entries of {@code keys}, back to back and in order, into one host buffer (each
     * entry's parts back to back, as {@link TierCache#getInto} does).
     *
     * @param keys        the batch.
     * @param destination at least the batch's bytes; native or heap.
     * @param offsets     {@code null}, or an array of {@code keys.length} that receives where each
     *                    entry starts.
     * @return bytes copied, or {@code -1 - i} when key {@code i} is not cached (see
     *         {@link #missedIndex}); entries before it are copied.
     * @throws IllegalArgumentException when the destination is too small, naming the sizes.
     */
    public long getBatch(final long[] keys, final MemorySegment destination, final long[] offsets)
    {
        return gather(keys, destination, offsets, null);
    }

    /**
     * Like {@link #getBatch(long[], MemorySegment, long[])}, loading and storing misses.
     *
     * @param keys        the batch.
     * @param destination at least the batch's bytes.
     * @param offsets     {@code null}, or receives where each entry starts.
     * @param loader      makes the parts of a key that missed.
     * @return bytes copied.
     */
    public long getBatch(final long[] keys, final MemorySegment destination, final long[] offsets, final TierCache.Loader loader)
    {
        return gather(keys, destination, offsets, Objects.requireNonNull(loader, "loader"));
    }

    private long gather(final long[] keys, final MemorySegment destination, final long[] offsets, final TierCache.Loader loader)
    {
        checkOffsets(keys, offsets);
        // with L4, the batch's local misses come in one pipelined exchange, and those L4 lacks
        // too go to the loader without a second round trip each
        final boolean[] absent = cache.hasRemote() ? new boolean[keys.length] : null;
        if (absent != null)
        {
            cache.fetchFromRemote(keys, absent);
        }
        long at = 0;
        for (int i = 0; i < keys.length; i++)
        {
            final long started = System.nanoTime();
            try (EntryHandle handle = lookUp(keys[i], loader, absent != null && absent[i]))
            {
                if (handle == null)
                {
                    return -1 - i;
                }
                checkRoom(keys[i], handle.byteSize(), at, destination.byteSize());
                if (offsets != null)
                {
                    offsets[i] = at;
                }
                for (int part = 0, n = handle.partCount(); part < n; part++)
                {
                    final long length = handle.partByteSize(part);
                    handle.copyTo(part, destination.asSlice(at, length));
                    at += length;
                }
                counters.read(handle.tier(), System.nanoTime() - started);
            }
        }
        batchDone();
        return at;
    }

    /**
     * A lease on a key, loading it on a miss when there is a loader; an L3 hit is counted as a
     * read that waited on the file (its bytes are read, checked and decoded on this thread).
     */
    private EntryHandle lookUp(final long key, final TierCache.Loader loader)
    {
        return lookUp(key, loader, false);
    }

    /** {@link #lookUp(long, TierCache.Loader)}; {@code absent}: L4 said it lacks the key, so a load asks it no more. */
    private EntryHandle lookUp(final long key, final TierCache.Loader loader, final boolean absent)
    {
        final boolean skipRemote = absent && loader != null;
        final EntryHandle cached = skipRemote ? null : cache.get(key);
        consumed(key);
        if (cached != null || loader == null)
        {
            return cached;
        }
        final long started = System.nanoTime();
        final EntryHandle loaded = skipRemote ? cache.getLocalOrLoad(key, loader) : cache.get(key, loader);
        counters.loaded(System.nanoTime() - started);
        return loaded;
    }

    /**
     * What the batch methods have read so far: entries by level, how long L3 reads and copies
     * took, how long normalisation took.
     *
     * @return a snapshot.
     */
    public BatchStats batchStats()
    {
        return counters.snapshot();
    }

    /**
     * Normalises the uint8 CHW entries of {@code keys} on the host, back to back and in order,
     * into {@code destination}: {@link Normalization#applyOnHost} over each entry's leased bytes
     * (an L1 entry is first copied to the host).
     *
     * @param keys          the batch; each entry one {@link DType#U8} part of shape {@code [C, H, W]}
     *                      with {@code C == normalization.channels()}.
     * @param destination   at least the batch's output bytes.
     * @param normalization what to compute.
     * @param loader        makes the parts of a key that missed; {@code null} to report misses.
     * @return bytes written, or {@code -1 - i} when key {@code i} is not cached.
     * @throws IllegalArgumentException for an entry of another shape, or a destination too small.
     */
    public long getBatchNormalized(
        final long[] keys, final MemorySegment destination, final Normalization normalization, final TierCache.Loader loader)
    {
        Objects.requireNonNull(normalization, "normalization");
        long at = 0;
        try (Arena scratch = Arena.ofConfined())
        {
            MemorySegment staging = null;
            for (int i = 0; i < keys.length; i++)
            {
                final long started = System.nanoTime();
                try (EntryHandle handle = lookUp(keys[i], loader))
                {
                    if (handle == null)
                    {
                        return -1 - i;
                    }
                    final long plane = checkImage(keys[i], handle, normalization);
                    final long elements = handle.partByteSize(0);
                    final long length = normalization.outputBytes(elements);
                    checkRoom(keys[i], length, at, destination.byteSize());
                    final MemorySegment source;
                    if (handle.tier() == Tier.DEVICE)
                    {
                        if (staging == null || staging.byteSize() < elements)
                        {
                            staging = scratch.allocate(elements, 64);
                        }
                        source = staging.asSlice(0, elements);
                        handle.copyTo(0, source);
                    }
                    else
                    {
                        source = handle.segment(0);
                    }
                    final long copied = System.nanoTime();
                    counters.read(handle.tier(), copied - started);
                    normalization.applyOnHost(source, destination.asSlice(at, length), elements, plane);
                    counters.normalized(System.nanoTime() - copied);
                    at += length;
                }
            }
        }
        batchDone();
        return at;
    }

    /**
     * Gathers the uint8 CHW entries of {@code keys} into device memory and normalises them there
     * with the {@link dev.tiercache.cuda.NormalizeKernel} kernels: the batch never passes through
     * host memory on its way from L1, and an L2 or L3 entry crosses the link once, as uint8. Returns
     * when the normalised batch is in {@code destination}.
     *
     * @param keys          the batch, as for {@link #getBatchNormalized}.
     * @param gathered      device memory for the batch's uint8 bytes.
     * @param destination   device memory for the batch's output bytes.
     * @param normalization what to compute.
     * @param loader        makes the parts of a key that missed; {@code null} to report misses.
     * @return output bytes written, or {@code -1 - i} when key {@code i} is not cached.
     * @throws IllegalStateException    when the cache has no GPU level or the driver API is missing.
     * @throws IllegalArgumentException for entries of different shapes, or buffers too small.
     */
    public long getBatchOnDevice(
        final long[] keys, final DeviceBuffer gathered, final DeviceBuffer destination, final Normalization normalization,
        final TierCache.Loader loader)
    {
        Objects.requireNonNull(normalization, "normalization");
        if (keys.length == 0)
        {
            return 0;
        }
        TensorSpec first = null;
        final CudaStream stream = takeStream();
        final EntryHandle[] leases = new EntryHandle[keys.length];
        boolean queued = false;
        try
        {
            // every lease stays open until the stream has run: the copies read the leased bytes asynchronously
            final CudaRuntime cuda = runtime();
            long at = 0;
            for (int i = 0; i < keys.length; i++)
            {
                final long started = System.nanoTime();
                final EntryHandle handle = lookUp(keys[i], loader);
                if (handle == null)
                {
                    return -1 - i;
                }
                leases[i] = handle;
                if (i == 0)
                {
                    checkImage(keys[0], handle, normalization);
                    first = handle.spec(0);
                }
                else if (!handle.spec(0).equals(first) || handle.partCount() != 1)
                {
                    throw new IllegalArgumentException("key " + keys[i] + " holds " + handle.spec(0) + ", the batch's first entry " + first +
                        ": every entry of a normalised batch must have the first one's shape");
                }
                final long length = handle.partByteSize(0);
                checkRoom(keys[i], length, at, gathered.byteSize());
                if (handle.tier() == Tier.DEVICE)
                {
                    cuda.copyAsync(gathered.address() + at, handle.devicePointer(0), length, MemcpyKind.DEVICE_TO_DEVICE, stream);
                }
                else
                {
                    gathered.copyFromHostAsync(handle.segment(0), at, stream);
                }
                queued = true;
                counters.read(handle.tier(), System.nanoTime() - started);
                at += length;
            }
            final long output = normalization.outputBytes(at);
            checkRoom(keys[0], output, 0, destination.byteSize());
            final long started = System.nanoTime();
            normalizer().launch(gathered.address(), destination.address(), at, first.elementCount() / first.dim(0),
                normalization.output() == DType.F16, normalization.scale(), normalization.offset(), stream);
            stream.synchronize();
            queued = false;
            counters.normalized(System.nanoTime() - started);
            batchDone();
            return output;
        }
        finally
        {
            if (queued)
            {
                stream.synchronize();
            }
            for (final EntryHandle lease : leases)
            {
                if (lease != null)
                {
                    lease.close();
                }
            }
            idleStreams.add(stream);
        }
    }

    /** A stream of the pool (one per thread normalising at a time), made when none is idle. */
    private CudaStream takeStream()
    {
        final CudaStream idle = idleStreams.poll();
        if (idle != null)
        {
            return idle;
        }
        final CudaStream made = runtime().createStream(true);
        synchronized (this)
        {
            streams.add(made);
        }
        return made;
    }

    private synchronized DeviceNormalizer normalizer()
    {
        if (normalizer == null)
        {
            normalizer = DeviceNormalizer.load(runtime(), 0);
        }
        return normalizer;
    }

    /**
     * Checks that an entry is one uint8 image of {@code normalization.channels()} channels.
     *
     * @return the elements of one channel plane.
     */
    private static long checkImage(final long key, final EntryHandle handle, final Normalization normalization)
    {
        final TensorSpec spec = handle.spec(0);
        if (handle.partCount() != 1 || spec.dtype() != DType.U8 || spec.rank() < 2 || spec.dim(0) != normalization.channels())
        {
            throw new IllegalArgumentException("key " + key + " holds " + handle.partCount() + " part(s), the first " + spec +
                ": normalisation takes one U8 part of shape [" + normalization.channels() + ", ...]");
        }
        return spec.elementCount() / spec.dim(0);
    }

    /**
     * Decodes the entries of {@code keys}, each made of {@link DType#U8} parts, into floats
     * ({@code value * scale + offset}), back to back and in order: the normalisation of image
     * batches, done on read so the cache keeps uint8.
     *
     * @param keys        the batch.
     * @param destination at least 4 bytes per element of the batch.
     * @param scale       multiplier, e.g. {@code 1f / 255f}.
     * @param offset      added after scaling.
     * @param loader      makes the parts of a key that missed; {@code null} to report misses.
     * @return bytes written, or {@code -1 - i} when key {@code i} is not cached.
     */
    public long getBatchAsFloat(
        final long[] keys, final MemorySegment destination, final float scale, final float offset, final TierCache.Loader loader)
    {
        long at = 0;
        for (int i = 0; i < keys.length; i++)
        {
            try (EntryHandle handle = loader == null ? cache.get(keys[i]) : cache.get(keys[i], loader))
            {
                consumed(keys[i]);
                if (handle == null)
                {
                    return -1 - i;
                }
                for (int part = 0, n = handle.partCount(); part < n; part++)
                {
                    final long length = handle.spec(part).elementCount() * Float.BYTES;
                    checkRoom(keys[i], length, at, destination.byteSize());
                    handle.readAsFloat(part, destination.asSlice(at, length), scale, offset);
                    at += length;
                }
            }
        }
        batchDone();
        return at;
    }

    /**
     * Copies the entries of {@code keys}, back to back and in order, into device memory: L1
     * entries device to device, the others from their leased host bytes.
     *
     * @param keys        the batch.
     * @param destination device memory of at least the batch's bytes.
     * @param offsets     {@code null}, or receives where each entry starts in {@code destination}.
     * @param loader      makes the parts of a key that missed; {@code null} to report misses.
     * @return bytes copied, or {@code -1 - i} when key {@code i} is not cached.
     * @throws IllegalStateException when the cache has no GPU level.
     */
    public long getBatchOnDevice(final long[] keys, final DeviceBuffer destination, final long[] offsets, final TierCache.Loader loader)
    {
        if (!cache.hasDevice())
        {
            throw new IllegalStateException("the cache has no L1 (device) level: " + cache.stats().level(Tier.DEVICE).disabledReason());
        }
        checkOffsets(keys, offsets);
        final CudaRuntime cuda = runtime();
        long at = 0;
        for (int i = 0; i < keys.length; i++)
        {
            final long started = System.nanoTime();
            try (EntryHandle handle = lookUp(keys[i], loader))
            {
                if (handle == null)
                {
                    return -1 - i;
                }
                checkRoom(keys[i], handle.byteSize(), at, destination.byteSize());
                if (offsets != null)
                {
                    offsets[i] = at;
                }
                final Tier tier = handle.tier();
                for (int part = 0, n = handle.partCount(); part < n; part++)
                {
                    final long length = handle.partByteSize(part);
                    if (handle.tier() == Tier.DEVICE)
                    {
                        cuda.copy(destination.address() + at, handle.devicePointer(part), length, MemcpyKind.DEVICE_TO_DEVICE);
                    }
                    else
                    {
                        destination.copyFromHost(handle.segment(part), at);
                    }
                    at += length;
                }
                counters.read(tier, System.nanoTime() - started);
            }
        }
        batchDone();
        return at;
    }

    private synchronized CudaRuntime runtime()
    {
        if (runtime == null)
        {
            runtime = CudaRuntime.open();
        }
        return runtime;
    }

    private static void checkOffsets(final long[] keys, final long[] offsets)
    {
        if (offsets != null && offsets.length < keys.length)
        {
            throw new IllegalArgumentException("offsets.length=" + offsets.length + " < keys.length=" + keys.length);
        }
    }

    private static void checkRoom(final long key, final long length, final long at, final long capacity)
    {
        if (length > capacity - at)
        {
            throw new IllegalArgumentException("destination of " + capacity + " bytes is too small: key " + key + " needs " + length +
                " bytes at offset " + at);
        }
    }

    private void batchDone()
    {
        if (statsReporter != null)
        {
            statsReporter.onBatch();
        }
    }

    // ------------------------------------------------------------------------------------------
    // the epoch plan
    // ------------------------------------------------------------------------------------------

    /**
     * Queues an epoch's order (the sampler's permutation): the plan thread raises the entries
     * just ahead of the batch methods' reads, up to {@link Builder#lookAheadBytes} of them, L3 to
     * L2 and, with a GPU level, to L1, and makes room by demoting what the queued epochs need
     * furthest ahead (Belady on the plan; see {@link EpochPlan}). The batch methods report each
     * read to the plan; reads in the order move its position. Queue the next epoch before the
     * current one ends so that the first batches of the next are raised in time, and so that
     * eviction knows which of this epoch's entries come back soon.
     *
     * @param order the keys in the order they will be read; copied.
     * @throws IllegalStateException when the last epoch queued is an iterator not yet read to its end.
     */
    public void epoch(final long[] order)
    {
        plan().add(Objects.requireNonNull(order, "order"));
    }

    /**
     * Queues an epoch's order given as an iterator, pulled (on the plan thread) only as far as the
     * window reaches; eviction then knows only the part pulled, and until the plan has met the
     * entries resident in L2 their victims are chosen by L2's own policy, which may pick an entry of
     * the window (that read then waits on L3). It must be the last epoch queued
     * until it is read to its end.
     *
     * @param order the keys in the order they will be read.
     * @throws IllegalStateException when the last epoch queued is an iterator not yet read to its end.
     */
    public void epoch(final java.util.PrimitiveIterator.OfLong order)
    {
        plan().add(Objects.requireNonNull(order, "order"));
    }

    /**
     * What the epoch plan has done so far.
     *
     * @return a snapshot; all zero before the first {@link #epoch}.
     */
    public PlanStats planStats()
    {
        final EpochPlan current = plan;
        return current == null ? new PlanStats(0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0) : current.stats();
    }

    private synchronized EpochPlan plan()
    {
        if (plan == null)
        {
            plan = new EpochPlan(cache, lookAheadBytes, fillFraction);
        }
        return plan;
    }

    /**
     * Waits until the plan thread has done what it can for the reads so far.
     *
     * @param timeoutNanos how long at most.
     * @return false when the time ran out, true when it is idle (or there is no plan).
     * @throws InterruptedException when interrupted while waiting.
     */
    boolean awaitPlan(final long timeoutNanos) throws InterruptedException
    {
        final EpochPlan current = plan;
        return current == null || current.awaitIdle(timeoutNanos);
    }

    private void consumed(final long key)
    {
        final EpochPlan current = plan;
        if (current != null)
        {
            current.consumed(key);
        }
    }

    // ------------------------------------------------------------------------------------------
    // prefetch
    // ------------------------------------------------------------------------------------------

    /**
     * Raises the entries of the next batch from L3 into L2, on the background thread: what L1
     * holds stays there, and nothing is pushed into L1 (that takes
     * {@code prefetch(keys, Tier.DEVICE)}), so a prefetch never evicts L1's residents for entries
     * that a host-side reader would only copy back.
     *
     * @param upcomingKeys the keys to raise; copied.
     * @return completes when they are raised.
     */
    public Future<PrefetchResult> prefetch(final long[] upcomingKeys)
    {
        return prefetch(upcomingKeys, Tier.HOST);
    }

    /**
     * Raises entries to a level on the background thread, in order. An entry already at the target
     * or above stays where it is.
     *
     * @param upcomingKeys the keys; copied.
     * @param target       {@link Tier#HOST} (an L3 entry is read into L2), or {@link Tier#DEVICE}
     *                     (the entry is copied into L1, which may push L1's least wanted residents
     *                     down to L2) for a reader that consumes it on the GPU.
     * @return completes when they are raised.
     * @throws IllegalArgumentException for {@link Tier#FILE}, or {@link Tier#DEVICE} without a GPU level.
     */
    public Future<PrefetchResult> prefetch(final long[] upcomingKeys, final Tier target)
    {
        if (target == Tier.FILE || (target == Tier.DEVICE && !cache.hasDevice()))
        {
            throw new IllegalArgumentException("target=" + target + ": prefetch raises to " + (cache.hasDevice() ? "DEVICE or HOST" : "HOST"));
        }
        final long[] keys = upcomingKeys.clone();
        return prefetcher().submit(() -> raise(keys, target));
    }

    private synchronized ExecutorService prefetcher()
    {
        if (prefetcher == null)
        {
            prefetcher = Executors.newSingleThreadExecutor(task ->
            {
                final Thread thread = new Thread(task, "tiercache-prefetch-" + cache.name());
                thread.setDaemon(true);
                return thread;
            });
        }
        return prefetcher;
    }

    private PrefetchResult raise(final long[] keys, final Tier target)
    {
        int atTarget = 0;
        int missing = 0;
        int notRaised = 0;
        for (final long key : keys)
        {
            final int outcome = target == Tier.DEVICE ? raiseToDevice(key) : raiseToHost(key);
            switch (outcome)
            {
                case RAISED -> atTarget++;
                case MISSING -> missing++;
                default -> notRaised++;
            }
        }
        return new PrefetchResult(target, keys.length, atTarget, missing, notRaised);
    }

    private int raiseToDevice(final long key)
    {
        try (EntryHandle handle = cache.getOnDevice(key))
        {
            return handle == null ? MISSING : RAISED;
        }
        catch (final IllegalArgumentException | IllegalStateException ex)
        {
            // too large for L1, or L1 full of leased entries: the training thread reads it from L2
            return NOT_RAISED;
        }
    }

    private int raiseToHost(final long key)
    {
        final Tier tier = cache.promoteToHost(key);
        if (tier == null)
        {
            return MISSING;
        }
        return tier == Tier.FILE ? NOT_RAISED : RAISED;
    }

    /**
     * Stops the prefetch thread, letting the prefetch in progress finish. The cache stays open.
     */
    @Override
    public void close()
    {
        final ExecutorService executor;
        final DeviceNormalizer kernels;
        final java.util.List<CudaStream> made;
        final EpochPlan epochs;
        synchronized (this)
        {
            epochs = plan;
            plan = null;
            executor = prefetcher;
            prefetcher = null;
            kernels = normalizer;
            normalizer = null;
            made = new java.util.ArrayList<>(streams);
            streams.clear();
            idleStreams.clear();
        }
        if (epochs != null)
        {
            epochs.stop();
        }
        if (executor != null)
        {
            executor.close();
        }
        for (final CudaStream stream : made)
        {
            stream.close();
        }
        if (kernels != null)
        {
            kernels.close();
        }
    }

    /**
     * The options of a {@link DatasetCache}.
     */
    public static final class Builder
    {
        private final TierCache cache;
        private ProgressListener progress = ProgressListener.NONE;
        private double fillFraction = 0.90;
        private PrintWriter statsOut;
        private long statsEveryBatches;
        private long statsEveryNanos;
        private long lookAheadBytes = 64L << 20;

        Builder(final TierCache cache)
        {
            this.cache = cache;
        }

        /**
         * Who hears a preload advance.
         *
         * @param listener e.g. a {@link ProgressBar}; default {@link ProgressListener#NONE}.
         * @return this.
         */
        public Builder progress(final ProgressListener listener)
        {
            this.progress = Objects.requireNonNull(listener, "listener");
            return this;
        }

        /**
         * How full a preload makes L1 and L2.
         *
         * @param fraction of each level's capacity, in (0, 1]; default 0.90.
         * @return this.
         */
        public Builder fillFraction(final double fraction)
        {
            this.fillFraction = fraction;
            return this;
        }

        /**
         * Prints the cache's statistics every so many batches or so much time (whichever first).
         *
         * @param out          where.
         * @param everyBatches batches between prints; 0 for none by count.
         * @param everyNanos   time between prints; 0 for none by time.
         * @return this.
         */
        public Builder statsEvery(final PrintWriter out, final long everyBatches, final long everyNanos)
        {
            this.statsOut = Objects.requireNonNull(out, "out");
            this.statsEveryBatches = everyBatches;
            this.statsEveryNanos = everyNanos;
            return this;
        }

        /**
         * How far ahead of the consumer the epoch plan raises entries.
         *
         * @param bytes of entries in the window, at least one entry's worth is always taken;
         *              default 64 MiB. Make it cover a few batches: the reads of a batch that
         *              reach past the window find what the plan had no time or room to raise.
         * @return this.
         */
        public Builder lookAheadBytes(final long bytes)
        {
            this.lookAheadBytes = bytes;
            return this;
        }

        /**
         * Validates the options.
         *
         * @return the dataset cache; its owner closes it (before the cache).
         * @throws IllegalArgumentException naming the bad option and its value.
         */
        public DatasetCache build()
        {
            if (!(fillFraction > 0 && fillFraction <= 1))
            {
                throw new IllegalArgumentException("fillFraction=" + fillFraction + ": must be in (0, 1]");
            }
            if (statsEveryBatches < 0 || statsEveryNanos < 0)
            {
                throw new IllegalArgumentException("statsEveryBatches=" + statsEveryBatches + ", statsEveryNanos=" + statsEveryNanos +
                    ": must be >= 0");
            }
            if (lookAheadBytes <= 0)
            {
                throw new IllegalArgumentException("lookAheadBytes=" + lookAheadBytes + ": must be > 0");
            }
            return new DatasetCache(this);
        }
    }
}
