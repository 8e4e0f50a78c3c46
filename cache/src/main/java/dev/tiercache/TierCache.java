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
import java.util.function.LongConsumer;

/**
 * A three-level cache for tensors and blobs: L1 GPU memory, L2 pinned host memory, L3 a
 * memory-mapped file. Built with {@link #builder()}.
 *
 * <h2>Placement</h2>
 * Levels are exclusive: an entry's bytes live in exactly one level (plus the copy in flight during
 * a move). A {@code put} lands in L2 (in L3 when it is larger than L2 may hold, or when L2's
 * admission policy keeps its residents instead). Each {@code get} counts an access; once an entry
 * in L3 has been read {@link Builder#promoteToHostAfter} times the mover reads it into L2, and once
 * an L2 entry reaches {@link Builder#promoteToDeviceAfter} accesses the mover copies it to L1, off
 * the caller's thread. A full level evicts by its policy: L1 victims move to L2, L2 victims to L3,
 * and L3 reclaims its oldest region whole, dropping what it held. The mover also demotes entries
 * idle for {@link Builder#demoteAfterIdleNanos}, drops expired ones (optional TTL) and trims a
 * level that passes its high-water mark down to its low-water mark.
 *
 * <p>A promotion takes free space only below the target's high-water mark; past it the entry must
 * win its policy's {@code admitPromotion} (frequency, ties to the resident) against a victim. A hit
 * in a lower level counts as a miss for the levels above it, so their admission learns how often a
 * key is asked for. With a hardware profile, a promotion must also pay for its copy by the
 * profile's transfer-cost model.
 *
 * <h2>Concurrency</h2>
 * Reads take no cache-wide lock. A lookup probes the index's key table without a lock, pins the
 * slot it found with one compare-and-set on the slot's pin word, checks the slot's key under the
 * pin and reads the bytes (an L1 copy, an L2 copy or view, an L3 read that verifies the entry's
 * sequence number, checksum and codec) on the caller's thread. A slot's location never changes
 * while it is published: a move or a replacing put fills a new slot, points the key at it and
 * retires the old one, whose bytes and meta record are freed by whoever drops its last pin. The
 * protocol and its memory ordering are in {@link EntryIndex}; decision record 0010 says why.
 *
 * <p>What a read learns for the policies (which entry, which missed key) goes into striped, lossy
 * {@link AccessBuffer}s; statistics are striped counters ({@link CacheCounters}). One lock, the
 * writer lock, serializes everything that changes placement: puts, removals, evictions, the mover's
 * commits, and the drain that applies the buffered accesses to the policies. A reader takes it only
 * to drain a full buffer ({@code tryLock}, never waiting), to report a corrupt L3 entry, and as a
 * fallback after a few optimistic lookups lost races with writers. The mover copies promotions
 * outside the lock with the source pinned, and commits even while readers hold the source pinned:
 * their pins keep the old bytes alive until they are done.
 *
 * <h2>Failure</h2>
 * A full level is a result, not an exception: the entry goes one level down. A CUDA error during a
 * move leaves the entry where it was and gives back what the move reserved. A corrupt L3 entry is
 * counted, dropped and reported as a miss, never returned. A put that fails (too large for every
 * level, or no room) leaves the key's previous entry as it was.
 *
 * <h2>Leases</h2>
 * An {@link EntryHandle} holds a pin on its slot: the bytes it reads are neither freed nor reused
 * until it closes, whatever happens to the key meanwhile. A host view ({@link EntryHandle#segment})
 * lives in a scope of the handle and dies when the handle closes. Closing the cache frees
 * everything; handles still open then become invalid.
 */
public final class TierCache implements AutoCloseable
{
    /** {@link #getInto} result for a key that is not cached. */
    public static final long MISS = -1;

    private static final System.Logger LOG = System.getLogger(TierCache.class.getName());
    private static final AtomicInteger INSTANCES = new AtomicInteger();
    /** The mover copies this slot's bytes now; it must not be evicted or moved by anyone else. */
    private static final byte FLAG_MOVING = 1;
    /** A promotion of this slot is queued for the mover: one request per slot, not one per hit. */
    private static final byte FLAG_QUEUED = 2;
    /** The slot's L3 bytes went with a reclaimed region: there is nothing to remove from the file. */
    private static final byte FLAG_FILE_GONE = 4;
    private static final int LEVELS = CacheCounters.LEVELS;
    private static final Tier[] TIERS = Tier.values();
    /** Lock-free lookups tried before a reader falls back to the writer lock. */
    private static final int OPTIMISTIC_ATTEMPTS = 8;
    /** Pinned-slot lookup result: no entry. */
    private static final long NOT_PINNED = -1;
    private static final int NO_SLOT = -1;
    private static final ThreadLocal<EntryHandle> SCRATCH_HANDLE = ThreadLocal.withInitial(EntryHandle::new);

    private final Builder config;
    private final PromotionRule rule;
    private final TransferCostModel costs;
    private final String name;
    private final ReentrantLock lock = new ReentrantLock();

    // @GuardedBy("lock"): the policies, the placement fields of the index, the promotion queue
    private final EntryIndex index;
    private final EvictionPolicy[] policies = new EvictionPolicy[LEVELS];
    private final long[] pendingPromotions;
    private int pendingHead;
    private int pendingSize;
    private int protectedSlot = NO_SLOT;

    // read without the lock
    private final AccessBuffer accessEvents = new AccessBuffer();
    private final AccessBuffer missEvents = new AccessBuffer();
    private final LongConsumer applyAccess = this::applyAccess;
    private final LongConsumer applyMiss = this::applyMiss;
    /** Treiber stack of retired slots whose last pin a reader dropped; {@link #reclaimNext} links it. */
    private final AtomicInteger reclaimHead = new AtomicInteger(NO_SLOT);
    private final int[] reclaimNext;
    private final CacheCounters counters = new CacheCounters();
    private final AtomicInteger openViews = new AtomicInteger();
    private volatile boolean closed;
    private boolean storesClosed;

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

    private TierCache(final Builder config)
    {
        this.config = config;
        this.rule = config.promotionRule();
        this.costs = config.profile == null ? null : config.profile.transferCosts();
        this.name = config.name != null ? config.name : "tiercache-" + INSTANCES.incrementAndGet();
        // slack beyond maxEntries: retired slots wait there for their readers' last pins
        final int slots = (int)Math.min(IndexSlotDescriptor.MAX_CAPACITY, config.maxEntries + Math.max(64L, config.maxEntries / 8L));
        this.index = new EntryIndex(slots);
        this.reclaimNext = new int[slots];
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
     * Stores an entry under a {@code long} key, replacing any entry of that key. A put that throws
     * leaves the previous entry as it was.
     *
     * @param key   the key.
     * @param parts one or more parts; their bytes are copied.
     * @return the level the entry landed in.
     * @throws IllegalArgumentException when the entry is larger than every level can hold, or finds
     *                                  no room.
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
        final boolean fitsHost = payloadLength > 0 && payloadLength <= hostMaxEntry();
        final boolean fitsFile = file != null && payloadLength <= fileMaxEntry();
        lock.lock();
        try
        {
            checkOpen();
            drainLocked();
            if (!fitsHost && !fitsFile)
            {
                counters.rejected++;
                throw new IllegalArgumentException("entry of " + payloadLength + " bytes is larger than every level: L2 holds entries up to " +
                    hostMaxEntry() + " bytes, L3 " + (file == null ? "is off (" + fileOffReason + ")" : "up to " + fileMaxEntry() + " bytes"));
            }
            // the old entry stays readable, and is kept out of eviction, until the new one is in place
            final int existing = index.find(hash);
            protectedSlot = existing;
            try
            {
                return placeLocked(hash, keyKind, key, parts, metaLength, payloadLength, fitsHost, fitsFile, existing);
            }
            finally
            {
                protectedSlot = NO_SLOT;
            }
        }
        finally
        {
            lock.unlock();
        }
    }

    private Tier placeLocked(
        final long hash, final int keyKind, final MemorySegment key, final Part[] parts, final long metaLength, final long payloadLength,
        final boolean fitsHost, final boolean fitsFile, final int existing)
    {
        if (existing == EntryIndex.NOT_FOUND)
        {
            while (index.size() >= config.maxEntries)
            {
                if (!evictAnyFileEntry() && !evictOne(Tier.HOST, hash, false) && !evictOne(Tier.DEVICE, hash, false))
                {
                    counters.rejected++;
                    throw new IllegalStateException("the index is full (maxEntries=" + config.maxEntries + ") of leased entries");
                }
            }
        }
        final int slot = allocateSlot(hash);
        if (slot == EntryIndex.FULL)
        {
            counters.rejected++;
            throw new IllegalStateException("every index slot is live or held by a lease (maxEntries=" + config.maxEntries + ")");
        }
        long metaOffset = SpaceAllocator.FULL;
        try
        {
            metaOffset = allocateMeta(metaLength);
            final MemorySegment meta = metaStore.view(metaOffset, metaLength);
            EntryMetaDescriptor.write(meta, keyKind, key, parts);
            Tier landed = null;
            long location = SpaceAllocator.FULL;
            long sequence = 0;
            if (fitsHost)
            {
                location = makeRoom(Tier.HOST, hash, payloadLength);
                if (location != SpaceAllocator.FULL)
                {
                    copyParts(parts, meta, host.view(location, payloadLength));
                    landed = Tier.HOST;
                }
            }
            if (landed == null && fitsFile)
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
                    location = appendToFile(hash, meta, payload);
                    if (location != FileStore.FULL)
                    {
                        sequence = file.sequence(location);
                        landed = Tier.FILE;
                    }
                }
            }
            if (landed == null)
            {
                counters.rejected++;
                throw new IllegalArgumentException("entry of " + payloadLength + " bytes found no room: every candidate level is full of leased entries");
            }
            fillSlot(slot, landed, location, payloadLength, metaOffset, sequence, rule.expiresAtNanos(System.nanoTime()), 0);
            metaOffset = SpaceAllocator.FULL;
            index.publish(slot);
            // evictions above may have moved or dropped the old entry: look it up again
            final int current = index.find(hash);
            if (current != EntryIndex.NOT_FOUND)
            {
                final Tier old = levelOf(current);
                policies[old.ordinal()].onRemove(current);
                counters.levelEntries[old.ordinal()]--;
                index.relink(current, slot);
                retireLocked(current);
            }
            else
            {
                index.link(slot);
            }
            policies[landed.ordinal()].onInsert(slot);
            counters.levelEntries[landed.ordinal()]++;
            counters.puts++;
            return landed;
        }
        catch (final RuntimeException | Error ex)
        {
            if (index.state(slot) == IndexSlotDescriptor.STATE_RESERVED)
            {
                if (metaOffset != SpaceAllocator.FULL)
                {
                    metaStore.free(metaOffset);
                }
                abandonReserved(slot);
            }
            throw ex;
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
    // get: lock-free lookups
    // ------------------------------------------------------------------------------------------

    /**
     * Looks an entry up and leases its bytes.
     *
     * @param key the key.
     * @return a lease to close, or {@code null} on a miss.
     */
    public EntryHandle get(final long key)
    {
        final EntryHandle handle = new EntryHandle();
        return lookupInto(key, EntryMetaDescriptor.KEY_KIND_LONG, null, key, handle) ? handle : null;
    }

    /**
     * Looks an entry up and leases it into a handle the caller reuses: no allocation for an L1 or
     * L2 hit, and no cache-wide lock.
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
        return lookupInto(key, EntryMetaDescriptor.KEY_KIND_LONG, null, key, handle);
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
        final EntryHandle handle = new EntryHandle();
        return lookupInto(KeyHashing.hash(keyBytes), EntryMetaDescriptor.KEY_KIND_STRING, keyBytes, 0, handle) ? handle : null;
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
        final EntryHandle handle = new EntryHandle();
        return lookupInto(KeyHashing.hash(keyBytes), EntryMetaDescriptor.KEY_KIND_BYTES, keyBytes, 0, handle) ? handle : null;
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
     * Copies an entry's parts, back to back, into the caller's memory. An L1 or L2 hit takes no
     * cache-wide lock and allocates nothing; an L3 hit of one part into native memory is read,
     * verified and decompressed straight into {@code destination} on the caller's thread.
     *
     * @param key         the key.
     * @param destination at least the entry's {@link EntryHandle#byteSize()}.
     * @return bytes copied, or {@link #MISS}.
     */
    public long getInto(final long key, final MemorySegment destination)
    {
        checkOpen();
        for (int round = 0; round < OPTIMISTIC_ATTEMPTS; round++)
        {
            final long pinned = acquire(key, EntryMetaDescriptor.KEY_KIND_LONG, null, key);
            if (pinned == NOT_PINNED)
            {
                return MISS;
            }
            final int slot = (int) pinned;
            final Tier tier = levelOf(slot);
            if (tier == Tier.HOST)
            {
                final long copied;
                try
                {
                    copied = copyHostParts(slot, destination);
                }
                finally
                {
                    unpin(slot);
                }
                hit(pinned, Tier.HOST);
                return copied;
            }
            if (tier == Tier.FILE && destination.isNative() && EntryMetaDescriptor.partCount(metaStore.memory(), index.meta(slot)) == 1)
            {
                final long read;
                try
                {
                    read = readFileInto(slot, destination);
                }
                finally
                {
                    unpin(slot);
                }
                if (read >= 0)
                {
                    hit(pinned, Tier.FILE);
                    return read;
                }
                if (read == FileStore.CORRUPT)
                {
                    onCorrupt(pinned);
                    return MISS;
                }
                continue; // the entry moved or its region was reclaimed under the read: look again
            }
            final EntryHandle handle = SCRATCH_HANDLE.get();
            final int armed = armPinned(pinned, handle);
            if (armed == ARMED)
            {
                try (handle)
                {
                    return copyParts(handle, destination);
                }
            }
            if (armed == ARM_CORRUPT)
            {
                return MISS;
            }
        }
        counters.miss();
        return MISS;
    }

    private long copyHostParts(final int slot, final MemorySegment destination)
    {
        final MemorySegment meta = metaStore.memory();
        final long record = index.meta(slot);
        final int parts = EntryMetaDescriptor.partCount(meta, record);
        long total = 0;
        for (int i = 0; i < parts; i++)
        {
            total += EntryMetaDescriptor.partLength(meta, record, i);
        }
        if (destination.byteSize() < total)
        {
            throw new IllegalArgumentException("destination of " + destination.byteSize() + " bytes < entry of " + total + " bytes");
        }
        final MemorySegment memory = host.memory();
        final long base = index.location(slot);
        long at = 0;
        for (int i = 0; i < parts; i++)
        {
            final long length = EntryMetaDescriptor.partLength(meta, record, i);
            MemorySegment.copy(memory, base + EntryMetaDescriptor.partOffset(meta, record, i), destination, at, length);
            at += length;
        }
        return total;
    }

    /**
     * Reads a pinned one-part L3 entry into the caller's memory, proving its identity by sequence.
     *
     * @return the length, {@link FileStore#CORRUPT}, or another negative result (look again).
     */
    private long readFileInto(final int slot, final MemorySegment destination)
    {
        final long length = index.rawLength(slot);
        if (destination.byteSize() < length)
        {
            throw new IllegalArgumentException("destination of " + destination.byteSize() + " bytes < entry of " + length + " bytes");
        }
        return file.read(index.location(slot), index.fileSequence(slot), destination.asSlice(0, length));
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

    private static final int ARMED = 0;
    private static final int ARM_CORRUPT = 1;
    private static final int ARM_AGAIN = 2;

    /**
     * Looks up, pins and arms a handle, retrying when an L3 entry moved under its read.
     */
    private boolean lookupInto(final long hash, final int keyKind, final MemorySegment keyBytes, final long longKey, final EntryHandle handle)
    {
        checkOpen();
        for (int round = 0; round < OPTIMISTIC_ATTEMPTS; round++)
        {
            final long pinned = acquire(hash, keyKind, keyBytes, longKey);
            if (pinned == NOT_PINNED)
            {
                return false;
            }
            final int armed = armPinned(pinned, handle);
            if (armed == ARMED)
            {
                return true;
            }
            if (armed == ARM_CORRUPT)
            {
                return false;
            }
        }
        counters.miss();
        return false;
    }

    /**
     * Arms a handle on a pinned slot; the handle then owns the pin. An L3 entry is read into memory
     * the handle owns (a block of L2's arena when there is room).
     *
     * @return {@link #ARMED}; {@link #ARM_CORRUPT} (counted, the pin dropped, a miss); or
     *         {@link #ARM_AGAIN} (the L3 entry moved under the read; the pin dropped).
     */
    private int armPinned(final long pinned, final EntryHandle handle)
    {
        final int slot = (int) pinned;
        final Tier tier = levelOf(slot);
        final long metaOffset = index.meta(slot);
        if (tier == Tier.DEVICE)
        {
            handle.arm(this, tier, slot, metaStore.memory(), metaOffset, null, 0, device.deviceAddress(index.location(slot)), null,
                EntryHandle.NO_STAGING);
            hit(pinned, tier);
            return ARMED;
        }
        if (tier == Tier.HOST)
        {
            handle.arm(this, tier, slot, metaStore.memory(), metaOffset, host.memory(), index.location(slot), 0, null, EntryHandle.NO_STAGING);
            hit(pinned, tier);
            return ARMED;
        }
        final long length = index.rawLength(slot);
        final long staging = host.allocate(Math.max(1, length));
        final Arena owned = staging == SpaceAllocator.FULL ? Arena.ofShared() : null;
        final long read;
        final MemorySegment memory;
        final long base;
        try
        {
            memory = owned == null ? host.memory() : owned.allocate(Math.max(1, length), EntryMetaDescriptor.PART_ALIGNMENT);
            base = owned == null ? staging : 0;
            read = file.read(index.location(slot), index.fileSequence(slot), memory.asSlice(base, length));
        }
        catch (final RuntimeException | Error ex)
        {
            releaseStaging(owned, staging);
            unpin(slot);
            throw ex;
        }
        if (read != length)
        {
            releaseStaging(owned, staging);
            unpin(slot);
            if (read == FileStore.CORRUPT)
            {
                onCorrupt(pinned);
                return ARM_CORRUPT;
            }
            return ARM_AGAIN;
        }
        handle.arm(this, Tier.FILE, slot, metaStore.memory(), metaOffset, memory, base, 0, owned, owned == null ? staging : EntryHandle.NO_STAGING);
        hit(pinned, Tier.FILE);
        return ARMED;
    }

    private void releaseStaging(final Arena owned, final long staging)
    {
        if (owned != null)
        {
            owned.close();
        }
        else
        {
            host.free(staging);
        }
    }

    /**
     * Finds a key and pins its slot: lock-free while the optimistic lookups win, under the writer
     * lock after {@link #OPTIMISTIC_ATTEMPTS} lost races. A miss and an expired entry are counted
     * and reported to the policies here; a hit is counted by the caller once it has read the bytes.
     *
     * @return {@code incarnation << 32 | slot} of the pinned slot, or {@link #NOT_PINNED}.
     */
    private long acquire(final long hash, final int keyKind, final MemorySegment keyBytes, final long longKey)
    {
        for (int attempt = 0; attempt < OPTIMISTIC_ATTEMPTS; attempt++)
        {
            final int slot = index.findConcurrent(hash);
            if (slot == EntryIndex.NOT_FOUND)
            {
                return missed(hash);
            }
            if (slot == EntryIndex.RETRY)
            {
                Thread.onSpinWait();
                continue;
            }
            final long word = index.tryPin(slot);
            if (word == EntryIndex.PIN_FAILED)
            {
                continue;
            }
            if (index.keyHash(slot) != hash)
            {
                unpin(slot); // a stale probe: the slot was reused for another key
                continue;
            }
            return checkPinned(slot, word, hash, keyKind, keyBytes, longKey);
        }
        lock.lock();
        try
        {
            checkOpen();
            final int slot = index.find(hash);
            if (slot == EntryIndex.NOT_FOUND)
            {
                return missed(hash);
            }
            final long word = index.tryPin(slot);
            if (word == EntryIndex.PIN_FAILED)
            {
                throw new IllegalStateException("slot=" + slot + " of keyHash=" + hash + " is live but cannot be pinned");
            }
            return checkPinned(slot, word, hash, keyKind, keyBytes, longKey);
        }
        finally
        {
            lock.unlock();
        }
    }

    /**
     * The pinned slot holds {@code hash}: compare the full key (a collision is a miss) and the expiry.
     */
    private long checkPinned(final int slot, final long word, final long hash, final int keyKind, final MemorySegment keyBytes, final long longKey)
    {
        final long pinned = ((word >>> 32) << 32) | slot;
        if (!keyMatches(slot, keyKind, keyBytes, longKey))
        {
            unpin(slot);
            return missed(hash);
        }
        final long expiresAt = index.expiresAtNanos(slot);
        if (expiresAt != 0 && System.nanoTime() - expiresAt >= 0)
        {
            unpin(slot);
            record(accessEvents, pinned); // the drain removes it
            counters.miss();
            return NOT_PINNED;
        }
        return pinned;
    }

    private boolean keyMatches(final int slot, final int keyKind, final MemorySegment keyBytes, final long longKey)
    {
        final MemorySegment memory = metaStore.memory();
        final long base = index.meta(slot);
        if (EntryMetaDescriptor.keyKind(memory, base) != keyKind)
        {
            return false;
        }
        if (keyKind == EntryMetaDescriptor.KEY_KIND_LONG)
        {
            return EntryMetaDescriptor.longKey(memory, base) == longKey;
        }
        return EntryMetaDescriptor.key(metaOf(slot)).mismatch(keyBytes) == -1;
    }

    private long missed(final long hash)
    {
        counters.miss();
        record(missEvents, hash);
        return NOT_PINNED;
    }

    private void hit(final long pinned, final Tier tier)
    {
        counters.hit(tier.ordinal());
        record(accessEvents, pinned);
    }

    /**
     * Buffers a policy event; a full stripe is drained at once when the writer lock is free, so a
     * single thread never loses one, and dropped otherwise.
     */
    private void record(final AccessBuffer buffer, final long event)
    {
        if (buffer.offer(event) == AccessBuffer.FULL && lock.tryLock())
        {
            try
            {
                if (!closed)
                {
                    drainLocked();
                }
            }
            finally
            {
                lock.unlock();
            }
            buffer.offer(event);
        }
    }

    /**
     * Brings an entry to L1 (synchronously) and leases it there.
     *
     * @param key the key.
     * @return a lease with {@link Tier#DEVICE}, or {@code null} on a miss.
     * @throws IllegalStateException when there is no usable GPU level (with the reason), or the
     *                               entry cannot be brought there (with what stopped it).
     * @throws IllegalArgumentException when the entry is larger than L1 may hold.
     */
    public EntryHandle getOnDevice(final long key)
    {
        if (device == null)
        {
            throw new IllegalStateException("no L1 (device) level: " + deviceOffReason);
        }
        checkOpen();
        final long fast = acquire(key, EntryMetaDescriptor.KEY_KIND_LONG, null, key);
        if (fast == NOT_PINNED)
        {
            return null;
        }
        if (levelOf((int) fast) == Tier.DEVICE)
        {
            final EntryHandle handle = new EntryHandle();
            armPinned(fast, handle);
            return handle;
        }
        unpin((int) fast);
        long pinned;
        lock.lock();
        try
        {
            checkOpen();
            drainLocked();
            final int slot = findKey(key, EntryMetaDescriptor.KEY_KIND_LONG, null, key);
            if (slot == EntryIndex.NOT_FOUND)
            {
                return null;
            }
            int target = slot;
            if (levelOf(slot) != Tier.DEVICE)
            {
                final long length = index.rawLength(slot);
                if (length > deviceMaxEntry())
                {
                    throw new IllegalArgumentException("entry of " + length + " bytes is larger than L1 holds (" + deviceMaxEntry() + ")");
                }
                target = promoteToDeviceLocked(slot, key);
            }
            final long word = index.tryPin(target);
            pinned = ((word >>> 32) << 32) | target;
        }
        finally
        {
            lock.unlock();
        }
        final EntryHandle handle = new EntryHandle();
        armPinned(pinned, handle);
        return handle;
    }

    /**
     * Raises an L3 entry into L2 now, on the caller's thread (a prefetch: the entry is about to be
     * read). Gets only ask the mover for this; a caller that knows the future asks directly. The
     * entry must still win L2's admission when L2 is past its high-water mark.
     *
     * @param key the key.
     * @return the level the entry is in afterwards, or {@code null} when it is not cached.
     */
    public Tier promoteToHost(final long key)
    {
        lock.lock();
        try
        {
            checkOpen();
            drainLocked();
            final int slot = findKey(key, EntryMetaDescriptor.KEY_KIND_LONG, null, key);
            if (slot == EntryIndex.NOT_FOUND)
            {
                return null;
            }
            if (levelOf(slot) == Tier.FILE && (index.flags(slot) & FLAG_MOVING) == 0)
            {
                promoteFileToHostLocked(slot);
            }
            final int now = findKey(key, EntryMetaDescriptor.KEY_KIND_LONG, null, key);
            return now == EntryIndex.NOT_FOUND ? null : levelOf(now);
        }
        finally
        {
            lock.unlock();
        }
    }

    /**
     * Whether a key is cached and not expired (no access is counted).
     *
     * @param key the key.
     * @return true when present.
     */
    public boolean contains(final long key)
    {
        return containsKey(key, EntryMetaDescriptor.KEY_KIND_LONG, null, key);
    }

    /**
     * Whether a String key is cached and not expired.
     *
     * @param key the key.
     * @return true when present.
     */
    public boolean contains(final String key)
    {
        final MemorySegment keyBytes = MemorySegment.ofArray(key.getBytes(StandardCharsets.UTF_8));
        return containsKey(KeyHashing.hash(keyBytes), EntryMetaDescriptor.KEY_KIND_STRING, keyBytes, 0);
    }

    private boolean containsKey(final long hash, final int keyKind, final MemorySegment keyBytes, final long longKey)
    {
        lock.lock();
        try
        {
            checkOpen();
            final int slot = findKey(hash, keyKind, keyBytes, longKey);
            return slot != EntryIndex.NOT_FOUND && !rule.isExpired(index, slot, System.nanoTime());
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
        return removeKey(key, EntryMetaDescriptor.KEY_KIND_LONG, null, key);
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
        return removeKey(KeyHashing.hash(keyBytes), EntryMetaDescriptor.KEY_KIND_STRING, keyBytes, 0);
    }

    private boolean removeKey(final long hash, final int keyKind, final MemorySegment keyBytes, final long longKey)
    {
        lock.lock();
        try
        {
            checkOpen();
            drainLocked();
            final int slot = findKey(hash, keyKind, keyBytes, longKey);
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
            drainLocked();
            for (int slot = 0; slot < index.capacity(); slot++)
            {
                if (index.state(slot) == IndexSlotDescriptor.STATE_LIVE)
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
            return closed ? 0 : index.size();
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
    // pins, handles and views (any thread)
    // ------------------------------------------------------------------------------------------

    /**
     * Drops a reader's pin; the last pin of a retired slot hands it to the writer for reclamation.
     */
    private void unpin(final int slot)
    {
        if (index.unpin(slot))
        {
            int head;
            do
            {
                head = reclaimHead.get();
                reclaimNext[slot] = head;
            }
            while (!reclaimHead.compareAndSet(head, slot));
        }
    }

    /**
     * Ends a handle's lease: its pin, and its L2 staging block for an L3 hit.
     */
    void releasePin(final int slot, final long stagingOffset)
    {
        if (closed)
        {
            return; // everything was freed with the cache
        }
        if (stagingOffset != EntryHandle.NO_STAGING)
        {
            host.free(stagingOffset);
        }
        unpin(slot);
    }

    void viewOpened()
    {
        openViews.incrementAndGet();
    }

    void viewClosed()
    {
        if (openViews.decrementAndGet() == 0 && closed)
        {
            lock.lock();
            try
            {
                closeStoresLocked();
            }
            finally
            {
                lock.unlock();
            }
        }
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

    /**
     * A reader found the L3 entry of a pinned slot corrupt: count it and drop the entry, if it is
     * still the one the reader saw (it may be gone or replaced already).
     */
    private void onCorrupt(final long pinned)
    {
        counters.corruptSkipped.increment();
        counters.miss();
        final int slot = (int) pinned;
        lock.lock();
        try
        {
            if (!closed && isCurrent(slot, (int) (pinned >>> 32)))
            {
                LOG.log(System.Logger.Level.WARNING, "tiercache " + name + ": L3 entry at " + index.location(slot) + " is corrupt; dropped");
                removeSlot(slot);
            }
        }
        finally
        {
            lock.unlock();
        }
    }

    // ------------------------------------------------------------------------------------------
    // the writer's side (all under the lock)
    // ------------------------------------------------------------------------------------------

    /**
     * Applies what readers buffered (accesses, misses) and reclaims retired slots whose last pin
     * readers dropped. Every writer operation starts with it.
     */
    void drainLocked()
    {
        accessEvents.drain(applyAccess);
        missEvents.drain(applyMiss);
        reclaimRetired();
    }

    /**
     * Drains the buffers for the mover (a duty-cycle step).
     *
     * @return events applied.
     */
    int drain()
    {
        if (!accessEvents.hasEvents() && !missEvents.hasEvents() && reclaimHead.get() == NO_SLOT)
        {
            return 0;
        }
        lock.lock();
        try
        {
            if (closed)
            {
                return 0;
            }
            final int applied = accessEvents.drain(applyAccess) + missEvents.drain(applyMiss);
            reclaimRetired();
            return applied + 1;
        }
        finally
        {
            lock.unlock();
        }
    }

    private void applyAccess(final long event)
    {
        final int slot = (int) event;
        if (!isCurrent(slot, (int) (event >>> 32)))
        {
            return;
        }
        final long now = System.nanoTime();
        if (rule.isExpired(index, slot, now))
        {
            removeSlot(slot);
            return;
        }
        index.recordAccess(slot, now);
        final Tier tier = levelOf(slot);
        final long hash = index.keyHash(slot);
        // a hit below is a miss above: the upper levels' admission learns how often the key is asked for
        if (tier != Tier.DEVICE && device != null)
        {
            policies[Tier.DEVICE.ordinal()].onMiss(hash);
        }
        if (tier == Tier.FILE)
        {
            policies[Tier.HOST.ordinal()].onMiss(hash);
            if (rule.shouldPromote(index, slot, IndexSlotDescriptor.LEVEL_L2))
            {
                requestPromotion(slot);
            }
            return;
        }
        policies[tier.ordinal()].onAccess(slot);
        if (tier == Tier.HOST && device != null && rule.shouldPromote(index, slot, IndexSlotDescriptor.LEVEL_L1) &&
            index.rawLength(slot) <= device.capacity() && promotionPays(slot, Tier.HOST, Tier.DEVICE))
        {
            requestPromotion(slot);
        }
    }

    private void applyMiss(final long hash)
    {
        policies[Tier.HOST.ordinal()].onMiss(hash);
        if (device != null)
        {
            policies[Tier.DEVICE.ordinal()].onMiss(hash);
        }
    }

    private void reclaimRetired()
    {
        int slot = reclaimHead.getAndSet(NO_SLOT);
        while (slot != NO_SLOT)
        {
            final int next = reclaimNext[slot];
            freeRetired(slot);
            slot = next;
        }
    }

    /**
     * Whether a slot is still the live slot of its key in the incarnation a reader or a move saw.
     */
    private boolean isCurrent(final int slot, final int incarnation)
    {
        return index.state(slot) == IndexSlotDescriptor.STATE_LIVE && index.incarnation(slot) == incarnation;
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

    private int findKey(final long hash, final int keyKind, final MemorySegment keyBytes, final long longKey)
    {
        final int slot = index.find(hash);
        if (slot == EntryIndex.NOT_FOUND)
        {
            return slot;
        }
        return keyMatches(slot, keyKind, keyBytes, longKey) ? slot : EntryIndex.NOT_FOUND;
    }

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

    private long hostMaxEntry()
    {
        return Math.min(rule.maxEntryBytes(IndexSlotDescriptor.LEVEL_L2), host.capacity());
    }

    private long deviceMaxEntry()
    {
        return Math.min(rule.maxEntryBytes(IndexSlotDescriptor.LEVEL_L1), device.capacity());
    }

    private long fileMaxEntry()
    {
        return Math.min(rule.maxEntryBytes(IndexSlotDescriptor.LEVEL_L3), fileMaxRaw());
    }

    private long allocateMeta(final long length)
    {
        long offset = metaStore.allocate(length);
        while (offset == SpaceAllocator.FULL)
        {
            reclaimRetired();
            offset = metaStore.allocate(length);
            if (offset == SpaceAllocator.FULL && !evictAnyFileEntry())
            {
                throw new IllegalStateException("the key/spec arena of " + config.metaBytes() + " bytes is full; raise maxEntries");
            }
            offset = metaStore.allocate(length);
        }
        return offset;
    }

    /**
     * Takes a free index slot, reclaiming retired ones first when none is free.
     *
     * @return the slot (reserved), or {@link EntryIndex#FULL}.
     */
    private int allocateSlot(final long hash)
    {
        int slot = index.allocate(hash);
        if (slot == EntryIndex.FULL)
        {
            reclaimRetired();
            slot = index.allocate(hash);
        }
        return slot;
    }

    private void fillSlot(
        final int slot, final Tier tier, final long location, final long length, final long metaOffset, final long sequence,
        final long expiresAt, final int accessCount)
    {
        index.level(slot, (byte) tier.ordinal());
        index.location(slot, location);
        index.rawLength(slot, length);
        index.storedLength(slot, length);
        index.meta(slot, metaOffset);
        index.fileSequence(slot, sequence);
        index.accessCount(slot, accessCount);
        index.lastAccessNanos(slot, System.nanoTime());
        index.expiresAtNanos(slot, expiresAt);
        index.flags(slot, (byte) 0);
    }

    /**
     * Gives back a reserved slot that never entered the key table.
     */
    private void abandonReserved(final int slot)
    {
        index.publish(slot);
        index.retire(slot);
        index.free(slot);
    }

    /**
     * Replaces a live slot by a new one holding the same entry at another level and location: the
     * readers that pinned the old slot go on reading the old bytes, which are freed with it.
     *
     * @return the new slot, or {@link EntryIndex#FULL} when no slot or meta record was free (nothing changed).
     */
    private int replaceSlot(final int slot, final Tier to, final long location, final long sequence)
    {
        final long hash = index.keyHash(slot);
        final int next = allocateSlot(hash);
        if (next == EntryIndex.FULL)
        {
            return EntryIndex.FULL;
        }
        final MemorySegment meta = metaOf(slot);
        final long metaOffset = metaStore.allocate(meta.byteSize());
        if (metaOffset == SpaceAllocator.FULL)
        {
            abandonReserved(next);
            return EntryIndex.FULL;
        }
        MemorySegment.copy(meta, 0, metaStore.view(metaOffset, meta.byteSize()), 0, meta.byteSize());
        fillSlot(next, to, location, index.rawLength(slot), metaOffset, sequence, index.expiresAtNanos(slot), index.accessCount(slot));
        index.lastAccessNanos(next, index.lastAccessNanos(slot));
        index.publish(next);
        final Tier from = levelOf(slot);
        policies[from.ordinal()].onRemove(slot);
        counters.levelEntries[from.ordinal()]--;
        index.relink(slot, next);
        retireLocked(slot);
        policies[to.ordinal()].onInsert(next);
        counters.levelEntries[to.ordinal()]++;
        return next;
    }

    /**
     * Takes a live slot out of the index and frees its bytes and meta now, or when its last pin goes.
     */
    private void removeSlot(final int slot)
    {
        final Tier tier = levelOf(slot);
        policies[tier.ordinal()].onRemove(slot);
        counters.levelEntries[tier.ordinal()]--;
        index.unlink(slot);
        retireLocked(slot);
    }

    private void retireLocked(final int slot)
    {
        if (index.retire(slot))
        {
            freeRetired(slot);
        }
    }

    /**
     * Frees what a retired slot with no pins held: its bytes in its level, its meta record, the slot.
     */
    private void freeRetired(final int slot)
    {
        final long location = index.location(slot);
        switch (levelOf(slot))
        {
            case DEVICE -> device.free(location);
            case HOST -> host.free(location);
            case FILE ->
            {
                if ((index.flags(slot) & FLAG_FILE_GONE) == 0)
                {
                    file.remove(location, index.fileSequence(slot));
                }
            }
        }
        metaStore.free(index.meta(slot));
        index.free(slot);
    }

    private boolean isEvictable(final int slot)
    {
        return slot != protectedSlot && (index.flags(slot) & FLAG_MOVING) == 0 && index.pins(slot) == 0;
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
            counters.evictions[tier.ordinal()]++;
            demote(victim);
        }
    }

    private long allocate(final Tier tier, final long length)
    {
        return tier == Tier.DEVICE ? device.allocate(length) : host.allocate(length);
    }

    private void free(final Tier tier, final long offset)
    {
        if (tier == Tier.DEVICE)
        {
            device.free(offset);
        }
        else
        {
            host.free(offset);
        }
    }

    /**
     * Evicts one victim of a level one level down (L3 drops).
     *
     * @param admission whether to ask the policy if {@code hash} may take the victim's place.
     * @return false when nothing could be evicted (or admission said no).
     */
    private boolean evictOne(final Tier tier, final long hash, final boolean admission)
    {
        if (tier == Tier.DEVICE && device == null)
        {
            return false;
        }
        final EvictionPolicy policy = policies[tier.ordinal()];
        final int victim = policy.selectVictim(evictable);
        if (victim == EvictionPolicy.NONE || (admission && !policy.admit(hash, victim)))
        {
            return false;
        }
        counters.evictions[tier.ordinal()]++;
        demote(victim);
        return true;
    }

    /**
     * Moves a slot one level down, or drops it when there is no level below that takes it. Every
     * step that can evict is followed by a check that the slot is still the one it was.
     */
    private void demote(final int slot)
    {
        final Tier from = levelOf(slot);
        final long length = index.rawLength(slot);
        final long location = index.location(slot);
        final long hash = index.keyHash(slot);
        final int incarnation = index.incarnation(slot);
        index.flags(slot, (byte) (index.flags(slot) | FLAG_MOVING));
        try
        {
            if (from == Tier.DEVICE)
            {
                final long target = makeRoom(Tier.HOST, hash, length);
                if (target != SpaceAllocator.FULL)
                {
                    if (isCurrent(slot, incarnation) && copyDown(location, host.view(target, length)) &&
                        replaceSlot(slot, Tier.HOST, target, 0) != EntryIndex.FULL)
                    {
                        movedDown(Tier.DEVICE, length);
                        return;
                    }
                    host.free(target);
                }
                else if (file != null && length <= fileMaxEntry() && isCurrent(slot, incarnation))
                {
                    final long fileLocation = deviceToFile(slot, location, length);
                    if (fileLocation >= 0 && commitToFile(slot, incarnation, fileLocation))
                    {
                        movedDown(Tier.DEVICE, length);
                        return;
                    }
                }
            }
            else if (from == Tier.HOST && file != null && length <= fileMaxEntry())
            {
                final long fileLocation = appendToFile(hash, metaOf(slot), host.view(location, length));
                if (fileLocation != FileStore.FULL && commitToFile(slot, incarnation, fileLocation))
                {
                    movedDown(Tier.HOST, length);
                    return;
                }
            }
            if (isCurrent(slot, incarnation))
            {
                removeSlot(slot);
            }
        }
        finally
        {
            if (isCurrent(slot, incarnation))
            {
                index.flags(slot, (byte) (index.flags(slot) & ~FLAG_MOVING));
            }
        }
    }

    private void movedDown(final Tier from, final long length)
    {
        counters.demotions[from.ordinal()]++;
        counters.bytesDown[from.ordinal()] += length;
    }

    /**
     * Device to host for a demotion; a CUDA failure is logged and reported as false.
     */
    private boolean copyDown(final long deviceOffset, final MemorySegment target)
    {
        try
        {
            transfers.deviceToHost(device, deviceOffset, target);
            return true;
        }
        catch (final RuntimeException ex)
        {
            LOG.log(System.Logger.Level.WARNING, "tiercache " + name + ": copy out of L1 failed; the entry is dropped", ex);
            return false;
        }
    }

    /**
     * Points a slot at its new L3 copy, if the slot is still the one that was copied; otherwise
     * the copy is removed again.
     */
    private boolean commitToFile(final int slot, final int incarnation, final long fileLocation)
    {
        final long sequence = file.sequence(fileLocation);
        if (sequence >= 0 && isCurrent(slot, incarnation) && replaceSlot(slot, Tier.FILE, fileLocation, sequence) != EntryIndex.FULL)
        {
            return true;
        }
        if (sequence >= 0)
        {
            file.remove(fileLocation, sequence);
        }
        return false;
    }

    /**
     * The largest raw entry one L3 region can take (a region less its header and an entry header
     * with a long key and a few parts).
     */
    private long fileMaxRaw()
    {
        return file.config().regionSizeBytes() - 4096;
    }

    /**
     * @return the L3 location, or a negative value when the copy failed or L3 had no room.
     */
    private long deviceToFile(final int slot, final long location, final long length)
    {
        try (Arena arena = Arena.ofConfined())
        {
            final MemorySegment staging = arena.allocate(length, EntryMetaDescriptor.PART_ALIGNMENT);
            if (!copyDown(location, staging))
            {
                return FileStore.FULL;
            }
            return appendToFile(index.keyHash(slot), metaOf(slot), staging);
        }
    }

    private long appendToFile(final long hash, final MemorySegment meta, final MemorySegment payload)
    {
        return file.append(hash, EntryMetaDescriptor.key(meta), meta, payload, codec);
    }

    private boolean evictAnyFileEntry()
    {
        if (file != null)
        {
            final int victim = policies[Tier.FILE.ordinal()].selectVictim(evictable);
            if (victim != EvictionPolicy.NONE)
            {
                counters.evictions[Tier.FILE.ordinal()]++;
                removeSlot(victim);
                return true;
            }
        }
        return false;
    }

    /**
     * Called by the file store, inside {@code append} (so under our lock), before it overwrites
     * the oldest region: every live entry there leaves the index. A reader that pinned one of them
     * before finds the sequence changed and looks again.
     */
    private void onFileRegionReclaimed(final long location, final long keyHash)
    {
        final int slot = index.find(keyHash);
        if (slot != EntryIndex.NOT_FOUND && levelOf(slot) == Tier.FILE && index.location(slot) == location)
        {
            counters.evictions[Tier.FILE.ordinal()]++;
            index.flags(slot, (byte) (index.flags(slot) | FLAG_FILE_GONE));
            removeSlot(slot);
        }
    }

    /**
     * The mover's L3 to L2 promotion. The read runs under the lock (it is the mover's thread, and
     * the region must not be reclaimed under it); readers of the entry meanwhile keep reading L3.
     */
    private void promoteFileToHostLocked(final int slot)
    {
        final long length = index.rawLength(slot);
        if (length > hostMaxEntry())
        {
            return;
        }
        final long hash = index.keyHash(slot);
        final int incarnation = index.incarnation(slot);
        index.flags(slot, (byte) (index.flags(slot) | FLAG_MOVING));
        long target = SpaceAllocator.FULL;
        try
        {
            target = makeRoomForPromotion(Tier.HOST, hash, length);
            // making room demotes L2 victims into L3, which may reclaim this entry's own region
            if (target == SpaceAllocator.FULL || !isCurrent(slot, incarnation))
            {
                if (target != SpaceAllocator.FULL)
                {
                    counters.movesAborted++;
                }
                return;
            }
            final long location = index.location(slot);
            final long read = file.read(location, index.fileSequence(slot), host.view(target, length));
            if (read != length)
            {
                if (read == FileStore.CORRUPT)
                {
                    counters.corruptSkipped.increment();
                    LOG.log(System.Logger.Level.WARNING, "tiercache " + name + ": L3 entry at " + location + " is corrupt; dropped");
                }
                removeSlot(slot);
                return;
            }
            if (replaceSlot(slot, Tier.HOST, target, 0) == EntryIndex.FULL)
            {
                counters.movesAborted++;
                return;
            }
            target = SpaceAllocator.FULL;
            file.adviseDontNeed(location);
            counters.promotions[Tier.FILE.ordinal()]++;
            counters.bytesUp[Tier.FILE.ordinal()] += length;
        }
        finally
        {
            if (target != SpaceAllocator.FULL)
            {
                host.free(target);
            }
            if (isCurrent(slot, incarnation))
            {
                index.flags(slot, (byte) (index.flags(slot) & ~FLAG_MOVING));
            }
        }
    }

    /**
     * Synchronous promotion to L1 for {@link #getOnDevice}: a caller that asks for device memory
     * waits for it by definition.
     *
     * @return the entry's new slot in L1.
     * @throws IllegalStateException saying what stopped it.
     */
    private int promoteToDeviceLocked(final int slot, final long key)
    {
        final long length = index.rawLength(slot);
        final long hash = index.keyHash(slot);
        final int incarnation = index.incarnation(slot);
        final Tier from = levelOf(slot);
        index.flags(slot, (byte) (index.flags(slot) | FLAG_MOVING));
        long target = SpaceAllocator.FULL;
        try
        {
            target = makeRoom(Tier.DEVICE, hash, length);
            if (target == SpaceAllocator.FULL)
            {
                throw new IllegalStateException("L1 has no room for key=" + key + " (" + length + " bytes): " + deviceRoomReason());
            }
            if (!isCurrent(slot, incarnation))
            {
                throw new IllegalStateException("key=" + key + " left the cache while L1 made room for it");
            }
            final long location = index.location(slot);
            try
            {
                if (from == Tier.HOST)
                {
                    transfers.hostToDevice(host.view(location, length), device, target);
                }
                else
                {
                    final long read = transfers.fileToDevice(file, location, index.fileSequence(slot), length, host, device, target);
                    if (read != length)
                    {
                        if (read == FileStore.CORRUPT)
                        {
                            counters.corruptSkipped.increment();
                        }
                        removeSlot(slot);
                        throw new IllegalStateException("key=" + key + ": its L3 entry is " + (read == FileStore.CORRUPT ? "corrupt" : "gone") +
                            "; dropped");
                    }
                }
            }
            catch (final dev.tiercache.cuda.CudaException ex)
            {
                throw new IllegalStateException("key=" + key + ": copy to L1 failed, the entry stays in " + from.label() + ": " + ex.getMessage(), ex);
            }
            final int next = replaceSlot(slot, Tier.DEVICE, target, 0);
            if (next == EntryIndex.FULL)
            {
                throw new IllegalStateException("key=" + key + ": no free index slot or meta record for the move to L1");
            }
            target = SpaceAllocator.FULL;
            counters.promotions[from.ordinal()]++;
            counters.bytesUp[from.ordinal()] += length;
            return next;
        }
        finally
        {
            if (target != SpaceAllocator.FULL)
            {
                device.free(target);
            }
            if (isCurrent(slot, incarnation))
            {
                index.flags(slot, (byte) (index.flags(slot) & ~FLAG_MOVING));
            }
        }
    }

    private String deviceRoomReason()
    {
        int pinned = 0;
        int moving = 0;
        int resident = 0;
        int retired = 0;
        for (int slot = 0; slot < index.capacity(); slot++)
        {
            final byte state = index.state(slot);
            if (state == IndexSlotDescriptor.STATE_LIVE && levelOf(slot) == Tier.DEVICE)
            {
                resident++;
                pinned += index.pins(slot) > 0 ? 1 : 0;
                moving += (index.flags(slot) & FLAG_MOVING) != 0 ? 1 : 0;
            }
            else if (state == IndexSlotDescriptor.STATE_RETIRED && levelOf(slot) == Tier.DEVICE)
            {
                retired++;
            }
        }
        return resident + " entries resident in " + device.usedBytes() + " of " + device.capacity() + " bytes, " + pinned +
            " of them leased, " + moving + " being moved, " + retired + " replaced or removed ones still leased; the policy kept them" +
            " or the free space is fragmented";
    }

    private void requestPromotion(final int slot)
    {
        final byte flags = index.flags(slot);
        if (pendingSize == pendingPromotions.length || (flags & (FLAG_QUEUED | FLAG_MOVING)) != 0)
        {
            return;
        }
        index.flags(slot, (byte) (flags | FLAG_QUEUED));
        pendingPromotions[(pendingHead + pendingSize) % pendingPromotions.length] = index.keyHash(slot);
        pendingSize++;
    }

    /**
     * One unit of the mover's work: the next promotion request. An L2 to L1 copy runs outside the
     * lock with the source pinned and commits even while readers hold it pinned (their pins keep
     * the old bytes until they finish); the move's mark is cleared on every path, by the slot's
     * incarnation, so an abandoned move never leaves it behind.
     *
     * @return 1 when something was done, else 0.
     */
    int moveOne()
    {
        final long hash;
        final int slot;
        final int incarnation;
        final long location;
        final long length;
        final long target;
        lock.lock();
        try
        {
            if (closed || pendingSize == 0)
            {
                return 0;
            }
            drainLocked();
            hash = pendingPromotions[pendingHead];
            pendingHead = (pendingHead + 1) % pendingPromotions.length;
            pendingSize--;
            slot = index.find(hash);
            if (slot == EntryIndex.NOT_FOUND)
            {
                return 1;
            }
            index.flags(slot, (byte) (index.flags(slot) & ~FLAG_QUEUED));
            if ((index.flags(slot) & FLAG_MOVING) != 0)
            {
                return 1;
            }
            final Tier from = levelOf(slot);
            length = index.rawLength(slot);
            if (from == Tier.FILE)
            {
                promoteFileToHostLocked(slot);
                return 1;
            }
            if (from != Tier.HOST || device == null || length > deviceMaxEntry())
            {
                return 1;
            }
            incarnation = index.incarnation(slot);
            index.flags(slot, (byte) (index.flags(slot) | FLAG_MOVING));
            target = makeRoomForPromotion(Tier.DEVICE, hash, length);
            if (target == SpaceAllocator.FULL || !isCurrent(slot, incarnation))
            {
                if (target != SpaceAllocator.FULL)
                {
                    device.free(target);
                    counters.movesAborted++;
                }
                if (isCurrent(slot, incarnation))
                {
                    index.flags(slot, (byte) (index.flags(slot) & ~FLAG_MOVING));
                }
                return 1;
            }
            location = index.location(slot);
            index.tryPin(slot);
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
            if (closed)
            {
                return 1;
            }
            final boolean current = isCurrent(slot, incarnation);
            if (current)
            {
                index.flags(slot, (byte) (index.flags(slot) & ~FLAG_MOVING));
            }
            if (copied && current && replaceSlot(slot, Tier.DEVICE, target, 0) != EntryIndex.FULL)
            {
                counters.promotions[Tier.HOST.ordinal()]++;
                counters.bytesUp[Tier.HOST.ordinal()] += length;
            }
            else
            {
                device.free(target);
                counters.movesAborted++;
            }
            if (index.unpin(slot))
            {
                freeRetired(slot);
            }
        }
        finally
        {
            lock.unlock();
        }
        return 1;
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
            drainLocked();
            final long now = System.nanoTime();
            int work = 0;
            for (int slot = 0; slot < index.capacity(); slot++)
            {
                if (index.state(slot) != IndexSlotDescriptor.STATE_LIVE || !evictable.test(slot))
                {
                    continue;
                }
                if (rule.isExpired(index, slot, now))
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
                counters.corruptSkipped.increment();
                file.remove(entry.location(), entry.sequence());
                continue;
            }
            final int existing = index.find(entry.keyHash());
            if (existing != EntryIndex.NOT_FOUND)
            {
                removeSlot(existing);
            }
            if (index.size() >= config.maxEntries)
            {
                break;
            }
            final long metaOffset = metaStore.allocate(meta.byteSize());
            if (metaOffset == SpaceAllocator.FULL)
            {
                break;
            }
            final int slot = index.allocate(entry.keyHash());
            if (slot == EntryIndex.FULL)
            {
                metaStore.free(metaOffset);
                break;
            }
            MemorySegment.copy(meta, 0, metaStore.view(metaOffset, meta.byteSize()), 0, meta.byteSize());
            fillSlot(slot, Tier.FILE, entry.location(), entry.rawLength(), metaOffset, entry.sequence(), 0, 0);
            index.publish(slot);
            index.link(slot);
            policies[Tier.FILE.ordinal()].onInsert(slot);
            counters.levelEntries[Tier.FILE.ordinal()]++;
            restored++;
        }
        for (long i = file.corruptEntriesSkipped(); i > 0; i--)
        {
            counters.corruptSkipped.increment();
        }
        LOG.log(System.Logger.Level.INFO, "tiercache " + name + ": recovered " + restored + " entries from L3");
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
     * A snapshot of every figure: the placement figures (entries, usage, moves) are consistent
     * with each other; the access counters are each exact at some moment during the call.
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
                    capacity, closed ? 0 : used(tier), counters.levelEntries[l], counters.levelAccesses(l), counters.levelHits[l].sum(),
                    counters.evictions[l], counters.promotions[l], counters.demotions[l], counters.bytesUp[l], counters.bytesDown[l],
                    tier == Tier.FILE ? counters.corruptSkipped.sum() : 0));
            }
            return new CacheStats(levels, counters.misses.sum() + counters.hits(), counters.hits(), counters.puts, counters.rejected);
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
            return counters.movesAborted;
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

    /**
     * Runs an action while no L3 read, append or removal runs (for tests that corrupt the file).
     *
     * @param action what to run.
     */
    void runWithFileExclusive(final Runnable action)
    {
        if (file == null)
        {
            action.run();
        }
        else
        {
            file.runExclusively(action);
        }
    }

    /**
     * Live slots flagged as being moved (for tests: a finished or abandoned move leaves none).
     *
     * @return slots with the move mark.
     */
    int slotsMarkedMoving()
    {
        lock.lock();
        try
        {
            int marked = 0;
            for (int slot = 0; !closed && slot < index.capacity(); slot++)
            {
                if (index.state(slot) == IndexSlotDescriptor.STATE_LIVE && (index.flags(slot) & FLAG_MOVING) != 0)
                {
                    marked++;
                }
            }
            return marked;
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
     * the next open starts warm), and frees every native allocation. Host memory that an open view
     * ({@link EntryHandle#segment}) still reads is freed when the last such view's handle closes.
     * Idempotent.
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
            drainLocked();
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
            if (openViews.get() == 0)
            {
                closeStoresLocked();
            }
        }
        finally
        {
            lock.unlock();
        }
    }

    private void closeStoresLocked()
    {
        if (!storesClosed)
        {
            storesClosed = true;
            closeQuietly(host);
            closeQuietly(metaStore);
            index.close();
        }
    }

    private void writeBack()
    {
        int failed = 0;
        for (int slot = 0; slot < index.capacity(); slot++)
        {
            if (index.state(slot) == IndexSlotDescriptor.STATE_LIVE && levelOf(slot) != Tier.FILE)
            {
                final long length = index.rawLength(slot);
                if (length <= fileMaxEntry())
                {
                    try
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
                    catch (final RuntimeException ex)
                    {
                        failed++;
                        LOG.log(System.Logger.Level.WARNING, "tiercache " + name + ": write-back of an entry of " + length + " bytes failed", ex);
                    }
                }
            }
        }
        if (failed > 0)
        {
            LOG.log(System.Logger.Level.WARNING, "tiercache " + name + ": " + failed + " entries could not be written back to L3");
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
