package dev.tiercache;

import dev.tiercache.config.SettingsKey;
import dev.tiercache.config.SettingsLoader;
import dev.tiercache.config.SettingsLoader.Setting;
import dev.tiercache.cuda.CudaException;
import dev.tiercache.index.EntryIndex;
import dev.tiercache.index.IndexSlotDescriptor;
import dev.tiercache.policy.EvictionPolicies;
import dev.tiercache.policy.LevelCapacity;
import dev.tiercache.profile.HardwareProfile;
import dev.tiercache.store.ArenaStore;
import dev.tiercache.store.Transfers;
import org.agrona.concurrent.AgentRunner;

import javax.management.InstanceAlreadyExistsException;
import javax.management.JMException;
import javax.management.ObjectName;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.management.ManagementFactory;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.ReentrantLock;

/**
 * A three-level cache for tensors and blobs: L1 GPU memory, L2 pinned host memory, L3 a
 * memory-mapped file. Built with {@link #builder()}.
 *
 * <h2>Placement</h2>
 * An entry's value is served from one level (plus the copy in flight during a move); an entry in
 * L1 or L2 may also keep its L3 record as a clean copy (read out of L3, or written by
 * {@link #flush()}), so its demotion needs no copy and a crash keeps it. A {@code put} lands in L2 (in L3 when it is larger than L2 may hold, or when L2's
 * admission policy keeps its residents instead). Each {@code get} counts an access; once an entry
 * in L3 has been read {@link Builder#promoteToHostAfter} times the mover reads it into L2, and once
 * an L2 entry reaches {@link Builder#promoteToDeviceAfter} accesses the mover copies it to L1, off
 * the caller's thread. A full level evicts by its policy: L1 victims move to L2, L2 victims to L3,
 * and L3 reclaims its oldest region whole, dropping what it held. The mover also demotes entries
 * idle for {@link Builder#demoteAfterIdle}, drops expired ones (optional TTL) and trims a
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

    private final TierCacheConfig config;
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
    /** The figures taken when the cache closed, answered by {@link #stats()} from then on. */
    private volatile CacheStats finalStats;
    private ObjectName mbeanName;

    /** The first guess at an L1/L2 entry's size, until the level holds entries whose mean it can use. */
    private static final long TYPICAL_ENTRY_BYTES = 64 * 1024;

    private static LevelCapacity levelCapacity(final ArenaStore store, final int maxEntries)
    {
        if (store == null)
        {
            // a level that is off holds nothing and its policy is never called: no sketch for maxEntries
            return LevelCapacity.ofEntries(1);
        }
        return store.capacity() < 1
            ? LevelCapacity.ofEntries(maxEntries)
            : LevelCapacity.ofBytes(store.capacity(), maxEntries, TYPICAL_ENTRY_BYTES);
    }

    private TierCache(final TierCacheConfig config, final dev.tiercache.remote.RemoteStore remoteStore)
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
                // L1 and L2 are bounded by bytes: their policies size themselves by the entries they hold (decision 0004)
                core.policies[Tier.DEVICE.ordinal()] = EvictionPolicies.create(config.devicePolicy, index, levelCapacity(levels.device, expected));
                core.policies[Tier.HOST.ordinal()] = EvictionPolicies.create(config.hostPolicy, index, levelCapacity(levels.host, expected));
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
                this.remote = config.remote == null ? null : RemoteLevel.open(name, config.remote, remoteStore);
                core.remote = remote;
                final Mover mover = new Mover(this, config.cleanupIntervalNanos);
                core.moverIdle = new MoverIdle(core, mover);
                this.moverRunner = new AgentRunner(core.moverIdle, this::onMoverError, null, mover);
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
        // a daemon: a cache someone forgot to close must not keep the JVM alive
        AgentRunner.startOnThread(moverRunner, runnable ->
        {
            final Thread thread = new Thread(runnable, "tiercache-mover");
            thread.setDaemon(true);
            return thread;
        });
        registerMBean();
    }

    /**
     * Starts a configuration.
     *
     * @return a builder with the documented defaults ({@link TierCacheConfig}).
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
        checkParts(parts);
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
        nonNull(bytes, "bytes");
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
        nonNull(key, "key");
        checkParts(parts);
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
        nonNull(key, "key");
        checkParts(parts);
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
     * Brings the keys that are not cached here from L4, pipelined (not one round trip each): what
     * a batch read does before it reads the batch. The keys go in round trips of about 16 MiB of
     * values each (sized by the largest value seen lately; a larger value travels alone), and each
     * round trip's entries are stored here before the next is sent, so a batch of large entries
     * never sits whole on the heap. Without L4, or while it is off, it brings nothing and every
     * key not cached here is absent.
     *
     * @param keys   the keys.
     * @param absent {@code null}, or an array of {@code keys.length} set true for each key that is
     *               neither cached here nor in L4 (a caller with a loader loads those without asking
     *               L4 again).
     * @return entries brought from L4.
     */
    public int fetchFromRemote(final long[] keys, final boolean[] absent)
    {
        nonNull(keys, "keys");
        checkOpen();
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
        final boolean[] found = new boolean[missing];
        final int[] brought = {0};
        if (remote != null && missing > 0)
        {
            // each round trip's entries are stored before the next is asked for: the heap holds one round trip's values
            remote.fetchAll(java.util.Arrays.copyOf(misses, missing), (m, parts) -> {
                found[m] = true;
                brought[0] += storeFetched(misses[m], EntryMetaDescriptor.KEY_KIND_LONG, RemoteLevel.longKeyBytes(misses[m]), parts) ? 1 : 0;
            });
        }
        if (absent != null)
        {
            for (int m = 0; m < missing; m++)
            {
                absent[at[m]] = !found[m];
            }
        }
        return brought[0];
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
        nonNull(max, "max");
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
        nonNull(handle, "handle");
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
        nonNull(key, "key");
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
        nonNull(key, "key");
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
        nonNull(destination, "destination");
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
     * reading from disk). Single-flight: threads that miss the same key while it loads wait for
     * that one load instead of loading it again. The lookup counts once in the statistics: a miss
     * when the entry had to be loaded (the read of the loaded entry is part of it), a hit
     * otherwise.
     *
     * @param key    the key.
     * @param loader makes the parts on a miss; may throw, and may return null (nothing to cache).
     * @return a lease, or {@code null} when the loader returned null.
     * @throws LoadException wrapping a checked exception the loader threw (for this thread or for
     *                       the thread whose load it waited for); unchecked ones pass unchanged.
     * @throws IllegalStateException when the loaded entry was evicted before it could be read.
     */
    public EntryHandle get(final long key, final Loader loader)
    {
        nonNull(loader, "loader");
        final EntryHandle cached = get(key);
        return cached != null ? cached : load(key, new LongFlight(key, loader));
    }

    /**
     * {@link #get(long, Loader)} for a String key: the same single flight, on the full key (two
     * keys whose hashes collide load separately, neither waiting for the other), the same
     * exceptions and one count per lookup.
     *
     * @param key    the key.
     * @param loader makes the parts on a miss; may throw, and may return null (nothing to cache).
     * @return a lease, or {@code null} when the loader returned null.
     * @throws LoadException as {@link #get(long, Loader)} does.
     * @throws IllegalStateException when the loaded entry was evicted before it could be read.
     */
    public EntryHandle get(final String key, final KeyLoader<String> loader)
    {
        nonNull(key, "key");
        nonNull(loader, "loader");
        final EntryHandle cached = get(key);
        return cached != null ? cached : load(key, new ObjectFlight<>(key, loader, "key=\"" + key + "\"", () -> get(key),
            parts -> put(key, parts)));
    }

    /**
     * {@link #get(long, Loader)} for a byte[] key: the same single flight, on the full key (two
     * keys whose hashes collide load separately, neither waiting for the other), the same
     * exceptions and one count per lookup.
     *
     * @param key    the key; the loader is given a copy, taken when the lookup starts.
     * @param loader makes the parts on a miss; may throw, and may return null (nothing to cache).
     * @return a lease, or {@code null} when the loader returned null.
     * @throws LoadException as {@link #get(long, Loader)} does.
     * @throws IllegalStateException when the loaded entry was evicted before it could be read.
     */
    public EntryHandle get(final byte[] key, final KeyLoader<byte[]> loader)
    {
        nonNull(key, "key");
        nonNull(loader, "loader");
        final byte[] own = key.clone(); // the single flight's key: a caller changing its array must not change it
        final EntryHandle cached = get(own);
        return cached != null ? cached : load(new BytesKey(own), new ObjectFlight<>(own.clone(), loader, "key=" + own.length + " bytes " +
            java.util.HexFormat.of().formatHex(own, 0, Math.min(own.length, 16)) + (own.length > 16 ? "..." : ""), () -> get(own),
            parts -> put(own, parts)));
    }

    /**
     * {@link #get(long, Loader)} for a key that {@link #fetchFromRemote} found in neither this
     * cache nor L4: the lookup is local only, so a batch's absent keys cost no second round trip
     * to L4 each; the load is the same single flight.
     *
     * @param key    the key.
     * @param loader makes the parts on a miss.
     * @return a lease, or {@code null} when the loader returned null.
     * @throws LoadException as {@link #get(long, Loader)} does.
     */
    public EntryHandle getLocalOrLoad(final long key, final Loader loader)
    {
        nonNull(loader, "loader");
        final EntryHandle handle = new EntryHandle();
        return reads.lookupInto(key, EntryMetaDescriptor.KEY_KIND_LONG, null, key, handle) ? handle : load(key, new LongFlight(key, loader));
    }

    /**
     * One key's load, whatever its kind: the single flight below is written once for all of them.
     */
    private interface Flight
    {
        /** Calls the loader: the parts, or {@code null} for nothing to cache. */
        Part[] load() throws Exception;

        /** Stores the loaded parts under the key. */
        void store(Part[] parts);

        /** Looks the key up (counted, as any get). */
        EntryHandle read();

        /** The key, for messages. */
        String describe();
    }

    private final class LongFlight implements Flight
    {
        private final long key;
        private final Loader loader;

        LongFlight(final long key, final Loader loader)
        {
            this.key = key;
            this.loader = loader;
        }

        @Override
        public Part[] load() throws Exception
        {
            return loader.load(key);
        }

        @Override
        public void store(final Part[] parts)
        {
            put(key, parts);
        }

        @Override
        public EntryHandle read()
        {
            return get(key);
        }

        @Override
        public String describe()
        {
            return "key=" + key;
        }
    }

    private static final class ObjectFlight<K> implements Flight
    {
        private final K key;
        private final KeyLoader<K> loader;
        private final String described;
        private final java.util.function.Supplier<EntryHandle> read;
        private final java.util.function.Consumer<Part[]> store;

        ObjectFlight(final K key, final KeyLoader<K> loader, final String described, final java.util.function.Supplier<EntryHandle> read,
            final java.util.function.Consumer<Part[]> store)
        {
            this.key = key;
            this.loader = loader;
            this.described = described;
            this.read = read;
            this.store = store;
        }

        @Override
        public Part[] load() throws Exception
        {
            return loader.load(key);
        }

        @Override
        public void store(final Part[] parts)
        {
            store.accept(parts);
        }

        @Override
        public EntryHandle read()
        {
            return read.get();
        }

        @Override
        public String describe()
        {
            return described;
        }
    }

    /**
     * A byte[] key in the map of loads in flight: equal by content, and never equal to a String
     * or a {@code long} key with the same bytes (the index keeps the key's kind too).
     */
    private record BytesKey(byte[] bytes)
    {
        @Override
        public boolean equals(final Object other)
        {
            return other instanceof BytesKey that && java.util.Arrays.equals(bytes, that.bytes);
        }

        @Override
        public int hashCode()
        {
            return java.util.Arrays.hashCode(bytes);
        }

        @Override
        public String toString()
        {
            return "BytesKey[" + bytes.length + " bytes]";
        }
    }

    /**
     * The single-flight load of a key that missed (the miss is already counted).
     *
     * @param flightKey the full key, as the map of loads in flight compares it: a {@link Long}, a
     *                  {@link String} or a {@link BytesKey}, never a hash.
     */
    private EntryHandle load(final Object flightKey, final Flight flight)
    {
        while (true)
        {
            final CompletableFuture<Boolean> mine = new CompletableFuture<>();
            final CompletableFuture<Boolean> running = loads.putIfAbsent(flightKey, mine);
            if (running != null)
            {
                final boolean stored;
                try
                {
                    stored = running.join();
                }
                catch (final java.util.concurrent.CompletionException ex)
                {
                    throw rethrown(flight.describe(), ex.getCause());
                }
                if (!stored)
                {
                    return null;
                }
                final EntryHandle loaded = readLoaded(flight);
                if (loaded != null)
                {
                    return loaded;
                }
                continue; // evicted (or removed) since that load: load it here
            }
            try
            {
                final Part[] parts = flight.load();
                if (parts != null)
                {
                    flight.store(parts);
                }
                mine.complete(parts != null);
                if (parts == null)
                {
                    return null;
                }
            }
            catch (final Throwable ex)
            {
                mine.completeExceptionally(ex);
                throw rethrown(flight.describe(), ex);
            }
            finally
            {
                loads.remove(flightKey, mine);
            }
            final EntryHandle loaded = readLoaded(flight);
            if (loaded == null)
            {
                throw new IllegalStateException(flight.describe() + " was evicted between its load and its read; the cache is too small for it");
            }
            return loaded;
        }
    }

    /** Loads in flight, by full key ({@link #load(Object, Flight)}), for the single flight of the loader gets. */
    private final java.util.concurrent.ConcurrentHashMap<Object, CompletableFuture<Boolean>> loads = new java.util.concurrent.ConcurrentHashMap<>();

    /** The read that follows a load: part of the lookup that missed, so it is not counted again. */
    private EntryHandle readLoaded(final Flight flight)
    {
        final EntryHandle loaded = flight.read();
        if (loaded != null)
        {
            counters.levelHits[loaded.tier().ordinal()].decrement();
        }
        else
        {
            counters.misses.decrement();
        }
        return loaded;
    }

    private static RuntimeException rethrown(final String key, final Throwable thrown)
    {
        if (thrown instanceof RuntimeException unchecked)
        {
            return unchecked;
        }
        if (thrown instanceof Error error)
        {
            throw error;
        }
        return new LoadException(key + ": the loader failed: " + thrown, thrown);
    }

    /**
     * A loader of {@link #get(long, Loader)}, {@link #get(String, KeyLoader)} or
     * {@link #get(byte[], KeyLoader)} threw a checked exception; it is the cause.
     */
    public static final class LoadException extends RuntimeException
    {
        private static final long serialVersionUID = 1L;

        LoadException(final String message, final Throwable cause)
        {
            super(message, cause);
        }
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
        return promoteToHost(key, false);
    }

    /**
     * Like {@link #promoteToHost(long)}, for a caller that knows the order of the reads to come (an
     * epoch plan): with {@code planned}, an L2 past its high-water mark makes room by evicting its
     * policy's victim without asking the policy whether the entry may take its place. The caller
     * is expected to have demoted ({@link #demote}) what it needs last, so this is its fallback.
     *
     * @param key     the key.
     * @param planned whether the promotion skips L2's admission.
     * @return the level the entry is in afterwards, or {@code null} when it is not cached.
     */
    public Tier promoteToHost(final long key, final boolean planned)
    {
        return moveByKey(key, slot ->
        {
            if (slots.levelOf(slot) == Tier.FILE && (index.flags(slot) & CacheRoom.FLAG_MOVING) == 0)
            {
                moves.promoteFileToHostLocked(slot, planned);
            }
        });
    }

    /**
     * Runs a move on a {@code long} key's slot under the lock.
     *
     * @return the level the entry is in afterwards, or {@code null} when it is not cached.
     */
    private Tier moveByKey(final long key, final java.util.function.IntConsumer move)
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
            move.accept(slot);
            final int now = slots.findKey(key, EntryMetaDescriptor.KEY_KIND_LONG, null, key);
            return now == EntryIndex.NOT_FOUND ? null : slots.levelOf(now);
        }
        finally
        {
            lock.unlock();
        }
    }

    /**
     * Moves an entry one level down now (L1 to L2, L2 to L3; a clean entry goes down without a
     * copy), for a caller that knows it is the one needed last. An entry under a lease or a move,
     * or already in L3, stays where it is.
     *
     * @param key the key.
     * @return the level the entry is in afterwards, or {@code null} when it is not cached.
     */
    public Tier demote(final long key)
    {
        return moveByKey(key, slot ->
        {
            if (slots.levelOf(slot) != Tier.FILE && placement.isEvictable(slot))
            {
                counters.evictions[slots.levelOf(slot).ordinal()]++;
                placement.demote(slot);
            }
        });
    }

    /**
     * Where an entry is, without counting an access.
     *
     * @param key the key.
     * @return its level, or {@code null} when it is not cached.
     */
    public Tier tierOf(final long key)
    {
        lock.lock();
        try
        {
            checkOpen();
            final int slot = slots.findKey(key, EntryMetaDescriptor.KEY_KIND_LONG, null, key);
            return slot == EntryIndex.NOT_FOUND ? null : slots.levelOf(slot);
        }
        finally
        {
            lock.unlock();
        }
    }

    /**
     * Bytes one level holds now, as {@link #stats()} reports them ({@link LevelStats#usedBytes()}),
     * without building the whole snapshot: for a caller that checks a level's room before every
     * move it makes (an epoch plan).
     *
     * @param tier the level.
     * @return bytes used; 0 for a level that is off.
     */
    public long usedBytes(final Tier tier)
    {
        nonNull(tier, "tier");
        if (tier == Tier.FILE)
        {
            return stats().level(Tier.FILE).usedBytes();
        }
        lock.lock();
        try
        {
            return core.closed ? 0 : slots.used(tier);
        }
        finally
        {
            lock.unlock();
        }
    }

    /**
     * Asks the kernel to start reading an L3 entry's pages from the disk now, for a caller that
     * knows the entry will be read soon (an epoch plan reading ahead of its window): the promotion
     * or read that follows then copies from memory. A no-op for an entry that is not in L3.
     *
     * @param key the key.
     * @return true when the advice was given.
     */
    public boolean adviseWillNeed(final long key)
    {
        final long location;
        lock.lock();
        try
        {
            checkOpen();
            final int slot = slots.findKey(key, EntryMetaDescriptor.KEY_KIND_LONG, null, key);
            if (slot == EntryIndex.NOT_FOUND || slots.levelOf(slot) != Tier.FILE || levels.file == null)
            {
                return false;
            }
            location = index.location(slot);
        }
        finally
        {
            lock.unlock();
        }
        // given with the cache's lock released: the store checks the record under its own lock, so a
        // record removed or reclaimed since the look-up is refused (and advice is only a hint)
        return levels.file.adviseWillNeed(location) == 0;
    }

    /**
     * An entry's size (its parts back to back, as {@link EntryHandle#byteSize()}), without
     * counting an access.
     *
     * @param key the key.
     * @return bytes, or {@link #MISS} when it is not cached.
     */
    public long byteSize(final long key)
    {
        lock.lock();
        try
        {
            checkOpen();
            final int slot = slots.findKey(key, EntryMetaDescriptor.KEY_KIND_LONG, null, key);
            return slot == EntryIndex.NOT_FOUND ? MISS : index.rawLength(slot);
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
        nonNull(key, "key");
        final MemorySegment keyBytes = MemorySegment.ofArray(key.getBytes(StandardCharsets.UTF_8));
        return containsKey(KeyHashing.hash(keyBytes), EntryMetaDescriptor.KEY_KIND_STRING, keyBytes, 0);
    }

    /**
     * Whether a byte[] key is cached and not expired.
     *
     * @param key the key.
     * @return true when present.
     */
    public boolean contains(final byte[] key)
    {
        nonNull(key, "key");
        final MemorySegment keyBytes = MemorySegment.ofArray(key);
        return containsKey(KeyHashing.hash(keyBytes), EntryMetaDescriptor.KEY_KIND_BYTES, keyBytes, 0);
    }

    /** A null check for the hit path: no capturing lambda, so nothing is allocated when the value is there. */
    private static <T> T nonNull(final T value, final String parameter)
    {
        if (value == null)
        {
            throw new NullPointerException(parameter + " is null");
        }
        return value;
    }

    private static void checkParts(final Part[] parts)
    {
        nonNull(parts, "parts");
        for (int i = 0; i < parts.length; i++)
        {
            if (parts[i] == null)
            {
                throw new NullPointerException("parts[" + i + "] is null");
            }
        }
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
        nonNull(key, "key");
        final MemorySegment keyBytes = MemorySegment.ofArray(key.getBytes(StandardCharsets.UTF_8));
        return removeKey(KeyHashing.hash(keyBytes), EntryMetaDescriptor.KEY_KIND_STRING, keyBytes, 0);
    }

    /**
     * Removes a byte[] key's entry.
     *
     * @param key the key.
     * @return true when it was present.
     */
    public boolean remove(final byte[] key)
    {
        nonNull(key, "key");
        final MemorySegment keyBytes = MemorySegment.ofArray(key);
        return removeKey(KeyHashing.hash(keyBytes), EntryMetaDescriptor.KEY_KIND_BYTES, keyBytes, 0);
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
     * Makes every entry put before this call durable: each L1 and L2 entry whose value is not in
     * L3 yet is written there (an entry read out of L3 keeps its L3 copy, so it needs nothing), and
     * the file is forced to the disk. After it returns, a kill -9 or a power loss keeps every
     * entry put before it, and no removed or replaced key comes back with an older value. Puts and
     * moves wait while it runs; reads do not.
     *
     * @return entries written to L3 by this call.
     * @throws IllegalStateException when the cache has no L3, or when some entries could not be
     *                               made durable (L3 full of newer entries, larger than L3 takes,
     *                               a failed device copy): the others are, and the message says
     *                               how many and how many bytes were left out.
     */
    public int flush()
    {
        lock.lock();
        try
        {
            checkOpen();
            if (levels.file == null)
            {
                throw new IllegalStateException("TierCache " + name + " has no L3 to flush to: " + levels.fileOffReason);
            }
            accessDrain.drainLocked();
            final Placement.WriteBackResult result = placement.writeBack();
            if (result.notWritten() > 0 || result.firstError() != null)
            {
                throw new IllegalStateException("TierCache " + name + ": flush wrote " + result.written() + " entries, but " + result.describe(),
                    result.firstError());
            }
            return result.written();
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
        return levels.device != null && !core.closed;
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

    /**
     * Copies an L1 hit's bytes out for its handle. A CUDA failure becomes an
     * {@link IllegalStateException} naming the key and the error; one whose copy may still be
     * running says so (the device may yet write the destination), and its bounce buffer is never
     * freed.
     */
    void copyFromDevice(final long deviceAddress, final MemorySegment destination, final EntryHandle handle)
    {
        final long offset = deviceAddress - levels.device.deviceAddress(0);
        final Arena arena = destination.isNative() ? null : Arena.ofConfined();
        boolean inFlight = false;
        try
        {
            if (arena == null)
            {
                levels.transfers.deviceToHost(levels.device, offset, destination);
                return;
            }
            final MemorySegment bounce = arena.allocate(destination.byteSize());
            levels.transfers.deviceToHost(levels.device, offset, bounce);
            MemorySegment.copy(bounce, 0, destination, 0, destination.byteSize());
        }
        catch (final Transfers.CopyInFlightException ex)
        {
            inFlight = true;
            levels.transfers.quarantined(destination.byteSize());
            throw new IllegalStateException(handle.describeKey() + ": copy out of L1 failed and may still be running" +
                (arena == null ? ", the destination may still be written" : "") + ": " + ex.getMessage(), ex);
        }
        catch (final CudaException ex)
        {
            throw new IllegalStateException(handle.describeKey() + ": copy out of L1 failed: " + ex.getMessage(), ex);
        }
        finally
        {
            if (arena != null && !inFlight)
            {
                arena.close();
            }
        }
    }

    private void onMoverError(final Throwable throwable)
    {
        LOG.log(System.Logger.Level.ERROR, "tiercache " + name + ": mover failed", throwable);
    }


    /**
     * The configuration this cache was built from, with the source of each value.
     *
     * @return the configuration.
     */
    public TierCacheConfig config()
    {
        return config;
    }

    /**
     * A snapshot of every figure: the placement figures (entries, usage, moves) are consistent
     * with each other; the access counters are each exact at some moment during the call.
     *
     * @return the statistics.
     */
    public CacheStats stats()
    {
        final CacheStats last = finalStats;
        if (last != null)
        {
            return last;
        }
        lock.lock();
        try
        {
            return statsLocked();
        }
        finally
        {
            lock.unlock();
        }
    }

    private CacheStats statsLocked()
    {
        final List<LevelStats> levelStats = new ArrayList<>(CacheCounters.LEVELS);
        final dev.tiercache.store.FileStoreStats fileStats = levels.file == null || core.closed ? null : levels.file.stats();
        final String fileFailure = levels.file == null ? null : levels.file.failure();
        for (final Tier tier : Tier.values())
        {
            final int l = tier.ordinal();
            final boolean enabled = tier == Tier.HOST || (tier == Tier.DEVICE ? levels.device != null : levels.file != null && fileFailure == null);
            final long capacity = switch (tier)
            {
                case DEVICE -> levels.device == null ? 0 : levels.device.capacity();
                case HOST -> levels.host.capacity();
                case FILE -> levels.file == null ? 0 : levels.file.capacityBytes();
            };
            final String reason = enabled ? null : switch (tier)
            {
                case DEVICE -> levels.deviceOffReason;
                case HOST -> null;
                case FILE -> fileFailure != null ? "failed: " + fileFailure : levels.fileOffReason;
            };
            final long used = core.closed ? 0 : tier == Tier.FILE ? (fileStats == null ? 0 : fileStats.liveStoredBytes()) : slots.used(tier);
            final long dead = tier == Tier.FILE && fileStats != null ? Math.max(0, fileStats.usedBytes() - fileStats.liveStoredBytes()) : 0;
            levelStats.add(new LevelStats(tier, enabled, reason, capacity, used, core.closed ? 0 : counters.levelEntries[l], counters.levelAccesses(l),
                counters.levelHits[l].sum(), counters.evictions[l], counters.promotions[l], counters.demotions[l], counters.bytesUp[l],
                counters.bytesDown[l], tier == Tier.FILE ? counters.corruptSkipped.sum() : 0, dead));
        }
        return new CacheStats(levelStats, counters.misses.sum() + counters.hits(), counters.hits(), counters.puts, counters.rejected,
            remote == null ? null : remote.stats());
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
     * Bytes kept out of use because a failed device copy could not be drained and may still write
     * into them (freed with their store at close).
     *
     * @return quarantined bytes, 0 without a GPU level.
     */
    long quarantinedBytes()
    {
        return levels.transfers.quarantinedBytes();
    }

    /**
     * Test hook: how often the mover parked since open.
     *
     * @return parks.
     */
    long moverParks()
    {
        return core.moverIdle.parks();
    }

    /**
     * What the cache's bookkeeping holds in native memory, for the footprint report: {index slots
     * and key table in use, meta arena reserved, meta arena used, index address space reserved,
     * slot extension in use (part of the first)}.
     *
     * @return bytes.
     */
    long[] bookkeepingBytes()
    {
        lock.lock();
        try
        {
            return new long[] {
                index.nativeBytes(), levels.metaStore.capacity(), levels.metaStore.usedBytes(), index.reservedBytes(), index.extensionBytes()};
        }
        finally
        {
            lock.unlock();
        }
    }

    /**
     * Test and measurement hook: the heap the policies and buffers hold, by structure, counted from
     * their arrays' lengths ({@link HeapAccount}); {@link #bookkeepingBytes()} gives the native side.
     *
     * @return bytes by structure, in a stable order.
     */
    Map<String, Long> heapBytes()
    {
        lock.lock();
        try
        {
            return HeapAccount.of(core, accessDrain);
        }
        finally
        {
            lock.unlock();
        }
    }

    /**
     * Test hook: checks every level's books against the entries present. Each live or retired
     * slot owns one block of its level (L1, L2) and, in L3, one live file entry; it owns its meta
     * record, or holds one count of a shared one (whose count must be its slots');
     * the per-level entry counters count the live slots. Open handles on L3 hits hold L2 staging
     * blocks and moves in flight hold their targets, so call it with no handle open and the cache
     * quiet.
     *
     * @return an empty string when the books agree, else what differs.
     */
    String accountingMismatch()
    {
        lock.lock();
        try
        {
            if (core.closed)
            {
                return "";
            }
            accessDrain.drainLocked();
            slots.reclaimRetired();
            final long[] blocks = new long[Tier.values().length];
            final long[] bytes = new long[blocks.length];
            final long[] live = new long[blocks.length];
            final Map<Long, Integer> recordSlots = new HashMap<>();
            long sharedRefs = 0;
            for (int slot = 0; slot < index.capacity(); slot++)
            {
                final byte state = index.state(slot);
                if (state != IndexSlotDescriptor.STATE_LIVE && state != IndexSlotDescriptor.STATE_RETIRED)
                {
                    continue;
                }
                final Tier tier = Tier.values()[index.level(slot)];
                recordSlots.merge(index.meta(slot), 1, Integer::sum);
                sharedRefs += MetaRecords.isShared(index.keyKind(slot)) ? 1 : 0;
                live[tier.ordinal()] += state == IndexSlotDescriptor.STATE_LIVE ? 1 : 0;
                if (tier == Tier.FILE)
                {
                    blocks[tier.ordinal()] += (index.flags(slot) & CacheRoom.FLAG_FILE_GONE) == 0 ? 1 : 0;
                }
                else
                {
                    // an L1/L2 entry's L3 record (a clean copy, or an older value kept) is live in the file
                    blocks[Tier.FILE.ordinal()] += index.backingLocation(slot) != IndexSlotDescriptor.NO_BACKING ? 1 : 0;
                    blocks[tier.ordinal()]++;
                    bytes[tier.ordinal()] += (tier == Tier.DEVICE ? levels.device : levels.host).blockSize(index.location(slot));
                }
            }
            final StringBuilder differs = new StringBuilder();
            if (levels.device != null)
            {
                final long[] kept = levels.transfers.quarantinedIn(levels.device);
                books(differs, "L1 blocks", blocks[0] + kept[0], levels.device.liveBlocks());
                books(differs, "L1 bytes", bytes[0] + kept[1], levels.device.usedBytes());
            }
            final long[] kept = levels.transfers.quarantinedIn(levels.host);
            books(differs, "L2 blocks", blocks[1] + kept[0], levels.host.liveBlocks());
            books(differs, "L2 bytes", bytes[1] + kept[1], levels.host.usedBytes());
            if (levels.file != null)
            {
                books(differs, "L3 live file entries", blocks[2], levels.file.stats().liveEntries());
            }
            books(differs, "meta records", recordSlots.size(), levels.metaStore.liveBlocks());
            books(differs, "counts on shared meta records", sharedRefs, core.metas.sharedRefs());
            for (final Map.Entry<Long, Integer> record : recordSlots.entrySet())
            {
                final boolean shared = MetaRecords.isShared(EntryMetaDescriptor.keyKind(core.metas.record(record.getKey())));
                books(differs, "slots on the meta record at " + record.getKey(), record.getValue(),
                    shared ? core.metas.shareCount(record.getKey()) : 1);
            }
            for (final Tier tier : Tier.values())
            {
                books(differs, tier.label() + " entry counter", live[tier.ordinal()], counters.levelEntries[tier.ordinal()]);
            }
            return differs.toString();
        }
        finally
        {
            lock.unlock();
        }
    }

    /**
     * Test hook: the meta records in the arena, {records, shared records, counts on shared records}.
     *
     * @return the three counts.
     */
    long[] metaRecordCounts()
    {
        lock.lock();
        try
        {
            slots.reclaimRetired();
            return new long[] {levels.metaStore.liveBlocks(), core.metas.sharedRecords(), core.metas.sharedRefs()};
        }
        finally
        {
            lock.unlock();
        }
    }

    /**
     * The key hash of a slot an armed handle holds pinned: a {@code long} key itself.
     */
    long keyHashOf(final int slot)
    {
        return index.keyHash(slot);
    }

    private static void books(final StringBuilder differs, final String what, final long fromSlots, final long fromStore)
    {
        if (fromSlots != fromStore)
        {
            differs.append(what).append(": slots say ").append(fromSlots).append(", the store says ").append(fromStore).append("; ");
        }
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
            // a second cache of the same name gets "name-2" (and so on) rather than no statistics
            for (int attempt = 1; ; attempt++)
            {
                final String exported = attempt == 1 ? name : name + "-" + attempt;
                mbeanName = new ObjectName("dev.tiercache:type=TierCache,name=" + ObjectName.quote(exported));
                try
                {
                    ManagementFactory.getPlatformMBeanServer().registerMBean(
                        new javax.management.StandardMBean(new TierCacheStatsMXBean(this), TierCacheMXBean.class, true), mbeanName);
                    if (attempt > 1)
                    {
                        LOG.log(System.Logger.Level.WARNING, "tiercache " + name + ": an MBean of that name exists; statistics exported as " +
                            mbeanName);
                    }
                    break;
                }
                catch (final InstanceAlreadyExistsException ex)
                {
                    if (attempt == 1000)
                    {
                        throw ex;
                    }
                }
            }
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
     *
     * <p>Closing always completes: whatever fails on the way (a device copy during write-back, the
     * file's final force) is logged and counted, everything is still stopped and freed, the file's
     * lock released, and only then is the first failure thrown, as an {@link IllegalStateException}
     * saying how many entries (and bytes) could not be written back.
     *
     * <p>After close, every operation on entries throws {@link IllegalStateException} naming the
     * cache; {@link #size()} is 0, {@link #hasDevice()} false, {@link #stats()} the run's counters
     * as they were when it closed with nothing held (no entries, no bytes used), and
     * {@link #name()} the name.
     */
    @Override
    public void close()
    {
        if (remote != null)
        {
            remote.close(); // sends what is queued first, outside the lock: nothing here waits for it
        }
        RuntimeException failure = null;
        lock.lock();
        try
        {
            if (core.closed)
            {
                return;
            }
            try
            {
                accessDrain.drainLocked();
                if (levels.file != null && config.persistOnClose)
                {
                    final Placement.WriteBackResult writeBack = placement.writeBack();
                    if (writeBack.notWritten() > 0 || writeBack.firstError() != null)
                    {
                        failure = new IllegalStateException("TierCache " + name + " closed, but " + writeBack.describe(),
                            writeBack.firstError());
                    }
                }
            }
            catch (final RuntimeException ex)
            {
                failure = failure == null ? ex : failure;
            }
            finally
            {
                core.closed = true;
            }
            // the run's counters stay readable; what it held is gone with it
            finalStats = statsLocked();
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
            if (levels.file != null)
            {
                try
                {
                    // the mover has stopped: what is still retired is held by open handles
                    slots.removeRecordsOfRetired();
                }
                catch (final RuntimeException ex)
                {
                    failure = failure == null ? ex : failure;
                }
            }
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
        if (failure != null)
        {
            throw failure;
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
         * @return its parts, or null when there is nothing to cache for it.
         * @throws Exception whatever reading the source throws; {@link TierCache#get(long, Loader)}
         *                   passes unchecked ones on and wraps checked ones in a
         *                   {@link LoadException}.
         */
        Part[] load(long key) throws Exception;
    }

    /**
     * Makes an entry's parts on a miss of a String or byte[] key.
     *
     * @param <K> {@link String} or {@code byte[]}.
     */
    @FunctionalInterface
    public interface KeyLoader<K>
    {
        /**
         * Loads the parts of a key.
         *
         * @param key the key that missed.
         * @return its parts, or null when there is nothing to cache for it.
         * @throws Exception whatever reading the source throws; passed on as
         *                   {@link TierCache#get(long, Loader)} passes a {@link Loader}'s.
         */
        Part[] load(K key) throws Exception;
    }

    /**
     * Collects a configuration and opens a cache. Setters only record a value; {@link #config()}
     * (and so {@link #build()}) concludes the configuration once: it stacks the sources (this
     * builder over the {@link #environment environment} over the {@link #settingsFile file}),
     * fills the rest from the {@link #profile profile} and the defaults of
     * {@link TierCacheConfig}, and validates everything, naming the bad key, its value, what is
     * allowed and where it came from. Sizes are bytes, durations {@link Duration}s: a duration a
     * setting cannot mean (negative; zero where zero does not turn it off; above zero and below
     * 1 ms, which at these time scales is a mistaken unit) is refused there with a
     * {@link SettingsException}, an {@link IllegalArgumentException} naming the key, the value and
     * the setter ({@code builder ttl}).
     */
    public static final class Builder
    {
        private final EnumMap<SettingsKey, Setting> explicit = new EnumMap<>(SettingsKey.class);
        private java.nio.file.Path settingsFile;
        private Map<String, String> environment;
        private HardwareProfile profile;
        /** A store the caller opened for L4 ({@link #remote(RemoteSettings, dev.tiercache.remote.RemoteStore)}), or {@code null}. */
        private dev.tiercache.remote.RemoteStore remoteStore;

        Builder()
        {
        }

        private Builder put(final SettingsKey key, final Object value, final String method)
        {
            explicit.put(key, new Setting(value, String.valueOf(value), "builder " + method));
            return this;
        }

        private static <T> T named(final T value, final String parameter)
        {
            return Objects.requireNonNull(value, () -> parameter + " is null");
        }

        /**
         * The name used for JMX and logs.
         *
         * @param name a name; by default the cache names itself {@code tiercache-N}.
         * @return this.
         */
        public Builder name(final String name)
        {
            return put(SettingsKey.NAME, named(name, "name"), "name");
        }

        /**
         * Sizes the levels from a machine's profile ({@link HardwareProfile#detect()} or a preset):
         * L1, L2 and (with a file) L3, and the largest entry of each level. Sizes set by any other
         * source win over the profile's.
         *
         * @param profile the machine, or {@code null} for the fixed defaults (the default).
         * @return this.
         */
        public Builder profile(final HardwareProfile profile)
        {
            this.profile = profile;
            return this;
        }

        /**
         * Reads settings from a TOML file (keys in {@link TierCacheConfig}); the environment and
         * this builder's own setters win over it.
         *
         * @param toml the file, or {@code null} for none (the default).
         * @return this.
         */
        public Builder settingsFile(final java.nio.file.Path toml)
        {
            this.settingsFile = toml;
            return this;
        }

        /**
         * Reads the {@code CACHE_*} variables of an environment, e.g. {@code System.getenv()};
         * this builder's own setters win over them, and they win over the file.
         *
         * @param variables the variables, or {@code null} for none (the default).
         * @return this.
         */
        public Builder environment(final Map<String, String> variables)
        {
            this.environment = variables == null ? null : Map.copyOf(variables);
            return this;
        }

        /**
         * Sets any key from its text, as a file would.
         *
         * @param key   a key's name or alias, e.g. {@code cache.memory.max_items}.
         * @param value its text, e.g. {@code "1000"} or {@code "4GB"}.
         * @return this.
         * @throws SettingsException for an unknown key or a value of the wrong form.
         */
        public Builder set(final String key, final String value)
        {
            named(key, "key");
            named(value, "value");
            final String source = "builder set";
            final SettingsKey known = SettingsKey.byName(key);
            if (known == null)
            {
                final String closest = SettingsKey.closest(key);
                throw new SettingsException(key, value, "unknown key" + (closest == null ? "" : "; did you mean " + closest + "?") +
                    " Known keys: " + TierCacheConfig.keys(), source);
            }
            explicit.put(known, new Setting(SettingsLoader.parse(known, key, value, value, source), value, source));
            return this;
        }

        /**
         * Whether to use a GPU level at all (off anyway when no runtime is usable).
         *
         * @param useGpu false to keep L1 off; default true.
         * @return this.
         */
        public Builder useGpu(final boolean useGpu)
        {
            return put(SettingsKey.DEVICE_ENABLED, useGpu, "useGpu");
        }

        /**
         * Which GPU holds L1.
         *
         * @param ordinal device ordinal, at least 0; default 0.
         * @return this.
         */
        public Builder deviceOrdinal(final int ordinal)
        {
            return put(SettingsKey.DEVICE_ORDINAL, (long)ordinal, "deviceOrdinal");
        }

        /**
         * L1 size (capped by free device memory minus headroom, and by the VRAM limit).
         *
         * @param bytes at least 0; 0 turns L1 off; default {@link TierCacheConfig#DEVICE_BYTES_DEFAULT} or the profile's.
         * @return this.
         */
        public Builder deviceBytes(final long bytes)
        {
            return put(SettingsKey.DEVICE_SIZE, bytes, "deviceBytes");
        }

        /**
         * Share of the device's total memory L1 never takes.
         *
         * @param fraction in [0, 1); default 0.25.
         * @return this.
         */
        public Builder deviceHeadroom(final double fraction)
        {
            return put(SettingsKey.HEADROOM, fraction, "deviceHeadroom");
        }

        /**
         * Hard cap on L1, never crossed.
         *
         * @param bytes at least 0; 0 for none (the default).
         * @return this.
         */
        public Builder vramLimitBytes(final long bytes)
        {
            return put(SettingsKey.VRAM_LIMIT, bytes, "vramLimitBytes");
        }

        /**
         * L2 size.
         *
         * @param bytes more than 0; default {@link TierCacheConfig#HOST_BYTES_DEFAULT} or the profile's.
         * @return this.
         */
        public Builder hostBytes(final long bytes)
        {
            return put(SettingsKey.HOST_SIZE, bytes, "hostBytes");
        }

        /**
         * L3: the file and its size; an existing file is reopened and its entries recovered.
         *
         * @param path  the file, or a directory for {@code tiercache.l3} inside it; {@code null} only
         *              with 0 bytes, for no L3 whatever a file or the environment says.
         * @param bytes its size, at least one region; 0 turns L3 off.
         * @return this.
         */
        public Builder file(final java.nio.file.Path path, final long bytes)
        {
            if (path == null && bytes == 0)
            {
                explicit.remove(SettingsKey.FILE_PATH);
                return put(SettingsKey.FILE_SIZE, 0L, "file");
            }
            put(SettingsKey.FILE_PATH, named(path, "path"), "file");
            return put(SettingsKey.FILE_SIZE, bytes, "file");
        }

        /**
         * L3 in a file of the default size: {@link TierCacheConfig#FILE_BYTES_DEFAULT}, or the
         * profile's share of the free disk where that is less.
         *
         * @param path the file, or a directory for {@code tiercache.l3} inside it.
         * @return this.
         */
        public Builder file(final java.nio.file.Path path)
        {
            explicit.remove(SettingsKey.FILE_SIZE);
            return put(SettingsKey.FILE_PATH, named(path, "path"), "file");
        }

        /**
         * Size of an L3 region (the unit of reclaim).
         *
         * @param bytes a multiple of 4096 in [8 KiB, 1 GiB]; default 64 MiB.
         * @return this.
         */
        public Builder fileRegionBytes(final long bytes)
        {
            return put(SettingsKey.FILE_REGION_SIZE, bytes, "fileRegionBytes");
        }

        /**
         * Whether L3 stores LZ4 where it saves space.
         *
         * @param on default true.
         * @return this.
         */
        public Builder compression(final boolean on)
        {
            return put(SettingsKey.COMPRESSION, on, "compression");
        }

        /**
         * Least saving for LZ4 to be stored instead of raw bytes.
         *
         * @param fraction in [0, 1); default 0.05.
         * @return this.
         */
        public Builder minCompressionSavings(final double fraction)
        {
            return put(SettingsKey.MIN_COMPRESSION_SAVINGS, fraction, "minCompressionSavings");
        }

        /**
         * Eviction policy of L1 ({@code default}, {@code lru}, {@code fifo}, {@code wtinylfu}).
         *
         * @param policy a name from {@link EvictionPolicies#names()}.
         * @return this.
         */
        public Builder devicePolicy(final String policy)
        {
            return put(SettingsKey.DEVICE_POLICY, named(policy, "policy"), "devicePolicy");
        }

        /**
         * Eviction policy of L2.
         *
         * @param policy a name from {@link EvictionPolicies#names()}.
         * @return this.
         */
        public Builder hostPolicy(final String policy)
        {
            return put(SettingsKey.HOST_POLICY, named(policy, "policy"), "hostPolicy");
        }

        /**
         * Accesses after which an entry is copied to L1 (also read as {@code cache_hit_threshold}).
         *
         * @param accesses at least 1; default 4.
         * @return this.
         */
        public Builder promoteToDeviceAfter(final int accesses)
        {
            return put(SettingsKey.DEVICE_PROMOTION_THRESHOLD, (long)accesses, "promoteToDeviceAfter");
        }

        /**
         * Alias of {@link #promoteToDeviceAfter}.
         *
         * @param accesses at least 1; default 4.
         * @return this.
         */
        public Builder cacheHitThreshold(final int accesses)
        {
            return put(SettingsKey.DEVICE_PROMOTION_THRESHOLD, (long)accesses, "cacheHitThreshold");
        }

        /**
         * Accesses after which an L3 entry is read into L2.
         *
         * @param accesses at least 1; default 2.
         * @return this.
         */
        public Builder promoteToHostAfter(final int accesses)
        {
            return put(SettingsKey.HOST_PROMOTION_THRESHOLD, (long)accesses, "promoteToHostAfter");
        }

        /**
         * Idle time after which the mover demotes an entry one level.
         *
         * @param idle {@link Duration#ZERO} never; else at least 1 ms (less is taken for a mistaken
         *             unit and refused); default 600 s.
         * @return this.
         */
        public Builder demoteAfterIdle(final Duration idle)
        {
            return put(SettingsKey.IDLE_DEMOTION, named(idle, "idle"), "demoteAfterIdle");
        }

        private Builder put(final SettingsKey key, final Duration value, final String method)
        {
            explicit.put(key, new Setting(value, SettingsUnits.formatDuration(value), "builder " + method));
            return this;
        }

        /**
         * High-water mark and low-water mark of L1 and L2.
         *
         * @param highWaterMark usage that starts background eviction, in (0, 1]; default 0.95.
         * @param evictTo       usage it evicts down to, in (0, highWaterMark]; default 0.90.
         * @return this.
         */
        public Builder evictionThresholds(final double highWaterMark, final double evictTo)
        {
            put(SettingsKey.EVICTION_THRESHOLD, highWaterMark, "evictionThresholds");
            return put(SettingsKey.EVICTION_TARGET, evictTo, "evictionThresholds");
        }

        /**
         * Time to live after a put.
         *
         * @param ttl {@link Duration#ZERO} for none (the default); else at least 1 ms (less is taken
         *            for a mistaken unit and refused).
         * @return this.
         */
        public Builder ttl(final Duration ttl)
        {
            return put(SettingsKey.TTL, named(ttl, "ttl"), "ttl");
        }

        /**
         * Largest entry a level takes (small tensors go up, large ones stay down).
         *
         * @param tier  the level.
         * @param bytes at most the level's size; 0 only for a level that is off.
         * @return this.
         */
        public Builder maxEntryBytes(final Tier tier, final long bytes)
        {
            return put(switch (named(tier, "tier"))
            {
                case DEVICE -> SettingsKey.DEVICE_MAX_ENTRY_SIZE;
                case HOST -> SettingsKey.HOST_MAX_ENTRY_SIZE;
                case FILE -> SettingsKey.FILE_MAX_ENTRY_SIZE;
            }, bytes, "maxEntryBytes(" + tier + ")");
        }

        /**
         * Most entries across all levels (sizes the off-heap index and the key arena).
         *
         * @param entries in [1, {@link IndexSlotDescriptor#MAX_CAPACITY}]; default 65536.
         * @return this.
         */
        public Builder maxEntries(final int entries)
        {
            return put(SettingsKey.MAX_ITEMS, (long)entries, "maxEntries");
        }

        /**
         * How often the mover checks idle, expired and over-full levels.
         *
         * @param interval at least 1 ms; default 1 s.
         * @return this.
         */
        public Builder cleanupInterval(final Duration interval)
        {
            return put(SettingsKey.CLEANUP_INTERVAL, named(interval, "interval"), "cleanupInterval");
        }

        /**
         * Adds L4, a level shared with other caches on a remote server (Redis standalone or
         * Cluster with the {@code tiercache-redis} artifact): a local miss reads it before it is a
         * miss, a put is written behind to it. Off by default. Needs {@link #remoteNamespace}.
         *
         * @param uri {@code redis://[user:password@]host:port[/db]}, {@code rediss://} for TLS,
         *            {@code redis-cluster://h1:p1,h2:p2,...}; its password is never printed.
         * @return this.
         */
        public Builder remoteUri(final String uri)
        {
            return put(SettingsKey.REMOTE_URI, named(uri, "uri"), "remoteUri");
        }

        /**
         * L4's namespace: a dataset's name and version, so two datasets never share entries.
         *
         * @param namespace 1 to {@value RemoteSettings#MAX_NAMESPACE_LENGTH} letters, digits,
         *                  {@code . _ -}; required with {@link #remoteUri}.
         * @return this.
         */
        public Builder remoteNamespace(final String namespace)
        {
            return put(SettingsKey.REMOTE_NAMESPACE, named(namespace, "namespace"), "remoteNamespace");
        }

        /**
         * Time to live of the values written to L4.
         *
         * @param ttl {@link Duration#ZERO} for none (the default), else at least 1 ms (the server
         *            counts milliseconds).
         * @return this.
         */
        public Builder remoteTtl(final Duration ttl)
        {
            return put(SettingsKey.REMOTE_TTL, named(ttl, "ttl"), "remoteTtl");
        }

        /**
         * Bound of L4's write-behind queue; a write that does not fit is dropped and counted,
         * never waited for.
         *
         * @param bytes at least 0 (0 writes nothing behind); default 64 MiB.
         * @return this.
         */
        public Builder remoteQueueBytes(final long bytes)
        {
            return put(SettingsKey.REMOTE_QUEUE_SIZE, bytes, "remoteQueueBytes");
        }

        /**
         * Bound of every call to L4 (connect, reads, pool borrow); past it L4 turns off until the
         * server answers again.
         *
         * @param timeout at least 1 ms; default 250 ms.
         * @return this.
         */
        public Builder remoteTimeout(final Duration timeout)
        {
            return put(SettingsKey.REMOTE_TIMEOUT, named(timeout, "timeout"), "remoteTimeout");
        }

        /**
         * Whether a put is written behind to L4.
         *
         * @param on default true.
         * @return this.
         */
        public Builder remoteWriteOnPut(final boolean on)
        {
            return put(SettingsKey.REMOTE_WRITE_ON_PUT, on, "remoteWriteOnPut");
        }

        /**
         * Whether an entry that L3 drops is written behind to L4.
         *
         * @param on default false.
         * @return this.
         */
        public Builder remoteWriteOnEviction(final boolean on)
        {
            return put(SettingsKey.REMOTE_WRITE_ON_EVICTION, on, "remoteWriteOnEviction");
        }

        /**
         * The CA certificates that L4's TLS trusts ({@code rediss://}, {@code rediss-cluster://}),
         * instead of the JVM's trust store. The server's certificate must name the host of the URI
         * (its subject alternative names), which is verified either way.
         *
         * @param caFile a readable PEM file of one or more CA certificates; without this setting,
         *               the JVM's trust store ({@code javax.net.ssl.trustStore}, else {@code cacerts}).
         * @return this.
         */
        public Builder remoteTlsCaFile(final java.nio.file.Path caFile)
        {
            return put(SettingsKey.REMOTE_TLS_CA_FILE, named(caFile, "caFile"), "remoteTlsCaFile");
        }

        /**
         * Sets every L4 setting at once, as the eight {@code remote*} setters would (a
         * {@code null} {@link RemoteSettings#tlsCaFile()} leaves that setting to the other sources).
         *
         * @param settings where, the namespace, TTL, queue bound, timeout, write-behind triggers and
         *                 TLS trust.
         * @return this.
         */
        public Builder remote(final RemoteSettings settings)
        {
            named(settings, "settings");
            this.remoteStore = null;
            if (settings.tlsCaFile() != null)
            {
                put(SettingsKey.REMOTE_TLS_CA_FILE, settings.tlsCaFile(), "remote");
            }
            else
            {
                explicit.remove(SettingsKey.REMOTE_TLS_CA_FILE);
            }
            put(SettingsKey.REMOTE_URI, settings.uri(), "remote");
            put(SettingsKey.REMOTE_NAMESPACE, settings.namespace(), "remote");
            put(SettingsKey.REMOTE_TTL, settings.ttl(), "remote");
            put(SettingsKey.REMOTE_QUEUE_SIZE, settings.queueBytes(), "remote");
            put(SettingsKey.REMOTE_TIMEOUT, settings.timeout(), "remote");
            put(SettingsKey.REMOTE_WRITE_ON_PUT, settings.writeOnPut(), "remote");
            return put(SettingsKey.REMOTE_WRITE_ON_EVICTION, settings.writeOnEviction(), "remote");
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
            remote(settings);
            this.remoteStore = named(store, "store");
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
            return put(SettingsKey.PERSIST_ON_CLOSE, on, "persistOnClose");
        }

        /**
         * Concludes the configuration without opening a cache: reads the file and the
         * environment, fills the rest from the profile and the defaults, validates everything.
         * Nothing is checked against this machine yet (a file written for a server still loads
         * on a laptop); {@link #build()} does that.
         *
         * @return the configuration.
         * @throws SettingsException naming the first bad key, its value, what is allowed and its source.
         */
        public TierCacheConfig config()
        {
            return TierCacheConfig.conclude(SettingsLoader.merge(explicit, settingsFile, environment), profile);
        }

        /**
         * Concludes the configuration, checks its sizes against this machine and opens the cache.
         *
         * @return the cache; its owner must close it.
         * @throws SettingsException naming the first bad key, its value, what is allowed and its source.
         * @throws IllegalArgumentException for a size this machine cannot hold, naming the setting.
         */
        public TierCache build()
        {
            final TierCacheConfig config = config();
            config.checkPathsExist();
            checkAgainstMachine(config);
            return new TierCache(config, remoteStore);
        }

        /**
         * Checks the sizes against this machine (not the profile's, which may describe another):
         * memory for the index and L2, disk for L3. Asking for more would end in an
         * {@link OutOfMemoryError}, the kernel's OOM killer or a full disk, long after the call
         * that asked.
         */
        private static void checkAgainstMachine(final TierCacheConfig config)
        {
            final long available = dev.tiercache.profile.MemoryInfo.detect().availableBytes();
            final long index = config.indexNativeBytes();
            final int maxEntries = config.maxEntries;
            check(index <= available, "maxEntries", maxEntries, "at most what the available memory holds: the index takes " +
                index + " bytes of native memory up front (" + index / maxEntries + " per entry), " + available +
                " bytes are available");
            check(config.hostBytes <= available - index, "hostBytes", config.hostBytes, "at most the " + (available - index) +
                " bytes of memory available (" + available + " available, less " + index + " for the index of maxEntries=" +
                maxEntries + ")");
            if (config.fileBytes > 0)
            {
                final java.nio.file.Path filePath = config.filePath;
                final java.nio.file.Path folder = filePath.toAbsolutePath().getParent();
                try
                {
                    final long free = dev.tiercache.libc.Libc.statvfs(folder).availableBytes();
                    final long existing = java.nio.file.Files.isRegularFile(filePath) ? java.nio.file.Files.size(filePath) : 0;
                    check(config.fileBytes <= free + existing, "fileBytes", config.fileBytes, "at most the " + (free + existing) +
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
