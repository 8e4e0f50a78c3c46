package dev.tiercache;

import dev.tiercache.cuda.CudaRuntime;
import dev.tiercache.index.EntryIndex;
import dev.tiercache.index.IndexSlotDescriptor;
import dev.tiercache.policy.EvictionPolicies;
import dev.tiercache.policy.EvictionPolicy;
import dev.tiercache.policy.PromotionRule;
import dev.tiercache.profile.HardwareProfile;
import dev.tiercache.profile.TransferCostModel;
import dev.tiercache.store.Codec;
import dev.tiercache.store.Codecs;
import dev.tiercache.store.DeviceStore;
import dev.tiercache.store.FileStore;
import dev.tiercache.store.FileStoreConfig;
import dev.tiercache.store.HostStore;
import dev.tiercache.store.RecoveredEntry;
import dev.tiercache.store.SpaceAllocator;
import dev.tiercache.store.Transfers;
import org.agrona.collections.Long2LongHashMap;
import org.agrona.concurrent.AgentRunner;
import org.agrona.concurrent.SleepingMillisIdleStrategy;

import javax.management.InstanceAlreadyExistsException;
import javax.management.JMException;
import javax.management.ObjectName;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.management.ManagementFactory;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.IntPredicate;

/**
 * A three-level cache for tensors and blobs: L1 GPU memory, L2 pinned host memory, L3 a
 * memory-mapped file. Built with {@link #builder()}.
 *
 * <h2>Placement</h2>
 * Levels are exclusive: an entry's bytes live in exactly one level (plus the copy in flight during
 * a move). A {@code put} lands in L2 (in L3 when it is larger than L2 may hold, or when L2's
 * admission policy keeps its residents instead). Each {@code get} counts an access; once an entry
 * in L3 has been read {@link Builder#promoteToHostAfter} times it is read into L2, and once an L2
 * entry reaches {@link Builder#promoteToDeviceAfter} accesses (the seeds' {@code cache_hit_threshold})
 * the mover copies it to L1, off the caller's thread. A full level evicts by its policy: L1 victims
 * move to L2, L2 victims to L3, and L3 reclaims its oldest region whole, dropping what it held. The
 * mover also demotes entries idle for {@link Builder#demoteAfterIdleNanos}, drops expired ones
 * (optional TTL) and trims a level that passes its high-water mark down to its low-water mark.
 *
 * <p>A promotion takes free space only below the target's high-water mark; past it the entry must
 * win its policy's {@code admitPromotion} (frequency, ties to the resident) against a victim. A hit
 * in a lower level counts as a miss for the levels above it, so their admission learns how often a
 * key is asked for. Together these keep a stable resident set on shuffled training epochs instead
 * of trading entries between levels on every pass. With a hardware profile, a promotion must also
 * pay for its copy by the profile's transfer-cost model.
 *
 * <h2>Concurrency</h2>
 * Any number of threads may call any method. One lock guards the index, the policies, the
 * allocators' bookkeeping, the lease table and the statistics (the fields marked
 * {@code @GuardedBy("lock")} below). A hit takes the lock only to find the slot and take a lease;
 * reading the bytes through the returned {@link EntryHandle}, or {@code getInto}'s copy of an L2
 * hit, happens outside it. An L3 hit is read and verified under the lock, because a put may reclaim
 * the region it lives in. The mover copies promotions outside the lock
 * too: it takes a lease on the source, copies into space reserved at the target, then switches the
 * slot under the lock only if the entry is still where it was and nobody else holds a lease; else
 * it gives the target back. A {@code get} therefore never waits for a move. Evictions made to fit
 * a {@code put} copy under the lock (a put may wait; a write path can afford it).
 *
 * <h2>Failure</h2>
 * A full level is a result, not an exception: the entry goes one level down. A CUDA error during a
 * promotion leaves the entry where it was (counted in the log, nothing leaked). A corrupt L3 entry
 * is counted, dropped and reported as a miss, never returned. An entry larger than every level is
 * rejected with {@link IllegalArgumentException}, naming the sizes.
 *
 * <h2>Leases</h2>
 * The lease table counts open handles per (level, location) of the bytes and per meta record.
 * Eviction and moves skip leased bytes; removing or moving a leased entry unmaps or relinks it at
 * once but frees its old bytes and its meta record when the last lease on them closes. Closing the cache frees everything; handles still open then become
 * invalid (host views throw {@link IllegalStateException}).
 */
public final class TierCache implements AutoCloseable
{
    /** {@link #getInto} result for a key that is not cached. */
    public static final long MISS = -1;

    private static final System.Logger LOG = System.getLogger(TierCache.class.getName());
    private static final AtomicInteger INSTANCES = new AtomicInteger();
    private static final long NOT_DEFERRED = 0;
    /** Marks a lease key as one on a meta record (byte leases use bits 61 and 62 for the level). */
    private static final long META_LEASE = 1L << 63;
    private static final long DEFERRED = 1;
    private static final byte FLAG_MOVING = 1;
    private static final int LEVELS = 3;
    private static final Tier[] TIERS = Tier.values();
    private static final ThreadLocal<EntryHandle> SCRATCH_HANDLE = ThreadLocal.withInitial(EntryHandle::new);
    private static final ThreadLocal<long[]> PART_LAYOUT = ThreadLocal.withInitial(() -> new long[2 * EntryMetaDescriptor.MAX_PARTS]);

    private final Builder config;
    private final PromotionRule rule;
    private final TransferCostModel costs;
    private final String name;
    private final ReentrantLock lock = new ReentrantLock();

    // @GuardedBy("lock") from here to the statistics
    private final EntryIndex index;
    private final EvictionPolicy[] policies = new EvictionPolicy[LEVELS];
    private final Long2LongHashMap leases = new Long2LongHashMap(0);
    private final Long2LongHashMap deferredFrees = new Long2LongHashMap(NOT_DEFERRED);
    private final long[] pendingPromotions;
    private int pendingHead;
    private int pendingSize;

    private final HostStore metaStore;
    private final HostStore host;
    private final DeviceStore device;
    private final FileStore file;
    private final Codec codec;
    private final Transfers transfers;
    private final CudaRuntime runtime;
    private final String deviceOffReason;
    private final String fileOffReason;
    private final AgentRunner moverRunner;
    private final IntPredicate evictable = this::isEvictable;
    private ObjectName mbeanName;
    private boolean closed;

    // statistics, @GuardedBy("lock")
    private long accesses;
    private long hits;
    private long puts;
    private long rejected;
    private final long[] levelAccesses = new long[LEVELS];
    private final long[] levelHits = new long[LEVELS];
    private final long[] levelEntries = new long[LEVELS];
    private final long[] evictions = new long[LEVELS];
    private final long[] promotions = new long[LEVELS];
    private final long[] demotions = new long[LEVELS];
    private final long[] bytesUp = new long[LEVELS];
    private final long[] bytesDown = new long[LEVELS];
    private long corruptSkipped;
    private long movesAborted;

    private TierCache(final Builder config)
    {
        this.config = config;
        this.rule = config.promotionRule();
        this.costs = config.profile == null ? null : config.profile.transferCosts();
        this.name = config.name != null ? config.name : "tiercache-" + INSTANCES.incrementAndGet();
        this.index = new EntryIndex(config.maxEntries);
        this.pendingPromotions = new long[Math.max(64, Math.min(config.maxEntries, 1 << 16))];
        final List<AutoCloseable> opened = new ArrayList<>();
        try
        {
            final CudaRuntime probed = config.useGpu ? CudaRuntime.open() : null;
            DeviceStore deviceStore = null;
            String deviceReason = null;
            if (probed == null)
            {
                deviceReason = "GPU level turned off in the configuration";
            }
            else if (!probed.isUsable())
            {
                deviceReason = probed.unavailableReason();
            }
            else if (config.deviceBytes == 0)
            {
                deviceReason = "device size is 0";
            }
            else
            {
                probed.setDevice(config.deviceOrdinal);
                final long[] memory = probed.memoryInfo();
                final DeviceStore.Plan plan = DeviceStore.plan(
                    config.deviceBytes, memory[0], memory[1], config.deviceHeadroom, config.vramLimitBytes);
                if (plan.bytes() <= 0)
                {
                    deviceReason = "no device memory left: " + plan.reason();
                }
                else
                {
                    try
                    {
                        deviceStore = DeviceStore.create(probed, plan, 256);
                        opened.add(deviceStore);
                    }
                    catch (final RuntimeException ex)
                    {
                        deviceReason = "cannot allocate the device arena of " + plan.bytes() + " bytes: " + ex.getMessage();
                    }
                }
            }
            this.device = deviceStore;
            this.deviceOffReason = deviceReason;
            this.runtime = probed != null && probed.isUsable() ? probed : null;
            if (device == null)
            {
                LOG.log(System.Logger.Level.INFO, "tiercache " + name + ": L1 (device) off: " + deviceReason);
            }

            this.host = HostStore.create(runtime, config.hostBytes, 64);
            opened.add(host);
            this.metaStore = HostStore.create(null, config.metaBytes(), 8);
            opened.add(metaStore);
            this.transfers = new Transfers(device != null ? runtime : null);
            opened.add(transfers);
            this.codec = config.compression ? Codecs.lz4() : null;

            if (config.filePath != null && config.fileBytes > 0)
            {
                final FileStoreConfig.Builder fileConfig = FileStoreConfig.builder(config.filePath)
                    .regionSizeBytes(config.fileRegionBytes)
                    .capacityBytes(config.fileBytes)
                    .minCompressionSavings(config.minCompressionSavings)
                    .reclaimListener(this::onFileRegionReclaimed);
                // every LZ4 block decodes with either codec, so files written elsewhere open here
                this.file = FileStore.open(fileConfig.codecs(Codecs.lz4()).build());
                opened.add(file);
                this.fileOffReason = null;
            }
            else
            {
                this.file = null;
                this.fileOffReason = config.filePath == null ? "no file path configured" : "file size is 0";
            }

            final int expected = Math.max(16, config.maxEntries);
            policies[Tier.DEVICE.ordinal()] = EvictionPolicies.create(config.devicePolicy, index, expected);
            policies[Tier.HOST.ordinal()] = EvictionPolicies.create(config.hostPolicy, index, expected);
            policies[Tier.FILE.ordinal()] = EvictionPolicies.create("fifo", index, expected);

            if (file != null)
            {
                recover();
            }
            this.moverRunner = new AgentRunner(new SleepingMillisIdleStrategy(1), this::onMoverError, null, new Mover(this, config.cleanupIntervalNanos));
            AgentRunner.startOnThread(moverRunner);
            registerMBean();
        }
        catch (final RuntimeException | Error ex)
        {
            for (int i = opened.size() - 1; i >= 0; i--)
            {
                closeQuietly(opened.get(i));
            }
            index.close();
            throw ex;
        }
    }

    /**
     * Starts a configuration.
     *
     * @return a builder with the defaults of DESIGN.md.
     */
    public static Builder builder()
    {
        return new Builder();
    }

    // ------------------------------------------------------------------------------------------
    // put
    // ------------------------------------------------------------------------------------------

    /**
     * Stores an entry under a {@code long} key, replacing any entry of that key.
     *
     * @param key   the key.
     * @param parts one or more parts; their bytes are copied.
     * @return the level the entry landed in.
     * @throws IllegalArgumentException when the entry is larger than every level can hold.
     */
    public Tier put(final long key, final Part... parts)
    {
        try (Arena arena = Arena.ofConfined())
        {
            final MemorySegment keyBytes = arena.allocate(Long.BYTES);
            keyBytes.set(java.lang.foreign.ValueLayout.JAVA_LONG_UNALIGNED, 0, key);
            return put(key, EntryMetaDescriptor.KEY_KIND_LONG, keyBytes, parts);
        }
    }

    /**
     * Stores a plain blob under a {@code long} key.
     *
     * @param key   the key.
     * @param bytes the blob; copied.
     * @return the level it landed in.
     */
    public Tier put(final long key, final MemorySegment bytes)
    {
        return put(key, Part.blob(bytes));
    }

    /**
     * Stores an entry under a String key (compared in full on every hit).
     *
     * @param key   the key.
     * @param parts one or more parts.
     * @return the level it landed in.
     */
    public Tier put(final String key, final Part... parts)
    {
        final MemorySegment keyBytes = MemorySegment.ofArray(key.getBytes(StandardCharsets.UTF_8));
        return put(KeyHashing.hash(keyBytes), EntryMetaDescriptor.KEY_KIND_STRING, keyBytes, parts);
    }

    /**
     * Stores an entry under a byte[] key (compared in full on every hit).
     *
     * @param key   the key; copied.
     * @param parts one or more parts.
     * @return the level it landed in.
     */
    public Tier put(final byte[] key, final Part... parts)
    {
        final MemorySegment keyBytes = MemorySegment.ofArray(key.clone());
        return put(KeyHashing.hash(keyBytes), EntryMetaDescriptor.KEY_KIND_BYTES, keyBytes, parts);
    }

    private Tier put(final long hash, final int keyKind, final MemorySegment key, final Part[] parts)
    {
        if (parts.length == 0 || parts.length > EntryMetaDescriptor.MAX_PARTS)
        {
            throw new IllegalArgumentException("parts=" + parts.length + " is not in [1, " + EntryMetaDescriptor.MAX_PARTS + "]");
        }
        final long metaLength = EntryMetaDescriptor.metaLength(parts.length, (int) key.byteSize());
        long payloadLength = 0;
        for (int i = 0; i < parts.length; i++)
        {
            payloadLength = (i + 1 < parts.length) ?
                EntryMetaDescriptor.align(payloadLength + parts[i].spec().byteSize(), EntryMetaDescriptor.PART_ALIGNMENT) :
                payloadLength + parts[i].spec().byteSize();
        }
        final boolean fitsHost = payloadLength > 0 && payloadLength <= Math.min(rule.maxEntryBytes(IndexSlotDescriptor.LEVEL_L2), host.capacity());
        final boolean fitsFile = file != null && payloadLength <= Math.min(rule.maxEntryBytes(IndexSlotDescriptor.LEVEL_L3), fileMaxRaw());
        lock.lock();
        try
        {
            checkOpen();
            if (!fitsHost && !fitsFile)
            {
                rejected++;
                throw new IllegalArgumentException("entry of " + payloadLength + " bytes is larger than every level: L2 holds entries up to " +
                    Math.min(rule.maxEntryBytes(IndexSlotDescriptor.LEVEL_L2), host.capacity()) + " bytes, L3 " +
                    (file == null ? "is off (" + fileOffReason + ")" : "up to " + Math.min(rule.maxEntryBytes(IndexSlotDescriptor.LEVEL_L3), fileMaxRaw()) + " bytes"));
            }
            final int existing = index.find(hash);
            if (existing != EntryIndex.NOT_FOUND)
            {
                removeSlot(existing);
            }
            final long metaOffset = allocateMeta(metaLength);
            final MemorySegment meta = metaStore.view(metaOffset, metaLength);
            EntryMetaDescriptor.write(meta, keyKind, key, parts);

            if (fitsHost)
            {
                final long offset = makeRoom(Tier.HOST, hash, payloadLength);
                if (offset != SpaceAllocator.FULL)
                {
                    final MemorySegment target = host.view(offset, payloadLength);
                    copyParts(parts, meta, target);
                    insertSlot(hash, Tier.HOST, offset, payloadLength, metaOffset);
                    puts++;
                    return Tier.HOST;
                }
            }
            if (fitsFile)
            {
                try (Arena arena = Arena.ofConfined())
                {
                    final MemorySegment payload;
                    if (parts.length == 1 && parts[0].bytes().isNative())
                    {
                        payload = parts[0].bytes();
                    }
                    else
                    {
                        payload = arena.allocate(payloadLength, EntryMetaDescriptor.PART_ALIGNMENT);
                        copyParts(parts, meta, payload);
                    }
                    final long location = appendToFile(hash, meta, payload);
                    if (location != FileStore.FULL)
                    {
                        insertSlot(hash, Tier.FILE, location, payloadLength, metaOffset);
                        puts++;
                        return Tier.FILE;
                    }
                }
            }
            metaStore.free(metaOffset);
            rejected++;
            throw new IllegalArgumentException("entry of " + payloadLength + " bytes found no room: every candidate level is full of leased entries");
        }
        finally
        {
            lock.unlock();
        }
    }

    private static void copyParts(final Part[] parts, final MemorySegment meta, final MemorySegment payload)
    {
        for (int i = 0; i < parts.length; i++)
        {
            final MemorySegment bytes = parts[i].bytes();
            MemorySegment.copy(bytes, 0, payload, EntryMetaDescriptor.partOffset(meta, i), bytes.byteSize());
        }
    }

    // ------------------------------------------------------------------------------------------
    // get
    // ------------------------------------------------------------------------------------------

    /**
     * Looks an entry up and leases its bytes.
     *
     * @param key the key.
     * @return a lease to close, or {@code null} on a miss.
     */
    public EntryHandle get(final long key)
    {
        lock.lock();
        try
        {
            checkOpen();
            return lookup(key, EntryMetaDescriptor.KEY_KIND_LONG, null, key);
        }
        finally
        {
            lock.unlock();
        }
    }

    /**
     * Looks an entry up and leases it into a handle the caller reuses: no allocation for an L1 or
     * L2 hit.
     *
     * @param key    the key.
     * @param handle a closed handle ({@code new EntryHandle()}, or one closed after its last use).
     * @return true on a hit (the handle is open and must be closed), false on a miss.
     * @throws IllegalStateException when the handle still holds a lease.
     */
    public boolean get(final long key, final EntryHandle handle)
    {
        if (handle.isOpen())
        {
            throw new IllegalStateException("the handle still holds a lease: close it before reusing it");
        }
        lock.lock();
        try
        {
            checkOpen();
            final int slot = locate(key, EntryMetaDescriptor.KEY_KIND_LONG, null, key);
            return slot != EntryIndex.NOT_FOUND && armHandle(slot, handle);
        }
        finally
        {
            lock.unlock();
        }
    }

    /**
     * Looks an entry up by a String key.
     *
     * @param key the key.
     * @return a lease, or {@code null} on a miss (a hash collision with another key is a miss).
     */
    public EntryHandle get(final String key)
    {
        final MemorySegment keyBytes = MemorySegment.ofArray(key.getBytes(StandardCharsets.UTF_8));
        final long hash = KeyHashing.hash(keyBytes);
        lock.lock();
        try
        {
            checkOpen();
            return lookup(hash, EntryMetaDescriptor.KEY_KIND_STRING, keyBytes, 0);
        }
        finally
        {
            lock.unlock();
        }
    }

    /**
     * Looks an entry up by a byte[] key.
     *
     * @param key the key.
     * @return a lease, or {@code null} on a miss.
     */
    public EntryHandle get(final byte[] key)
    {
        final MemorySegment keyBytes = MemorySegment.ofArray(key);
        final long hash = KeyHashing.hash(keyBytes);
        lock.lock();
        try
        {
            checkOpen();
            return lookup(hash, EntryMetaDescriptor.KEY_KIND_BYTES, keyBytes, 0);
        }
        finally
        {
            lock.unlock();
        }
    }

    /**
     * Looks an entry up, loading and storing it on a miss (a training data loader's fall back to
     * reading from disk).
     *
     * @param key    the key.
     * @param loader makes the parts on a miss.
     * @return a lease.
     */
    public EntryHandle get(final long key, final Loader loader)
    {
        final EntryHandle cached = get(key);
        if (cached != null)
        {
            return cached;
        }
        put(key, loader.load(key));
        final EntryHandle loaded = get(key);
        if (loaded == null)
        {
            throw new IllegalStateException("key=" + key + " was evicted between its load and its read; the cache is too small for it");
        }
        return loaded;
    }

    /**
     * Copies an entry's parts, back to back, into the caller's memory.
     *
     * @param key         the key.
     * @param destination at least the entry's {@link EntryHandle#byteSize()}.
     * @return bytes copied, or {@link #MISS}.
     */
    public long getInto(final long key, final MemorySegment destination)
    {
        final long[] layout = PART_LAYOUT.get();
        final EntryHandle handle;
        final long leaseKey;
        final long base;
        final int parts;
        lock.lock();
        try
        {
            checkOpen();
            final int slot = locate(key, EntryMetaDescriptor.KEY_KIND_LONG, null, key);
            if (slot == EntryIndex.NOT_FOUND)
            {
                return MISS;
            }
            if (levelOf(slot) == Tier.HOST)
            {
                // the fast path: the part layout goes into a per-thread array, the copy runs outside the lock under a lease
                final MemorySegment memory = metaStore.memory();
                final long record = index.meta(slot);
                parts = EntryMetaDescriptor.partCount(memory, record);
                for (int i = 0; i < parts; i++)
                {
                    layout[2 * i] = EntryMetaDescriptor.partOffset(memory, record, i);
                    layout[2 * i + 1] = EntryMetaDescriptor.partLength(memory, record, i);
                }
                base = index.location(slot);
                leaseKey = leaseKey(Tier.HOST, base);
                leases.put(leaseKey, leases.get(leaseKey) + 1);
                handle = null;
            }
            else if (levelOf(slot) == Tier.FILE && destination.isNative() && EntryMetaDescriptor.partCount(metaOf(slot)) == 1)
            {
                // one part is the whole payload: read, verify and decompress straight into the caller's memory,
                // under the lock so the region cannot be reclaimed under the read
                return readFileInto(slot, destination);
            }
            else
            {
                // a per-thread handle: getInto arms and closes it before returning
                handle = SCRATCH_HANDLE.get();
                if (!armHandle(slot, handle))
                {
                    return MISS;
                }
                leaseKey = 0;
                base = 0;
                parts = 0;
            }
        }
        finally
        {
            lock.unlock();
        }
        if (handle != null)
        {
            try (handle)
            {
                return copyParts(handle, destination);
            }
        }
        try
        {
            long total = 0;
            for (int i = 0; i < parts; i++)
            {
                total += layout[2 * i + 1];
            }
            if (destination.byteSize() < total)
            {
                throw new IllegalArgumentException("destination of " + destination.byteSize() + " bytes < entry of " + total + " bytes");
            }
            final MemorySegment memory = host.memory();
            long at = 0;
            for (int i = 0; i < parts; i++)
            {
                MemorySegment.copy(memory, base + layout[2 * i], destination, at, layout[2 * i + 1]);
                at += layout[2 * i + 1];
            }
            return total;
        }
        finally
        {
            releaseLease(leaseKey);
        }
    }

    private long readFileInto(final int slot, final MemorySegment destination)
    {
        final long length = index.rawLength(slot);
        if (destination.byteSize() < length)
        {
            throw new IllegalArgumentException("destination of " + destination.byteSize() + " bytes < entry of " + length + " bytes");
        }
        final long location = index.location(slot);
        final long read = file.read(location, destination.asSlice(0, length));
        if (read != length)
        {
            corruptSkipped++;
            LOG.log(System.Logger.Level.WARNING, "tiercache " + name + ": L3 entry at " + location + " is corrupt; dropped");
            removeSlot(slot);
            return MISS;
        }
        hits++;
        levelHits[Tier.FILE.ordinal()]++;
        if (rule.shouldPromote(index, slot, IndexSlotDescriptor.LEVEL_L2))
        {
            requestPromotion(index.keyHash(slot));
        }
        return length;
    }

    private static long copyParts(final EntryHandle handle, final MemorySegment destination)
    {
        final long total = handle.byteSize();
        if (destination.byteSize() < total)
        {
            throw new IllegalArgumentException("destination of " + destination.byteSize() + " bytes < entry of " + total + " bytes");
        }
        long at = 0;
        for (int i = 0, n = handle.partCount(); i < n; i++)
        {
            final long length = handle.partByteSize(i);
            handle.copyTo(i, destination.asSlice(at, length));
            at += length;
        }
        return total;
    }

    /**
     * Brings an entry to L1 (synchronously) and leases it there.
     *
     * @param key the key.
     * @return a lease with {@link Tier#DEVICE}, or {@code null} on a miss.
     * @throws IllegalStateException when there is no usable GPU level, with the reason.
     * @throws IllegalArgumentException when the entry is larger than L1 may hold.
     */
    public EntryHandle getOnDevice(final long key)
    {
        if (device == null)
        {
            throw new IllegalStateException("no L1 (device) level: " + deviceOffReason);
        }
        lock.lock();
        try
        {
            checkOpen();
            final int slot = findLong(key);
            if (slot == EntryIndex.NOT_FOUND)
            {
                accesses++;
                levelAccesses[0]++;
                return null;
            }
            if (levelOf(slot) != Tier.DEVICE)
            {
                final long length = index.rawLength(slot);
                if (length > Math.min(rule.maxEntryBytes(IndexSlotDescriptor.LEVEL_L1), device.capacity()))
                {
                    throw new IllegalArgumentException("entry of " + length + " bytes is larger than L1 holds (" +
                        Math.min(rule.maxEntryBytes(IndexSlotDescriptor.LEVEL_L1), device.capacity()) + ")");
                }
                if (!promoteToDeviceLocked(slot))
                {
                    throw new IllegalStateException("L1 has no room for key=" + key + ": every resident entry is leased");
                }
            }
            return lookup(key, EntryMetaDescriptor.KEY_KIND_LONG, null, key);
        }
        finally
        {
            lock.unlock();
        }
    }

    /**
     * Whether a key is cached (no access is counted).
     *
     * @param key the key.
     * @return true when present.
     */
    public boolean contains(final long key)
    {
        lock.lock();
        try
        {
            checkOpen();
            return findLong(key) != EntryIndex.NOT_FOUND;
        }
        finally
        {
            lock.unlock();
        }
    }

    /**
     * Whether a String key is cached.
     *
     * @param key the key.
     * @return true when present.
     */
    public boolean contains(final String key)
    {
        final MemorySegment keyBytes = MemorySegment.ofArray(key.getBytes(StandardCharsets.UTF_8));
        lock.lock();
        try
        {
            checkOpen();
            return findKey(KeyHashing.hash(keyBytes), EntryMetaDescriptor.KEY_KIND_STRING, keyBytes, 0) != EntryIndex.NOT_FOUND;
        }
        finally
        {
            lock.unlock();
        }
    }

    /**
     * Removes an entry (its bytes are freed when the last lease on them closes).
     *
     * @param key the key.
     * @return true when it was present.
     */
    public boolean remove(final long key)
    {
        lock.lock();
        try
        {
            checkOpen();
            final int slot = findLong(key);
            if (slot == EntryIndex.NOT_FOUND)
            {
                return false;
            }
            removeSlot(slot);
            return true;
        }
        finally
        {
            lock.unlock();
        }
    }

    /**
     * Removes an entry by String key.
     *
     * @param key the key.
     * @return true when it was present.
     */
    public boolean remove(final String key)
    {
        final MemorySegment keyBytes = MemorySegment.ofArray(key.getBytes(StandardCharsets.UTF_8));
        lock.lock();
        try
        {
            checkOpen();
            final int slot = findKey(KeyHashing.hash(keyBytes), EntryMetaDescriptor.KEY_KIND_STRING, keyBytes, 0);
            if (slot == EntryIndex.NOT_FOUND)
            {
                return false;
            }
            removeSlot(slot);
            return true;
        }
        finally
        {
            lock.unlock();
        }
    }

    /**
     * Removes every entry.
     */
    public void clear()
    {
        lock.lock();
        try
        {
            checkOpen();
            for (int slot = 0; slot < index.capacity(); slot++)
            {
                if (index.isLive(slot))
                {
                    removeSlot(slot);
                }
            }
            pendingSize = 0;
        }
        finally
        {
            lock.unlock();
        }
    }

    /**
     * Number of entries.
     *
     * @return entries in all levels.
     */
    public int size()
    {
        lock.lock();
        try
        {
            return index.size();
        }
        finally
        {
            lock.unlock();
        }
    }

    /**
     * Whether there is a usable L1.
     *
     * @return true when a GPU level is on.
     */
    public boolean hasDevice()
    {
        return device != null;
    }

    /**
     * The cache's name (its JMX name).
     *
     * @return the name.
     */
    public String name()
    {
        return name;
    }

    // ------------------------------------------------------------------------------------------
    // lookup internals (all under the lock)
    // ------------------------------------------------------------------------------------------

    private int findLong(final long key)
    {
        return findKey(key, EntryMetaDescriptor.KEY_KIND_LONG, null, key);
    }

    private int findKey(final long hash, final int keyKind, final MemorySegment keyBytes, final long longKey)
    {
        final int slot = index.find(hash);
        if (slot == EntryIndex.NOT_FOUND)
        {
            return slot;
        }
        final MemorySegment memory = metaStore.memory();
        final long base = index.meta(slot);
        if (EntryMetaDescriptor.keyKind(memory, base) != keyKind)
        {
            return EntryIndex.NOT_FOUND;
        }
        if (keyKind == EntryMetaDescriptor.KEY_KIND_LONG)
        {
            return EntryMetaDescriptor.longKey(memory, base) == longKey ? slot : EntryIndex.NOT_FOUND;
        }
        return EntryMetaDescriptor.key(metaOf(slot)).mismatch(keyBytes) == -1 ? slot : EntryIndex.NOT_FOUND;
    }

    private EntryHandle lookup(final long hash, final int keyKind, final MemorySegment keyBytes, final long longKey)
    {
        final int slot = locate(hash, keyKind, keyBytes, longKey);
        if (slot == EntryIndex.NOT_FOUND)
        {
            return null;
        }
        final EntryHandle handle = new EntryHandle();
        return armHandle(slot, handle) ? handle : null;
    }

    /**
     * Leases a hit found by {@link #locate} into a handle: its bytes and its meta record. An L3
     * hit is read into memory the lease owns.
     *
     * @return false when an L3 entry turned out corrupt (counted and dropped: a miss).
     */
    private boolean armHandle(final int slot, final EntryHandle handle)
    {
        final Tier tier = levelOf(slot);
        if (tier == Tier.FILE)
        {
            return readFromFile(slot, handle);
        }
        final long location = index.location(slot);
        final long leaseKey = leaseKey(tier, location);
        final long metaOffset = index.meta(slot);
        takeLease(leaseKey);
        takeLease(META_LEASE | metaOffset);
        if (tier == Tier.DEVICE)
        {
            handle.arm(this, tier, leaseKey, META_LEASE | metaOffset, metaStore.memory(), metaOffset, null, 0, device.deviceAddress(location), null,
                EntryHandle.NO_STAGING);
        }
        else
        {
            handle.arm(this, tier, leaseKey, META_LEASE | metaOffset, metaStore.memory(), metaOffset, host.memory(), location, 0, null,
                EntryHandle.NO_STAGING);
        }
        return true;
    }

    /**
     * Finds a key and does the bookkeeping of an access: statistics, the policy's order, expiry,
     * promotion requests, and the read of an L3 entry into L2 once it is due. Allocates nothing.
     *
     * @return the slot of a hit (an L3 slot means: serve it by reading the file), or
     *         {@link EntryIndex#NOT_FOUND}.
     */
    private int locate(final long hash, final int keyKind, final MemorySegment keyBytes, final long longKey)
    {
        accesses++;
        levelAccesses[0]++;
        final int slot = findKey(hash, keyKind, keyBytes, longKey);
        if (slot == EntryIndex.NOT_FOUND)
        {
            levelAccesses[1]++;
            levelAccesses[2]++;
            policyMiss(hash);
            return EntryIndex.NOT_FOUND;
        }
        final long now = System.nanoTime();
        if (isExpired(slot, now))
        {
            levelAccesses[1]++;
            levelAccesses[2]++;
            removeSlot(slot);
            return EntryIndex.NOT_FOUND;
        }
        index.recordAccess(slot, now);
        Tier tier = levelOf(slot);
        for (int l = 1; l <= tier.ordinal(); l++)
        {
            levelAccesses[l]++;
        }
        // a hit below is a miss above: the upper levels' admission learns how often the key is asked for
        if (tier != Tier.DEVICE)
        {
            if (device != null)
            {
                policies[Tier.DEVICE.ordinal()].onMiss(hash);
            }
            if (tier == Tier.FILE)
            {
                policies[Tier.HOST.ordinal()].onMiss(hash);
            }
        }
        if (tier == Tier.FILE)
        {
            if (!rule.shouldPromote(index, slot, IndexSlotDescriptor.LEVEL_L2) || !promoteFileToHostLocked(slot))
            {
                return slot;
            }
            tier = Tier.HOST;
        }
        else
        {
            policies[tier.ordinal()].onAccess(slot);
        }
        hits++;
        levelHits[tier.ordinal()]++;
        if (tier == Tier.HOST && device != null && rule.shouldPromote(index, slot, IndexSlotDescriptor.LEVEL_L1) &&
            index.rawLength(slot) <= device.capacity() && promotionPays(slot, Tier.HOST, Tier.DEVICE))
        {
            requestPromotion(index.keyHash(slot));
        }
        return slot;
    }

    /**
     * With a hardware profile, a promotion must also pay for itself: the entry's past accesses
     * stand for its future hits, and the link costs (latency plus bytes over bandwidth) of the
     * profile price the copy and the victim it displaces. On the target laptop the GPU link is about
     * as slow as the disk, so a large entry read twice does not earn a move to L1 there.
     */
    private boolean promotionPays(final int slot, final Tier from, final Tier to)
    {
        return costs == null || costs.promotionPays(from, to, index.rawLength(slot), index.accessCount(slot));
    }

    private boolean readFromFile(final int slot, final EntryHandle handle)
    {
        final long location = index.location(slot);
        final long length = index.rawLength(slot);
        // the read lands in a block of L2's arena when there is room (no native allocation, no arena
        // handshake at close); otherwise in memory the lease owns
        final long staging = host.allocate(Math.max(1, length));
        final Arena owned = staging == SpaceAllocator.FULL ? Arena.ofShared() : null;
        final MemorySegment memory = owned == null ? host.memory() : owned.allocate(Math.max(1, length), EntryMetaDescriptor.PART_ALIGNMENT);
        final long base = owned == null ? staging : 0;
        final long read = file.read(location, memory.asSlice(base, length));
        if (read != length)
        {
            if (owned != null)
            {
                owned.close();
            }
            else
            {
                host.free(staging);
            }
            corruptSkipped++;
            LOG.log(System.Logger.Level.WARNING, "tiercache " + name + ": L3 entry at " + location + " is corrupt; dropped");
            removeSlot(slot);
            return false;
        }
        hits++;
        levelHits[Tier.FILE.ordinal()]++;
        if (rule.shouldPromote(index, slot, IndexSlotDescriptor.LEVEL_L2))
        {
            requestPromotion(index.keyHash(slot));
        }
        final long leaseKey = leaseKey(Tier.FILE, location);
        final long metaOffset = index.meta(slot);
        takeLease(leaseKey);
        takeLease(META_LEASE | metaOffset);
        handle.arm(this, Tier.FILE, leaseKey, META_LEASE | metaOffset, metaStore.memory(), metaOffset, memory, base, 0, owned,
            owned == null ? staging : EntryHandle.NO_STAGING);
        return true;
    }

    private boolean isExpired(final int slot, final long now)
    {
        return rule.isExpired(index, slot, now);
    }

    private void policyMiss(final long hash)
    {
        policies[Tier.HOST.ordinal()].onMiss(hash);
        if (device != null)
        {
            policies[Tier.DEVICE.ordinal()].onMiss(hash);
        }
    }

    void releaseLease(final long leaseKey)
    {
        lock.lock();
        try
        {
            if (!closed)
            {
                releaseLeaseLocked(leaseKey);
            }
        }
        finally
        {
            lock.unlock();
        }
    }

    /**
     * Ends a handle's two leases: on the bytes and on the meta record.
     */
    void releaseLeases(final long leaseKey, final long metaLeaseKey, final long stagingOffset)
    {
        lock.lock();
        try
        {
            if (!closed)
            {
                releaseLeaseLocked(leaseKey);
                releaseLeaseLocked(metaLeaseKey);
                if (stagingOffset != EntryHandle.NO_STAGING)
                {
                    host.free(stagingOffset);
                }
            }
        }
        finally
        {
            lock.unlock();
        }
    }

    private void takeLease(final long leaseKey)
    {
        leases.put(leaseKey, leases.get(leaseKey) + 1);
    }

    void copyFromDevice(final long deviceAddress, final MemorySegment destination)
    {
        if (destination.isNative())
        {
            transfers.deviceToHost(device, deviceAddress - device.deviceAddress(0), destination);
            return;
        }
        try (Arena arena = Arena.ofConfined())
        {
            final MemorySegment bounce = arena.allocate(destination.byteSize());
            transfers.deviceToHost(device, deviceAddress - device.deviceAddress(0), bounce);
            MemorySegment.copy(bounce, 0, destination, 0, destination.byteSize());
        }
    }

    // ------------------------------------------------------------------------------------------
    // slots, space and moves (all under the lock)
    // ------------------------------------------------------------------------------------------

    private Tier levelOf(final int slot)
    {
        return TIERS[index.level(slot)];
    }

    private MemorySegment metaOf(final int slot)
    {
        final long offset = index.meta(slot);
        final MemorySegment header = metaStore.view(offset, EntryMetaDescriptor.PARTS_OFFSET);
        final long length = EntryMetaDescriptor.metaLength(EntryMetaDescriptor.partCount(header), EntryMetaDescriptor.keyLength(header));
        return metaStore.view(offset, length);
    }

    private long allocateMeta(final long length)
    {
        long offset = metaStore.allocate(length);
        while (offset == SpaceAllocator.FULL)
        {
            if (!evictAnyFileEntry())
            {
                throw new IllegalStateException("the key/spec arena of " + config.metaBytes() + " bytes is full; raise maxEntries");
            }
            offset = metaStore.allocate(length);
        }
        return offset;
    }

    private void insertSlot(final long hash, final Tier tier, final long location, final long length, final long metaOffset)
    {
        int slot = index.insert(hash);
        while (slot == EntryIndex.FULL)
        {
            if (!evictAnyFileEntry() && !evictOne(Tier.HOST, hash, false))
            {
                freeBytes(tier, location);
                metaStore.free(metaOffset);
                throw new IllegalStateException("the index is full (maxEntries=" + config.maxEntries + ") of leased entries");
            }
            slot = index.insert(hash);
        }
        index.level(slot, (byte) tier.ordinal());
        index.location(slot, location);
        index.rawLength(slot, length);
        index.storedLength(slot, length);
        index.meta(slot, metaOffset);
        index.accessCount(slot, 0);
        index.lastAccessNanos(slot, System.nanoTime());
        index.expiresAtNanos(slot, rule.expiresAtNanos(System.nanoTime()));
        index.flags(slot, (byte) 0);
        policies[tier.ordinal()].onInsert(slot);
        levelEntries[tier.ordinal()]++;
    }

    /**
     * Unlinks a slot and frees its bytes and meta now, or when the last lease on them closes.
     */
    private void removeSlot(final int slot)
    {
        final Tier tier = levelOf(slot);
        final long location = index.location(slot);
        final long metaOffset = index.meta(slot);
        policies[tier.ordinal()].onRemove(slot);
        index.remove(slot);
        levelEntries[tier.ordinal()]--;
        freeMetaOrDefer(metaOffset);
        freeBytesOrDefer(tier, location);
    }

    /**
     * Frees the bytes an entry just moved away from, or, while a lease still reads them, when that
     * lease closes.
     */
    private void freeBytesOrDefer(final Tier tier, final long location)
    {
        final long leaseKey = leaseKey(tier, location);
        if (tier != Tier.FILE && leases.get(leaseKey) > 0)
        {
            deferredFrees.put(leaseKey, DEFERRED);
        }
        else
        {
            freeBytes(tier, location);
        }
    }

    private void freeBytes(final Tier tier, final long location)
    {
        switch (tier)
        {
            case DEVICE -> device.free(location);
            case HOST -> host.free(location);
            case FILE -> file.remove(location);
        }
    }

    private boolean isEvictable(final int slot)
    {
        return (index.flags(slot) & FLAG_MOVING) == 0 && leases.get(leaseKey(levelOf(slot), index.location(slot))) == 0;
    }

    /**
     * Allocates {@code length} bytes in a level, evicting that level's victims one level down until
     * it fits or the policy keeps its residents.
     *
     * @return the offset, or {@link SpaceAllocator#FULL} when the entry does not enter the level.
     */
    private long makeRoom(final Tier tier, final long hash, final long length)
    {
        long offset = allocate(tier, length);
        while (offset == SpaceAllocator.FULL)
        {
            if (!evictOne(tier, hash, true))
            {
                return SpaceAllocator.FULL;
            }
            offset = allocate(tier, length);
        }
        return offset;
    }

    /**
     * Room for an entry moving up. Free space is used only below the level's high-water mark;
     * past it the entry must win admission against a victim. Otherwise a level trimmed to its
     * low-water mark would refill from below at once and be trimmed again, writing a few percent of
     * itself down to the file every cleanup interval (seen on shuffled epochs).
     *
     * @return the offset, or {@link SpaceAllocator#FULL} when the entry stays where it is.
     */
    private long makeRoomForPromotion(final Tier tier, final long hash, final long length)
    {
        final long capacity = tier == Tier.DEVICE ? device.capacity() : host.capacity();
        final EvictionPolicy policy = policies[tier.ordinal()];
        while (true)
        {
            if (!rule.isPastHighWaterMark(used(tier) + length, capacity))
            {
                final long offset = allocate(tier, length);
                if (offset != SpaceAllocator.FULL)
                {
                    return offset;
                }
            }
            final int victim = policy.selectVictim(evictable);
            if (victim == EvictionPolicy.NONE || !policy.admitPromotion(hash, victim))
            {
                return SpaceAllocator.FULL;
            }
            evictions[tier.ordinal()]++;
            demote(victim);
        }
    }

    private long allocate(final Tier tier, final long length)
    {
        return tier == Tier.DEVICE ? device.allocate(length) : host.allocate(length);
    }

    /**
     * Evicts one victim of a level one level down (L3 drops).
     *
     * @param admission whether to ask the policy if {@code hash} may take the victim's place.
     * @return false when nothing could be evicted (or admission said no).
     */
    private boolean evictOne(final Tier tier, final long hash, final boolean admission)
    {
        final EvictionPolicy policy = policies[tier.ordinal()];
        final int victim = policy.selectVictim(evictable);
        if (victim == EvictionPolicy.NONE || (admission && !policy.admit(hash, victim)))
        {
            return false;
        }
        evictions[tier.ordinal()]++;
        demote(victim);
        return true;
    }

    /**
     * Moves a slot one level down, or drops it when there is no level below that takes it.
     */
    private void demote(final int slot)
    {
        final Tier from = levelOf(slot);
        final long length = index.rawLength(slot);
        final long location = index.location(slot);
        if (from == Tier.DEVICE)
        {
            final long target = makeRoom(Tier.HOST, index.keyHash(slot), length);
            if (target != SpaceAllocator.FULL)
            {
                transfers.deviceToHost(device, location, host.view(target, length));
                relevel(slot, Tier.HOST, target);
                device.free(location);
                demotions[Tier.DEVICE.ordinal()]++;
                bytesDown[Tier.DEVICE.ordinal()] += length;
                return;
            }
            final long fileLocation = file == null ? FileStore.FULL : deviceToFile(slot, location, length);
            if (fileLocation != FileStore.FULL)
            {
                relevel(slot, Tier.FILE, fileLocation);
                device.free(location);
                demotions[Tier.DEVICE.ordinal()]++;
                bytesDown[Tier.DEVICE.ordinal()] += length;
                return;
            }
        }
        else if (from == Tier.HOST && file != null && length <= Math.min(rule.maxEntryBytes(IndexSlotDescriptor.LEVEL_L3), fileMaxRaw()))
        {
            final long fileLocation = appendToFile(index.keyHash(slot), metaOf(slot), host.view(location, length));
            if (fileLocation != FileStore.FULL && index.isLive(slot) && levelOf(slot) == Tier.HOST)
            {
                relevel(slot, Tier.FILE, fileLocation);
                host.free(location);
                demotions[Tier.HOST.ordinal()]++;
                bytesDown[Tier.HOST.ordinal()] += length;
                return;
            }
        }
        if (index.isLive(slot))
        {
            removeSlot(slot);
        }
    }

    /**
     * The largest raw entry one L3 region can take (a region less its header and an entry header
     * with a long key and a few parts).
     */
    private long fileMaxRaw()
    {
        return file.config().regionSizeBytes() - 4096;
    }

    private long deviceToFile(final int slot, final long location, final long length)
    {
        try (Arena arena = Arena.ofConfined())
        {
            final MemorySegment staging = arena.allocate(length, EntryMetaDescriptor.PART_ALIGNMENT);
            transfers.deviceToHost(device, location, staging);
            return appendToFile(index.keyHash(slot), metaOf(slot), staging);
        }
    }

    private long appendToFile(final long hash, final MemorySegment meta, final MemorySegment payload)
    {
        return file.append(hash, EntryMetaDescriptor.key(meta), meta, payload, codec);
    }

    private void relevel(final int slot, final Tier to, final long location)
    {
        final Tier from = levelOf(slot);
        policies[from.ordinal()].onRemove(slot);
        levelEntries[from.ordinal()]--;
        index.level(slot, (byte) to.ordinal());
        index.location(slot, location);
        policies[to.ordinal()].onInsert(slot);
        levelEntries[to.ordinal()]++;
    }

    private boolean evictAnyFileEntry()
    {
        if (file != null)
        {
            final int victim = policies[Tier.FILE.ordinal()].selectVictim(evictable);
            if (victim != EvictionPolicy.NONE)
            {
                evictions[Tier.FILE.ordinal()]++;
                removeSlot(victim);
                return true;
            }
        }
        return false;
    }

    /**
     * Called by the file store, inside {@code append} (so under our lock), before it overwrites
     * the oldest region: every live entry there leaves the index.
     */
    private void onFileRegionReclaimed(final long location, final long keyHash)
    {
        final int slot = index.find(keyHash);
        if (slot != EntryIndex.NOT_FOUND && levelOf(slot) == Tier.FILE && index.location(slot) == location)
        {
            evictions[Tier.FILE.ordinal()]++;
            final long metaOffset = index.meta(slot);
            policies[Tier.FILE.ordinal()].onRemove(slot);
            index.remove(slot);
            levelEntries[Tier.FILE.ordinal()]--;
            freeMetaOrDefer(metaOffset);
        }
    }

    private boolean promoteFileToHostLocked(final int slot)
    {
        final long length = index.rawLength(slot);
        if (length > Math.min(rule.maxEntryBytes(IndexSlotDescriptor.LEVEL_L2), host.capacity()))
        {
            return false;
        }
        final long hash = index.keyHash(slot);
        final long target = makeRoomForPromotion(Tier.HOST, hash, length);
        if (target == SpaceAllocator.FULL || !index.isLive(slot) || levelOf(slot) != Tier.FILE)
        {
            if (target != SpaceAllocator.FULL)
            {
                host.free(target);
            }
            return false;
        }
        final long location = index.location(slot);
        final long read = file.read(location, host.view(target, length));
        if (read != length)
        {
            host.free(target);
            corruptSkipped++;
            removeSlot(slot);
            return false;
        }
        relevel(slot, Tier.HOST, target);
        file.adviseDontNeed(location);
        freeBytesOrDefer(Tier.FILE, location);
        promotions[Tier.FILE.ordinal()]++;
        bytesUp[Tier.FILE.ordinal()] += length;
        return true;
    }

    /**
     * Synchronous promotion to L1 for {@link #getOnDevice}: a caller that asks for device memory
     * waits for it by definition.
     */
    private boolean promoteToDeviceLocked(final int slot)
    {
        final long length = index.rawLength(slot);
        final long hash = index.keyHash(slot);
        final long target = makeRoom(Tier.DEVICE, hash, length);
        if (target == SpaceAllocator.FULL)
        {
            return false;
        }
        if (!index.isLive(slot))
        {
            device.free(target);
            return false;
        }
        final Tier from = levelOf(slot);
        final long location = index.location(slot);
        try
        {
            if (from == Tier.HOST)
            {
                transfers.hostToDevice(host.view(location, length), device, target);
            }
            else
            {
                final long read = transfers.fileToDevice(file, location, length, host, device, target);
                if (read != length)
                {
                    device.free(target);
                    corruptSkipped++;
                    removeSlot(slot);
                    return false;
                }
            }
        }
        catch (final RuntimeException ex)
        {
            device.free(target);
            LOG.log(System.Logger.Level.WARNING, "tiercache " + name + ": promotion to L1 failed, entry stays in " + from.label(), ex);
            return false;
        }
        relevel(slot, Tier.DEVICE, target);
        freeBytesOrDefer(from, location);
        promotions[from.ordinal()]++;
        bytesUp[from.ordinal()] += length;
        return true;
    }

    private void requestPromotion(final long hash)
    {
        if (pendingSize == pendingPromotions.length)
        {
            return;
        }
        pendingPromotions[(pendingHead + pendingSize) % pendingPromotions.length] = hash;
        pendingSize++;
    }

    /**
     * One unit of the mover's work: the next promotion request, copied outside the lock.
     *
     * @return 1 when something was done, else 0.
     */
    int moveOne()
    {
        final long hash;
        final int slot;
        final Tier from;
        final long location;
        final long length;
        final long target;
        final Tier to;
        final long sourceLease;
        lock.lock();
        try
        {
            if (closed || pendingSize == 0)
            {
                return 0;
            }
            hash = pendingPromotions[pendingHead];
            pendingHead = (pendingHead + 1) % pendingPromotions.length;
            pendingSize--;
            slot = index.find(hash);
            if (slot == EntryIndex.NOT_FOUND || (index.flags(slot) & FLAG_MOVING) != 0)
            {
                return 1;
            }
            from = levelOf(slot);
            length = index.rawLength(slot);
            if (from == Tier.FILE)
            {
                promoteFileToHostLocked(slot);
                return 1;
            }
            if (from != Tier.HOST || device == null || length > Math.min(rule.maxEntryBytes(IndexSlotDescriptor.LEVEL_L1), device.capacity()))
            {
                return 1;
            }
            to = Tier.DEVICE;
            target = makeRoomForPromotion(to, hash, length);
            if (target == SpaceAllocator.FULL || !index.isLive(slot) || levelOf(slot) != from)
            {
                if (target != SpaceAllocator.FULL)
                {
                    device.free(target);
                }
                return 1;
            }
            location = index.location(slot);
            sourceLease = leaseKey(from, location);
            leases.put(sourceLease, leases.get(sourceLease) + 1);
            index.flags(slot, (byte) (index.flags(slot) | FLAG_MOVING));
        }
        finally
        {
            lock.unlock();
        }

        boolean copied = false;
        try
        {
            transfers.hostToDevice(host.view(location, length), device, target);
            copied = true;
        }
        catch (final RuntimeException ex)
        {
            LOG.log(System.Logger.Level.WARNING, "tiercache " + name + ": promotion to L1 failed, entry stays in L2", ex);
        }

        lock.lock();
        try
        {
            final int now = index.find(hash);
            final boolean same = now == slot && index.isLive(slot) && levelOf(slot) == from && index.location(slot) == location;
            if (same)
            {
                index.flags(slot, (byte) (index.flags(slot) & ~FLAG_MOVING));
            }
            final boolean commit = copied && same && leases.get(sourceLease) == 1;
            if (commit && !closed)
            {
                relevel(slot, to, target);
                promotions[from.ordinal()]++;
                bytesUp[from.ordinal()] += length;
            }
            else if (!closed)
            {
                device.free(target);
                movesAborted++;
            }
            if (commit)
            {
                leases.remove(sourceLease);
                if (!closed)
                {
                    host.free(location);
                }
            }
            else if (!closed)
            {
                releaseLeaseLocked(sourceLease);
            }
        }
        finally
        {
            lock.unlock();
        }
        return 1;
    }

    private void releaseLeaseLocked(final long leaseKey)
    {
        final long count = leases.get(leaseKey) - 1;
        if (count > 0)
        {
            leases.put(leaseKey, count);
            return;
        }
        leases.remove(leaseKey);
        freeDeferred(leaseKey);
    }

    private void freeDeferred(final long leaseKey)
    {
        if (deferredFrees.remove(leaseKey) == DEFERRED)
        {
            if ((leaseKey & META_LEASE) != 0)
            {
                metaStore.free(leaseKey & ~META_LEASE);
            }
            else
            {
                freeBytes(tierOfLease(leaseKey), locationOfLease(leaseKey));
            }
        }
    }

    /**
     * Frees a meta record now, or when the last handle reading it closes.
     */
    private void freeMetaOrDefer(final long metaOffset)
    {
        final long key = META_LEASE | metaOffset;
        if (leases.get(key) > 0)
        {
            deferredFrees.put(key, DEFERRED);
        }
        else
        {
            metaStore.free(metaOffset);
        }
    }

    /**
     * The mover's periodic duty: drop expired entries, demote idle ones, trim levels past their
     * high-water mark.
     *
     * @return entries handled.
     */
    int maintain()
    {
        lock.lock();
        try
        {
            if (closed)
            {
                return 0;
            }
            final long now = System.nanoTime();
            int work = 0;
            for (int slot = 0; slot < index.capacity(); slot++)
            {
                if (!index.isLive(slot) || !evictable.test(slot))
                {
                    continue;
                }
                if (isExpired(slot, now))
                {
                    removeSlot(slot);
                    work++;
                }
                else if (config.demoteAfterIdleNanos > 0 && levelOf(slot) != Tier.FILE && rule.isIdle(index, slot, now))
                {
                    demote(slot);
                    work++;
                }
            }
            work += trim(Tier.DEVICE);
            work += trim(Tier.HOST);
            return work;
        }
        finally
        {
            lock.unlock();
        }
    }

    private int trim(final Tier tier)
    {
        if (tier == Tier.DEVICE && device == null)
        {
            return 0;
        }
        final long capacity = tier == Tier.DEVICE ? device.capacity() : host.capacity();
        int work = 0;
        if (rule.isPastHighWaterMark(used(tier), capacity))
        {
            final long target = rule.evictionTargetBytes(capacity);
            while (used(tier) > target && evictOne(tier, 0, false))
            {
                work++;
            }
        }
        return work;
    }

    private long used(final Tier tier)
    {
        return switch (tier)
        {
            case DEVICE -> device == null ? 0 : device.usedBytes();
            case HOST -> host.usedBytes();
            case FILE -> file == null ? 0 : file.stats().usedBytes();
        };
    }

    private void recover()
    {
        final List<RecoveredEntry> entries = file.recover();
        int restored = 0;
        for (final RecoveredEntry entry : entries)
        {
            final MemorySegment meta = entry.meta();
            if (EntryMetaDescriptor.validate(meta, entry.rawLength()) != null)
            {
                corruptSkipped++;
                file.remove(entry.location());
                continue;
            }
            final int existing = index.find(entry.keyHash());
            if (existing != EntryIndex.NOT_FOUND)
            {
                removeSlot(existing);
            }
            final long metaOffset = metaStore.allocate(meta.byteSize());
            if (metaOffset == SpaceAllocator.FULL)
            {
                break;
            }
            MemorySegment.copy(meta, 0, metaStore.view(metaOffset, meta.byteSize()), 0, meta.byteSize());
            final int slot = index.insert(entry.keyHash());
            if (slot == EntryIndex.FULL)
            {
                metaStore.free(metaOffset);
                break;
            }
            index.level(slot, (byte) Tier.FILE.ordinal());
            index.location(slot, entry.location());
            index.rawLength(slot, entry.rawLength());
            index.storedLength(slot, entry.rawLength());
            index.meta(slot, metaOffset);
            index.lastAccessNanos(slot, System.nanoTime());
            index.expiresAtNanos(slot, 0);
            index.flags(slot, (byte) 0);
            policies[Tier.FILE.ordinal()].onInsert(slot);
            levelEntries[Tier.FILE.ordinal()]++;
            restored++;
        }
        corruptSkipped += file.corruptEntriesSkipped();
        LOG.log(System.Logger.Level.INFO, "tiercache " + name + ": recovered " + restored + " entries from L3");
    }

    private static long leaseKey(final Tier tier, final long location)
    {
        return ((long) tier.ordinal() << 61) | location;
    }

    private static Tier tierOfLease(final long leaseKey)
    {
        return TIERS[(int) (leaseKey >>> 61)];
    }

    private static long locationOfLease(final long leaseKey)
    {
        return leaseKey & ((1L << 61) - 1);
    }

    private void checkOpen()
    {
        if (closed)
        {
            throw new IllegalStateException("TierCache " + name + " is closed");
        }
    }

    private void onMoverError(final Throwable throwable)
    {
        LOG.log(System.Logger.Level.ERROR, "tiercache " + name + ": mover failed", throwable);
    }

    // ------------------------------------------------------------------------------------------
    // statistics
    // ------------------------------------------------------------------------------------------

    /**
     * A consistent snapshot of every figure.
     *
     * @return the statistics.
     */
    public CacheStats stats()
    {
        lock.lock();
        try
        {
            final List<LevelStats> levels = new ArrayList<>(LEVELS);
            for (final Tier tier : Tier.values())
            {
                final int l = tier.ordinal();
                final boolean enabled = tier == Tier.HOST || (tier == Tier.DEVICE ? device != null : file != null);
                final long capacity = switch (tier)
                {
                    case DEVICE -> device == null ? 0 : device.capacity();
                    case HOST -> host.capacity();
                    case FILE -> file == null ? 0 : file.capacityBytes();
                };
                levels.add(new LevelStats(tier, enabled, enabled ? null : tier == Tier.DEVICE ? deviceOffReason : fileOffReason,
                    capacity, closed ? 0 : used(tier), levelEntries[l], levelAccesses[l], levelHits[l], evictions[l], promotions[l],
                    demotions[l], bytesUp[l], bytesDown[l], tier == Tier.FILE ? corruptSkipped : 0));
            }
            return new CacheStats(levels, accesses, hits, puts, rejected);
        }
        finally
        {
            lock.unlock();
        }
    }

    /**
     * Moves started by the mover that gave their target back instead of committing (for tests).
     *
     * @return aborted moves since open.
     */
    long movesAborted()
    {
        lock.lock();
        try
        {
            return movesAborted;
        }
        finally
        {
            lock.unlock();
        }
    }

    /**
     * L3 regions reclaimed since open (for tests).
     *
     * @return regions reclaimed, 0 without L3.
     */
    long fileRegionsReclaimed()
    {
        lock.lock();
        try
        {
            return file == null || closed ? 0 : file.stats().reclaimedRegions();
        }
        finally
        {
            lock.unlock();
        }
    }

    private void registerMBean()
    {
        try
        {
            mbeanName = new ObjectName("dev.tiercache:type=TierCache,name=" + ObjectName.quote(name));
            ManagementFactory.getPlatformMBeanServer().registerMBean(
                new javax.management.StandardMBean(new TierCacheStatsMXBean(this), TierCacheMXBean.class, true), mbeanName);
        }
        catch (final InstanceAlreadyExistsException ex)
        {
            LOG.log(System.Logger.Level.WARNING, "tiercache " + name + ": an MBean of that name exists; statistics not exported");
            mbeanName = null;
        }
        catch (final JMException ex)
        {
            LOG.log(System.Logger.Level.WARNING, "tiercache " + name + ": cannot register MBean", ex);
            mbeanName = null;
        }
    }

    // ------------------------------------------------------------------------------------------
    // close
    // ------------------------------------------------------------------------------------------

    /**
     * Stops the mover, writes L1 and L2 entries back to L3 when {@link Builder#persistOnClose} (so
     * the next open starts warm), and frees every native allocation. Idempotent.
     */
    @Override
    public void close()
    {
        lock.lock();
        try
        {
            if (closed)
            {
                return;
            }
            if (file != null && config.persistOnClose)
            {
                writeBack();
            }
            closed = true;
        }
        finally
        {
            lock.unlock();
        }
        closeQuietly(moverRunner);
        if (mbeanName != null)
        {
            try
            {
                ManagementFactory.getPlatformMBeanServer().unregisterMBean(mbeanName);
            }
            catch (final JMException ex)
            {
                LOG.log(System.Logger.Level.DEBUG, "tiercache " + name + ": MBean already gone", ex);
            }
        }
        lock.lock();
        try
        {
            closeQuietly(file);
            closeQuietly(transfers);
            closeQuietly(device);
            closeQuietly(host);
            closeQuietly(metaStore);
            index.close();
        }
        finally
        {
            lock.unlock();
        }
    }

    private void writeBack()
    {
        for (int slot = 0; slot < index.capacity(); slot++)
        {
            if (index.isLive(slot) && levelOf(slot) != Tier.FILE)
            {
                final long length = index.rawLength(slot);
                if (length <= Math.min(rule.maxEntryBytes(IndexSlotDescriptor.LEVEL_L3), fileMaxRaw()))
                {
                    if (levelOf(slot) == Tier.DEVICE)
                    {
                        deviceToFile(slot, index.location(slot), length);
                    }
                    else
                    {
                        appendToFile(index.keyHash(slot), metaOf(slot), host.view(index.location(slot), length));
                    }
                }
            }
        }
        file.force();
    }

    private static void closeQuietly(final AutoCloseable closeable)
    {
        if (closeable == null)
        {
            return;
        }
        try
        {
            closeable.close();
        }
        catch (final Exception ex)
        {
            LOG.log(System.Logger.Level.WARNING, "closing " + closeable + " failed", ex);
        }
    }

    /**
     * Makes an entry's parts on a miss.
     */
    @FunctionalInterface
    public interface Loader
    {
        /**
         * Loads the parts of a key.
         *
         * @param key the key that missed.
         * @return its parts.
         */
        Part[] load(long key);
    }

    /**
     * The configuration, validated once by {@link #build()}; every error names the key and the value.
     * Sizes are bytes, durations nanoseconds.
     */
    public static final class Builder
    {
        private static final long MIB = 1L << 20;
        private static final long UNSET = Long.MIN_VALUE;
        /** L1 size when neither the builder nor a profile says. */
        public static final long DEVICE_BYTES_DEFAULT = 512 * MIB;
        /** L2 size when neither the builder nor a profile says. */
        public static final long HOST_BYTES_DEFAULT = 256 * MIB;

        String name;
        boolean useGpu = true;
        int deviceOrdinal;
        HardwareProfile profile;
        long deviceBytes = UNSET;
        double deviceHeadroom = 0.25;
        long vramLimitBytes;
        long hostBytes = UNSET;
        long fileBytes;
        java.nio.file.Path filePath;
        long fileRegionBytes = 64 * MIB;
        boolean compression = true;
        double minCompressionSavings = 0.05;
        String devicePolicy = EvictionPolicies.DEFAULT;
        String hostPolicy = EvictionPolicies.DEFAULT;
        int promoteToDeviceAfter = 4;
        int promoteToHostAfter = 2;
        long demoteAfterIdleNanos = 600_000_000_000L;
        double highWaterMark = 0.95;
        double evictToFraction = 0.90;
        long ttlNanos;
        long deviceMaxEntryBytes = UNSET;
        long hostMaxEntryBytes = UNSET;
        long fileMaxEntryBytes = UNSET;
        int maxEntries = 1 << 16;
        long cleanupIntervalNanos = 1_000_000_000L;
        boolean persistOnClose = true;

        Builder()
        {
        }

        /**
         * The name used for JMX and logs.
         *
         * @param name a name.
         * @return this.
         */
        public Builder name(final String name)
        {
            this.name = name;
            return this;
        }

        /**
         * Sizes the levels from a machine's profile ({@link HardwareProfile#detect()} or a preset):
         * L1, L2 and (with {@link #file(java.nio.file.Path)}) L3, and the largest entry of each
         * level. Sizes set explicitly on this builder win over the profile's.
         *
         * @param profile the machine.
         * @return this.
         */
        public Builder profile(final HardwareProfile profile)
        {
            this.profile = profile;
            return this;
        }

        /**
         * Takes every setting from loaded settings (file, environment and profile merged, see
         * {@link CacheSettings#load}). Call it first: builder calls after it override.
         *
         * @param settings the settings.
         * @return this.
         */
        public Builder settings(final CacheSettings settings)
        {
            profile = settings.profile();
            name = settings.name();
            useGpu = settings.deviceEnabled();
            deviceOrdinal = settings.deviceOrdinal();
            deviceBytes = settings.deviceBytes();
            vramLimitBytes = settings.vramLimitBytes();
            deviceHeadroom = settings.deviceHeadroom();
            hostBytes = settings.hostBytes();
            filePath = settings.filePath();
            fileBytes = settings.filePath() == null ? 0 : settings.fileBytes();
            fileRegionBytes = settings.fileRegionBytes();
            compression = settings.compression();
            minCompressionSavings = settings.minCompressionSavings();
            persistOnClose = settings.persistOnClose();
            devicePolicy = settings.policy(Tier.DEVICE);
            hostPolicy = settings.policy(Tier.HOST);
            promoteToDeviceAfter = settings.promoteToDeviceAfter();
            promoteToHostAfter = settings.promoteToHostAfter();
            for (final Tier tier : Tier.values())
            {
                if (settings.maxEntryBytes(tier) > 0)
                {
                    maxEntryBytes(tier, settings.maxEntryBytes(tier));
                }
            }
            maxEntries = settings.maxItems();
            highWaterMark = settings.evictionThreshold();
            evictToFraction = settings.evictionTarget();
            cleanupIntervalNanos = settings.cleanupInterval().toNanos();
            demoteAfterIdleNanos = settings.idleDemotion().toNanos();
            ttlNanos = settings.ttl().toNanos();
            if (!settings.useMmap())
            {
                LOG.log(System.Logger.Level.WARNING, "use_mmap=false is ignored: the L3 file is always memory-mapped");
            }
            return this;
        }

        /**
         * Whether to use a GPU level at all (default true; off when no runtime is usable anyway).
         *
         * @param useGpu false to keep L1 off.
         * @return this.
         */
        public Builder useGpu(final boolean useGpu)
        {
            this.useGpu = useGpu;
            return this;
        }

        /**
         * Which GPU holds L1.
         *
         * @param ordinal device ordinal, default 0.
         * @return this.
         */
        public Builder deviceOrdinal(final int ordinal)
        {
            this.deviceOrdinal = ordinal;
            return this;
        }

        /**
         * L1 size (capped by free device memory minus headroom, and by the VRAM limit).
         *
         * @param bytes default 512 MiB; 0 turns L1 off.
         * @return this.
         */
        public Builder deviceBytes(final long bytes)
        {
            this.deviceBytes = bytes;
            return this;
        }

        /**
         * Share of the device's total memory L1 never takes.
         *
         * @param fraction default 0.25, in [0, 1).
         * @return this.
         */
        public Builder deviceHeadroom(final double fraction)
        {
            this.deviceHeadroom = fraction;
            return this;
        }

        /**
         * Hard cap on L1, never crossed.
         *
         * @param bytes 0 for none.
         * @return this.
         */
        public Builder vramLimitBytes(final long bytes)
        {
            this.vramLimitBytes = bytes;
            return this;
        }

        /**
         * L2 size.
         *
         * @param bytes default 256 MiB.
         * @return this.
         */
        public Builder hostBytes(final long bytes)
        {
            this.hostBytes = bytes;
            return this;
        }

        /**
         * L3: the file and its size; an existing file is reopened and its entries recovered.
         *
         * @param path  the file.
         * @param bytes its size; 0 turns L3 off.
         * @return this.
         */
        public Builder file(final java.nio.file.Path path, final long bytes)
        {
            this.filePath = path;
            this.fileBytes = bytes;
            return this;
        }

        /**
         * L3 in a file sized by the {@link #profile} (a share of the free disk).
         *
         * @param path the file.
         * @return this.
         */
        public Builder file(final java.nio.file.Path path)
        {
            this.filePath = path;
            this.fileBytes = UNSET;
            return this;
        }

        /**
         * Size of an L3 region (the unit of reclaim).
         *
         * @param bytes default 64 MiB.
         * @return this.
         */
        public Builder fileRegionBytes(final long bytes)
        {
            this.fileRegionBytes = bytes;
            return this;
        }

        /**
         * Whether L3 stores LZ4 where it saves space.
         *
         * @param on default true.
         * @return this.
         */
        public Builder compression(final boolean on)
        {
            this.compression = on;
            return this;
        }

        /**
         * Least saving for LZ4 to be stored instead of raw bytes.
         *
         * @param fraction default 0.05.
         * @return this.
         */
        public Builder minCompressionSavings(final double fraction)
        {
            this.minCompressionSavings = fraction;
            return this;
        }

        /**
         * Eviction policy of L1 ({@code default}, {@code lru}, {@code fifo}, {@code wtinylfu}).
         *
         * @param policy a name from {@link EvictionPolicies#names()}.
         * @return this.
         */
        public Builder devicePolicy(final String policy)
        {
            this.devicePolicy = policy;
            return this;
        }

        /**
         * Eviction policy of L2.
         *
         * @param policy a name from {@link EvictionPolicies#names()}.
         * @return this.
         */
        public Builder hostPolicy(final String policy)
        {
            this.hostPolicy = policy;
            return this;
        }

        /**
         * Accesses after which an entry is copied to L1 (the seeds' {@code cache_hit_threshold}).
         *
         * @param accesses default 4.
         * @return this.
         */
        public Builder promoteToDeviceAfter(final int accesses)
        {
            this.promoteToDeviceAfter = accesses;
            return this;
        }

        /**
         * Alias of {@link #promoteToDeviceAfter}, under the VRAM seed's name.
         *
         * @param accesses default 4.
         * @return this.
         */
        public Builder cacheHitThreshold(final int accesses)
        {
            return promoteToDeviceAfter(accesses);
        }

        /**
         * Accesses after which an L3 entry is read into L2.
         *
         * @param accesses default 2.
         * @return this.
         */
        public Builder promoteToHostAfter(final int accesses)
        {
            this.promoteToHostAfter = accesses;
            return this;
        }

        /**
         * Idle time after which the mover demotes an entry one level.
         *
         * @param nanos default 600 s; 0 never.
         * @return this.
         */
        public Builder demoteAfterIdleNanos(final long nanos)
        {
            this.demoteAfterIdleNanos = nanos;
            return this;
        }

        /**
         * High-water mark and low-water mark of L1 and L2.
         *
         * @param highWaterMark usage that starts background eviction, default 0.95.
         * @param evictTo       usage it evicts down to, default 0.90.
         * @return this.
         */
        public Builder evictionThresholds(final double highWaterMark, final double evictTo)
        {
            this.highWaterMark = highWaterMark;
            this.evictToFraction = evictTo;
            return this;
        }

        /**
         * Time to live after a put.
         *
         * @param nanos 0 for none (default).
         * @return this.
         */
        public Builder ttlNanos(final long nanos)
        {
            this.ttlNanos = nanos;
            return this;
        }

        /**
         * Largest entry a level takes (small tensors go up, large ones stay down).
         *
         * @param tier  the level.
         * @param bytes the limit.
         * @return this.
         */
        public Builder maxEntryBytes(final Tier tier, final long bytes)
        {
            switch (tier)
            {
                case DEVICE -> deviceMaxEntryBytes = bytes;
                case HOST -> hostMaxEntryBytes = bytes;
                case FILE -> fileMaxEntryBytes = bytes;
            }
            return this;
        }

        /**
         * Most entries across all levels (sizes the off-heap index and the key arena).
         *
         * @param entries default 65536.
         * @return this.
         */
        public Builder maxEntries(final int entries)
        {
            this.maxEntries = entries;
            return this;
        }

        /**
         * How often the mover checks idle, expired and over-full levels.
         *
         * @param nanos default 1 s.
         * @return this.
         */
        public Builder cleanupIntervalNanos(final long nanos)
        {
            this.cleanupIntervalNanos = nanos;
            return this;
        }

        /**
         * Whether {@link TierCache#close()} writes L1 and L2 entries to L3 so a reopen starts warm.
         *
         * @param on default true.
         * @return this.
         */
        public Builder persistOnClose(final boolean on)
        {
            this.persistOnClose = on;
            return this;
        }

        /**
         * Fills what was left unset from the profile, or from the defaults without one.
         */
        private void conclude()
        {
            if (deviceBytes == UNSET)
            {
                deviceBytes = profile != null ? profile.recommendedDeviceBytes(deviceHeadroom, vramLimitBytes) : DEVICE_BYTES_DEFAULT;
            }
            if (hostBytes == UNSET)
            {
                hostBytes = profile != null ? profile.recommendedHostBytes() : HOST_BYTES_DEFAULT;
            }
            if (fileBytes == UNSET)
            {
                check(profile != null, "fileBytes", "unset", "given, or taken from a profile (builder.profile(...))");
                fileBytes = profile.recommendedFileBytes();
            }
            if (deviceMaxEntryBytes == UNSET)
            {
                deviceMaxEntryBytes = profile != null && profile.maxEntryBytes(Tier.DEVICE) > 0 ?
                    profile.maxEntryBytes(Tier.DEVICE) : PromotionRule.L1_MAX_ENTRY_BYTES_DEFAULT;
            }
            if (hostMaxEntryBytes == UNSET)
            {
                hostMaxEntryBytes = profile != null && profile.maxEntryBytes(Tier.HOST) > 0 ?
                    profile.maxEntryBytes(Tier.HOST) : PromotionRule.L2_MAX_ENTRY_BYTES_DEFAULT;
            }
            if (fileMaxEntryBytes == UNSET)
            {
                fileMaxEntryBytes = profile != null && profile.maxEntryBytes(Tier.FILE) > 0 ?
                    profile.maxEntryBytes(Tier.FILE) : PromotionRule.L3_MAX_ENTRY_BYTES_DEFAULT;
            }
        }

        PromotionRule promotionRule()
        {
            return PromotionRule.builder()
                .l1PromotionAccessCount(promoteToDeviceAfter)
                .l2PromotionAccessCount(promoteToHostAfter)
                .demoteAfterIdleNanos(demoteAfterIdleNanos == 0 ? Long.MAX_VALUE : demoteAfterIdleNanos)
                .highWaterMarkPercent((int) Math.round(highWaterMark * 100))
                .evictionTargetPercent((int) Math.round(evictToFraction * 100))
                .ttlNanos(ttlNanos)
                .maxEntryBytes(IndexSlotDescriptor.LEVEL_L1, deviceMaxEntryBytes)
                .maxEntryBytes(IndexSlotDescriptor.LEVEL_L2, hostMaxEntryBytes)
                .maxEntryBytes(IndexSlotDescriptor.LEVEL_L3, fileMaxEntryBytes)
                .build();
        }

        long metaBytes()
        {
            // room for a one-part entry with a 64-byte key per slot, plus slack for longer ones
            return (long) maxEntries * 256 + (1L << 20);
        }

        /**
         * Validates everything and opens the cache.
         *
         * @return the cache; its owner must close it.
         * @throws IllegalArgumentException naming the first bad key and its value.
         */
        public TierCache build()
        {
            conclude();
            check(deviceBytes >= 0, "deviceBytes", deviceBytes, ">= 0");
            check(deviceOrdinal >= 0, "deviceOrdinal", deviceOrdinal, ">= 0");
            check(deviceHeadroom >= 0 && deviceHeadroom < 1, "deviceHeadroom", deviceHeadroom, "in [0, 1)");
            check(vramLimitBytes >= 0, "vramLimitBytes", vramLimitBytes, ">= 0 (0 = no limit)");
            check(hostBytes > 0, "hostBytes", hostBytes, "> 0");
            check(fileBytes >= 0, "fileBytes", fileBytes, ">= 0");
            check(fileRegionBytes >= 4096, "fileRegionBytes", fileRegionBytes, ">= 4096");
            check(minCompressionSavings >= 0 && minCompressionSavings < 1, "minCompressionSavings", minCompressionSavings, "in [0, 1)");
            check(EvictionPolicies.names().contains(devicePolicy), "devicePolicy", devicePolicy, "one of " + EvictionPolicies.names());
            check(EvictionPolicies.names().contains(hostPolicy), "hostPolicy", hostPolicy, "one of " + EvictionPolicies.names());
            check(promoteToDeviceAfter >= 1, "promoteToDeviceAfter", promoteToDeviceAfter, ">= 1");
            check(promoteToHostAfter >= 1, "promoteToHostAfter", promoteToHostAfter, ">= 1");
            check(demoteAfterIdleNanos >= 0, "demoteAfterIdleNanos", demoteAfterIdleNanos, ">= 0");
            check(highWaterMark > 0 && highWaterMark <= 1, "highWaterMark", highWaterMark, "in (0, 1]");
            check(evictToFraction > 0 && evictToFraction <= highWaterMark, "evictTo", evictToFraction, "in (0, highWaterMark=" + highWaterMark + "]");
            check(ttlNanos >= 0, "ttlNanos", ttlNanos, ">= 0 (0 = none)");
            check(deviceMaxEntryBytes > 0, "maxEntryBytes(DEVICE)", deviceMaxEntryBytes, "> 0");
            check(hostMaxEntryBytes > 0, "maxEntryBytes(HOST)", hostMaxEntryBytes, "> 0");
            check(fileMaxEntryBytes > 0, "maxEntryBytes(FILE)", fileMaxEntryBytes, "> 0");
            check(maxEntries >= 1 && maxEntries <= IndexSlotDescriptor.MAX_CAPACITY, "maxEntries", maxEntries,
                "in [1, " + IndexSlotDescriptor.MAX_CAPACITY + "]");
            check(cleanupIntervalNanos >= 1_000_000, "cleanupIntervalNanos", cleanupIntervalNanos, ">= 1 ms");
            check(fileBytes == 0 || filePath != null, "file.path", null, "set when fileBytes > 0");
            return new TierCache(this);
        }

        private static void check(final boolean ok, final String key, final Object value, final String allowed)
        {
            if (!ok)
            {
                throw new IllegalArgumentException(key + "=" + value + ": must be " + allowed);
            }
        }
    }
}
