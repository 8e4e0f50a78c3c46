package dev.tiercache;

import dev.tiercache.index.EntryIndex;
import dev.tiercache.index.IndexSlotDescriptor;
import dev.tiercache.policy.EvictionPolicies;
import dev.tiercache.policy.PromotionRule;
import dev.tiercache.profile.HardwareProfile;
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
 * <h2>Where things are</h2>
 * This class is the facade; the work is done by package-private parts sharing one {@link CacheCore}:
 * {@link ReadPath} (lookups, pins and reads on the caller's thread), {@link SlotTable} (the life of
 * an index slot), {@link AccessDrain} (buffered reads applied to the policies), {@link Placement}
 * (puts, eviction, demotion, the periodic duty, write-back), {@link MoveExecutor} (promotions),
 * {@link Recovery} (the index rebuilt from L3), {@link Levels} (the stores) and
 * {@link CacheCounters} (the statistics).
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
    private static final int FETCHED_STORE_ATTEMPTS = 3;
    private static final AtomicInteger INSTANCES = new AtomicInteger();

    private final Builder config;
    private final String name;
    private final CacheCore core;
    private final Levels levels;
    private final EntryIndex index;
    private final CacheCounters counters;
    private final ReentrantLock lock;
    private final SlotTable slots;
    private final AccessDrain accessDrain;
    private final Placement placement;
    private final MoveExecutor moves;
    private final ReadPath reads;
    private final AtomicInteger openViews = new AtomicInteger();
    private final AgentRunner moverRunner;
    /** L4, or {@code null} without one. */
    private final RemoteLevel remote;
    // @GuardedBy("lock")
    private boolean storesClosed;
    private ObjectName mbeanName;

    private TierCache(final Builder config)
    {
        this.config = config;
        this.name = config.name != null ? config.name : "tiercache-" + INSTANCES.incrementAndGet();
        // slack beyond maxEntries: retired slots wait there for their readers' last pins
        final int slotCount = (int)Math.min(IndexSlotDescriptor.MAX_CAPACITY, config.maxEntries + Math.max(64L, config.maxEntries / 8L));
        this.index = new EntryIndex(slotCount);
        try
        {
            // the file store reports reclaimed entries to the placement, which exists once it is open
            final Placement[] reclaims = new Placement[1];
            this.levels = Levels.open(config, name, (location, keyHash) -> reclaims[0].onFileRegionReclaimed(location, keyHash));
            try
            {
                this.core = new CacheCore(config, name, index, levels);
                this.counters = core.counters;
                this.lock = core.lock;
                final int expected = Math.max(16, config.maxEntries);
                core.policies[Tier.DEVICE.ordinal()] = EvictionPolicies.create(config.devicePolicy, index, expected);
                core.policies[Tier.HOST.ordinal()] = EvictionPolicies.create(config.hostPolicy, index, expected);
                core.policies[Tier.FILE.ordinal()] = EvictionPolicies.create("fifo", index, expected);
                this.slots = new SlotTable(core);
                this.accessDrain = new AccessDrain(core, slots);
                this.placement = new Placement(core, slots, accessDrain);
                reclaims[0] = placement;
                this.moves = new MoveExecutor(core, slots, accessDrain, placement);
                this.reads = new ReadPath(core, slots, accessDrain, moves, this);
                if (levels.file != null)
                {
                    new Recovery(core, slots).recover();
                }
                this.remote = config.remote == null ? null : RemoteLevel.open(name, config.remote, config.remoteStore);
                core.remote = remote;
                this.moverRunner = new AgentRunner(new SleepingMillisIdleStrategy(1), this::onMoverError, null, new Mover(this, config.cleanupIntervalNanos));
            }
            catch (final RuntimeException | Error ex)
            {
                levels.closeDeviceAndFile();
                levels.closeHost();
                throw ex;
            }
        }
        catch (final RuntimeException | Error ex)
        {
            index.close();
            throw ex;
        }
        AgentRunner.startOnThread(moverRunner);
        registerMBean();
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
            return store(key, EntryMetaDescriptor.KEY_KIND_LONG, keyBytes, parts);
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
        return store(KeyHashing.hash(keyBytes), EntryMetaDescriptor.KEY_KIND_STRING, keyBytes, parts);
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
        return store(KeyHashing.hash(keyBytes), EntryMetaDescriptor.KEY_KIND_BYTES, keyBytes, parts);
    }

    private Tier store(final long keyHash, final int keyKind, final MemorySegment keyBytes, final Part[] parts)
    {
        final Tier landed = placement.put(keyHash, keyKind, keyBytes, parts);
        if (remote != null && remote.writesOnPut())
        {
            remote.writeBehind(keyKind, keyBytes, parts);
        }
        return landed;
    }

    /**
     * A local lookup, then on a miss L4's: an entry found there is verified, stored here (not
     * written back) and looked up again.
     */
    private boolean lookupOrFetch(final long keyHash, final int keyKind, final MemorySegment keyBytes, final long longKey, final EntryHandle handle)
    {
        if (reads.lookupInto(keyHash, keyKind, keyBytes, longKey, handle))
        {
            return true;
        }
        if (remote == null)
        {
            return false;
        }
        final MemorySegment key = keyBytes != null ? keyBytes : RemoteLevel.longKeyBytes(longKey);
        final Part[] parts = remote.fetch(keyKind, key);
        // other threads' puts may evict it between the store and the lookup: the bytes are in hand, so try again
        for (int attempt = 0; parts != null && attempt < FETCHED_STORE_ATTEMPTS; attempt++)
        {
            if (storeFetched(keyHash, keyKind, key, parts) && reads.lookupInto(keyHash, keyKind, keyBytes, longKey, handle))
            {
                return true;
            }
        }
        return false;
    }

    private boolean fetchRemote(final long keyHash, final int keyKind, final MemorySegment keyBytes)
    {
        final Part[] parts = remote.fetch(keyKind, keyBytes);
        return parts != null && storeFetched(keyHash, keyKind, keyBytes, parts);
    }

    private boolean storeFetched(final long keyHash, final int keyKind, final MemorySegment keyBytes, final Part[] parts)
    {
        try
        {
            placement.put(keyHash, keyKind, keyBytes, parts);
            return true;
        }
        catch (final IllegalArgumentException ex)
        {
            return false; // larger than every local level, or no room: a miss here
        }
    }

    /**
     * Brings the keys that are not cached here from L4, in one pipelined exchange (not one round
     * trip each): what a batch read does before it reads the batch. Without L4, or while it is off,
     * it brings nothing and every key not cached here is absent.
     *
     * @param keys   the keys.
     * @param absent {@code null}, or an array of {@code keys.length} set true for each key that is
     *               neither cached here nor in L4 (a caller with a loader loads those without asking
     *               L4 again).
     * @return entries brought from L4.
     */
    public int fetchFromRemote(final long[] keys, final boolean[] absent)
    {
        if (absent != null && absent.length < keys.length)
        {
            throw new IllegalArgumentException("absent.length=" + absent.length + " < keys.length=" + keys.length);
        }
        int missing = 0;
        final long[] misses = new long[keys.length];
        final int[] at = new int[keys.length];
        for (int i = 0; i < keys.length; i++)
        {
            if (!contains(keys[i]))
            {
                at[missing] = i;
                misses[missing++] = keys[i];
            }
        }
        // without L4, or while it is off, every local miss is absent: fetchAll finds nothing
        final Part[][] found = remote == null ? new Part[missing][] : remote.fetchAll(java.util.Arrays.copyOf(misses, missing));
        int brought = 0;
        for (int m = 0; m < missing; m++)
        {
            final boolean stored = found[m] != null &&
                storeFetched(misses[m], EntryMetaDescriptor.KEY_KIND_LONG, RemoteLevel.longKeyBytes(misses[m]), found[m]);
            brought += stored ? 1 : 0;
            if (absent != null)
            {
                absent[at[m]] = found[m] == null;
            }
        }
        return brought;
    }

    /**
     * Whether this cache has L4 ({@link Builder#remote}), on or off.
     *
     * @return true with L4.
     */
    public boolean hasRemote()
    {
        return remote != null;
    }

    /**
     * L4's figures.
     *
     * @return a snapshot, or {@code null} without L4.
     */
    public RemoteStats remoteStats()
    {
        return remote == null ? null : remote.stats();
    }

    /**
     * Waits until the writes to L4 queued so far are sent: a job that loaded a dataset calls it
     * before it ends, so the next node finds every entry. {@link #close()} does it too, for up to
     * 10 s.
     *
     * @param max how long to wait at most.
     * @return true when nothing is left to send (also without L4).
     */
    public boolean flushRemote(final java.time.Duration max)
    {
        return remote == null || remote.flush(max);
    }

    /**
     * Stores an entry read from L4 (tests and tools; a put does this and also writes behind).
     */
    boolean putWithoutWriteBehind(final long key, final Part... parts)
    {
        return storeFetched(key, EntryMetaDescriptor.KEY_KIND_LONG, RemoteLevel.longKeyBytes(key), parts);
    }


    /**
     * Looks an entry up and leases its bytes.
     *
     * @param key the key.
     * @return a lease to close, or {@code null} on a miss.
     */
    public EntryHandle get(final long key)
    {
        final EntryHandle handle = new EntryHandle();
        return lookupOrFetch(key, EntryMetaDescriptor.KEY_KIND_LONG, null, key, handle) ? handle : null;
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
        return lookupOrFetch(key, EntryMetaDescriptor.KEY_KIND_LONG, null, key, handle);
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
        return lookupOrFetch(KeyHashing.hash(keyBytes), EntryMetaDescriptor.KEY_KIND_STRING, keyBytes, 0, handle) ? handle : null;
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
        return lookupOrFetch(KeyHashing.hash(keyBytes), EntryMetaDescriptor.KEY_KIND_BYTES, keyBytes, 0, handle) ? handle : null;
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
        final long copied = reads.getInto(key, destination);
        return copied != MISS || remote == null || !fetchRemote(key, EntryMetaDescriptor.KEY_KIND_LONG, RemoteLevel.longKeyBytes(key)) ?
            copied : reads.getInto(key, destination);
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
        final EntryHandle onDevice = reads.getOnDevice(key);
        return onDevice != null || remote == null || !fetchRemote(key, EntryMetaDescriptor.KEY_KIND_LONG, RemoteLevel.longKeyBytes(key)) ?
            onDevice : reads.getOnDevice(key);
    }

    /**
     * The mover's step: apply buffered reads and reclaim retired slots.
     *
     * @return work done.
     */
    int drain()
    {
        return accessDrain.drain();
    }

    /**
     * The mover's step: one queued promotion.
     *
     * @return 1 when something was done, else 0.
     */
    int moveOne()
    {
        return moves.moveOne();
    }

    /**
     * The mover's periodic duty.
     *
     * @return entries handled.
     */
    int maintain()
    {
        return placement.maintain();
    }

    private void checkOpen()
    {
        if (core.closed)
        {
            throw new IllegalStateException("TierCache " + name + " is closed");
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
            final int slot = accessDrain.findLongLocked(key);
            if (slot == EntryIndex.NOT_FOUND)
            {
                return null;
            }
            if (slots.levelOf(slot) == Tier.FILE && (index.flags(slot) & CacheRoom.FLAG_MOVING) == 0)
            {
                moves.promoteFileToHostLocked(slot);
            }
            final int now = slots.findKey(key, EntryMetaDescriptor.KEY_KIND_LONG, null, key);
            return now == EntryIndex.NOT_FOUND ? null : slots.levelOf(now);
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
            final int slot = slots.findKey(hash, keyKind, keyBytes, longKey);
            return slot != EntryIndex.NOT_FOUND && !core.rule.isExpired(index, slot, System.nanoTime());
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
            accessDrain.drainLocked();
            final int slot = slots.findKey(hash, keyKind, keyBytes, longKey);
            if (slot == EntryIndex.NOT_FOUND)
            {
                return false;
            }
            slots.removeSlot(slot);
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
            accessDrain.drainLocked();
            for (int slot = 0; slot < index.capacity(); slot++)
            {
                if (index.state(slot) == IndexSlotDescriptor.STATE_LIVE)
                {
                    slots.removeSlot(slot);
                }
            }
            accessDrain.clearPromotions();
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
            return core.closed ? 0 : index.size();
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
        return levels.device != null;
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

    /**
     * Ends a handle's lease: its pin, and its L2 staging block for an L3 hit.
     */
    void releasePin(final int slot, final long stagingOffset)
    {
        if (core.closed)
        {
            return; // everything was freed with the cache
        }
        if (stagingOffset != EntryHandle.NO_STAGING)
        {
            levels.host.free(stagingOffset);
        }
        slots.unpin(slot);
    }

    void viewOpened()
    {
        openViews.incrementAndGet();
    }

    void viewClosed()
    {
        if (openViews.decrementAndGet() == 0 && core.closed)
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
            levels.transfers.deviceToHost(levels.device, deviceAddress - levels.device.deviceAddress(0), destination);
            return;
        }
        try (Arena arena = Arena.ofConfined())
        {
            final MemorySegment bounce = arena.allocate(destination.byteSize());
            levels.transfers.deviceToHost(levels.device, deviceAddress - levels.device.deviceAddress(0), bounce);
            MemorySegment.copy(bounce, 0, destination, 0, destination.byteSize());
        }
    }

    private void onMoverError(final Throwable throwable)
    {
        LOG.log(System.Logger.Level.ERROR, "tiercache " + name + ": mover failed", throwable);
    }


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
            final List<LevelStats> levelStats = new ArrayList<>(CacheCounters.LEVELS);
            for (final Tier tier : Tier.values())
            {
                final int l = tier.ordinal();
                final boolean enabled = tier == Tier.HOST || (tier == Tier.DEVICE ? levels.device != null : levels.file != null);
                final long capacity = switch (tier)
                {
                    case DEVICE -> levels.device == null ? 0 : levels.device.capacity();
                    case HOST -> levels.host.capacity();
                    case FILE -> levels.file == null ? 0 : levels.file.capacityBytes();
                };
                levelStats.add(new LevelStats(tier, enabled, enabled ? null : tier == Tier.DEVICE ? levels.deviceOffReason : levels.fileOffReason,
                    capacity, core.closed ? 0 : slots.used(tier), counters.levelEntries[l], counters.levelAccesses(l), counters.levelHits[l].sum(),
                    counters.evictions[l], counters.promotions[l], counters.demotions[l], counters.bytesUp[l], counters.bytesDown[l],
                    tier == Tier.FILE ? counters.corruptSkipped.sum() : 0));
            }
            return new CacheStats(levelStats, counters.misses.sum() + counters.hits(), counters.hits(), counters.puts, counters.rejected,
                remote == null ? null : remote.stats());
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
            return levels.file == null || core.closed ? 0 : levels.file.stats().reclaimedRegions();
        }
        finally
        {
            lock.unlock();
        }
    }

    /**
     * Test hook: live (neither removed nor reclaimed) entries in the L3 file.
     *
     * @return the file store's live entries, 0 without L3.
     */
    long fileLiveEntries()
    {
        return levels.file == null ? 0 : levels.file.stats().liveEntries();
    }

    /**
     * Test hook: runs on a writer's thread each time it leaves the lock for a copy or an encoding.
     *
     * @param hook what to run, or null.
     */
    void outsideLockHook(final Runnable hook)
    {
        core.outsideLockHook = hook;
    }

    /**
     * Test hook: how many writers have left the lock in the middle of an operation now.
     *
     * @return writers outside the lock.
     */
    int writersOutside()
    {
        lock.lock();
        try
        {
            return core.writersOutside;
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
        if (levels.file == null)
        {
            action.run();
        }
        else
        {
            levels.file.runExclusively(action);
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
            for (int slot = 0; !core.closed && slot < index.capacity(); slot++)
            {
                if (index.state(slot) == IndexSlotDescriptor.STATE_LIVE && (index.flags(slot) & CacheRoom.FLAG_MOVING) != 0)
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


    /**
     * Stops the mover, writes L1 and L2 entries back to L3 when {@link Builder#persistOnClose} (so
     * the next open starts warm), and frees every native allocation. Host memory that an open view
     * ({@link EntryHandle#segment}) still reads is freed when the last such view's handle closes.
     * Idempotent.
     */
    @Override
    public void close()
    {
        if (remote != null)
        {
            remote.close(); // sends what is queued first, outside the lock: nothing here waits for it
        }
        lock.lock();
        try
        {
            if (core.closed)
            {
                return;
            }
            accessDrain.drainLocked();
            if (levels.file != null && config.persistOnClose)
            {
                placement.writeBack();
            }
            core.closed = true;
            // writers that left the lock for a copy come back, see the cache closed and give back
            // what they reserved; the stores must outlive them
            core.placed.signalAll();
            while (core.writersOutside > 0)
            {
                core.placed.awaitUninterruptibly();
            }
        }
        finally
        {
            lock.unlock();
        }
        Levels.closeQuietly(moverRunner);
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
            Levels.closeQuietly(levels.file);
            Levels.closeQuietly(levels.transfers);
            Levels.closeQuietly(levels.device);
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
            Levels.closeQuietly(levels.host);
            Levels.closeQuietly(levels.metaStore);
            index.close();
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
        /**
         * L3 size when a file is given without one: 4 GiB, or less where the profile's share of the
         * free disk ({@link HardwareProfile#recommendedFileBytes()}) is less. A library does not
         * take half of someone's disk unasked; a larger L3 is one setting away.
         */
        public static final long FILE_BYTES_DEFAULT = 4L << 30;

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
        RemoteSettings remote;
        dev.tiercache.remote.RemoteStore remoteStore;

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
            remote = settings.remote();
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
         * L3 in a file sized by the {@link #profile}: {@link #FILE_BYTES_DEFAULT}, or the profile's
         * share of the free disk where that is less.
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
         * Adds L4, a level shared with other caches on a remote server (Redis standalone or
         * Cluster with the {@code tiercache-redis} artifact): a local miss reads it before it is a
         * miss, a put is written behind to it. {@code null} for none (the default).
         *
         * @param settings where, the namespace, TTL, queue bound, timeout and write-behind triggers.
         * @return this.
         */
        public Builder remote(final RemoteSettings settings)
        {
            this.remote = settings;
            this.remoteStore = null;
            return this;
        }

        /**
         * L4 over a store the caller opened (another client, or a test's); the cache owns it from
         * then on and closes it.
         *
         * @param settings the namespace, TTL, queue and write-behind settings (the URI only names it).
         * @param store    an open store.
         * @return this.
         */
        public Builder remote(final RemoteSettings settings, final dev.tiercache.remote.RemoteStore store)
        {
            this.remote = java.util.Objects.requireNonNull(settings, "settings");
            this.remoteStore = java.util.Objects.requireNonNull(store, "store");
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
                fileBytes = Math.min(FILE_BYTES_DEFAULT, profile.recommendedFileBytes());
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
            checkAgainstMachine();
            return new TierCache(this);
        }

        /**
         * Native memory the index takes up front, whatever is stored: its slots (with the slack
         * for retired ones), its key table and the key/spec arena; about 460 bytes per entry.
         *
         * @return bytes.
         */
        long indexNativeBytes()
        {
            final long slotCount = Math.min(IndexSlotDescriptor.MAX_CAPACITY, maxEntries + Math.max(64L, maxEntries / 8L));
            final long tableCells = (long)Integer.highestOneBit((int)slotCount) << 2;
            return slotCount * IndexSlotDescriptor.SLOT_LENGTH + tableCells * 2 * Long.BYTES + metaBytes();
        }

        /**
         * Checks the sizes against this machine (not the profile's, which may describe another):
         * memory for the index and L2, disk for L3. Asking for more would end in an
         * {@link OutOfMemoryError}, the kernel's OOM killer or a full disk, long after the call
         * that asked.
         */
        private void checkAgainstMachine()
        {
            final long available = dev.tiercache.profile.MemoryInfo.detect().availableBytes();
            final long index = indexNativeBytes();
            check(index <= available, "maxEntries", maxEntries, "at most what the available memory holds: the index takes " +
                index + " bytes of native memory up front (" + index / maxEntries + " per entry), " + available +
                " bytes are available");
            check(hostBytes <= available - index, "hostBytes", hostBytes, "at most the " + (available - index) +
                " bytes of memory available (" + available + " available, less " + index + " for the index of maxEntries=" +
                maxEntries + ")");
            if (fileBytes > 0)
            {
                final java.nio.file.Path folder = filePath.toAbsolutePath().getParent();
                try
                {
                    final long free = dev.tiercache.libc.Libc.statvfs(folder).availableBytes();
                    final long existing = java.nio.file.Files.isRegularFile(filePath) ? java.nio.file.Files.size(filePath) : 0;
                    check(fileBytes <= free + existing, "fileBytes", fileBytes, "at most the " + (free + existing) +
                        " bytes free on " + folder + (existing > 0 ? " (with the " + existing + " bytes of the existing file)" : ""));
                }
                catch (final java.io.IOException ex)
                {
                    // an unreadable folder is reported by the file store, with the reason
                }
            }
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
