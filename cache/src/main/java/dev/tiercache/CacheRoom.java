package dev.tiercache;

import dev.tiercache.index.EntryIndex;
import dev.tiercache.index.IndexSlotDescriptor;
import dev.tiercache.policy.EvictionPolicy;
import dev.tiercache.policy.PromotionRule;
import dev.tiercache.profile.TransferCostModel;
import dev.tiercache.store.Codec;
import dev.tiercache.store.DeviceStore;
import dev.tiercache.store.FileStore;
import dev.tiercache.store.HostStore;
import dev.tiercache.store.Transfers;

import java.lang.foreign.MemorySegment;
import java.util.concurrent.locks.ReentrantLock;

/**
 * What the parts of a cache have in common: the shared {@link CacheCore} under short names, the
 * slot flags, and the small questions about levels every part asks (which level a slot is in, the
 * largest entry a level takes, room and usage of a level).
 */
abstract class CacheRoom
{
    static final System.Logger LOG = System.getLogger(TierCache.class.getName());
    /** The mover copies this slot's bytes now; it must not be evicted or moved by anyone else. */
    static final byte FLAG_MOVING = 1;
    /** A promotion of this slot is queued for the mover: one request per slot, not one per hit. */
    static final byte FLAG_QUEUED = 2;
    /**
     * Nothing to remove from the file when this L3 slot is freed: its record went with a reclaimed
     * region, or was handed on to the slot that replaced it (as that slot's backing).
     */
    static final byte FLAG_FILE_GONE = 4;
    /**
     * The L3 record this L1 or L2 slot owns holds an older value (kept by a replacing put until the
     * new value reaches the file), not a copy of the slot's own: the slot is dirty. A slot with a
     * backing record and without this flag is clean: its value is durable in L3.
     */
    static final byte FLAG_BACKING_STALE = 8;
    static final int LEVELS = CacheCounters.LEVELS;
    static final Tier[] TIERS = Tier.values();
    static final int NO_SLOT = -1;

    final CacheCore core;
    final TierCacheConfig config;
    final PromotionRule rule;
    final TransferCostModel costs;
    final String name;
    final ReentrantLock lock;
    final EntryIndex index;
    final EvictionPolicy[] policies;
    final CacheCounters counters;
    final AccessBuffer accessEvents;
    final AccessBuffer missEvents;
    final DeviceStore device;
    final HostStore host;
    final HostStore metaStore;
    final MetaRecords metas;
    final FileStore file;
    final Codec codec;
    final Transfers transfers;

    CacheRoom(final CacheCore core)
    {
        this.core = core;
        this.config = core.config;
        this.rule = core.rule;
        this.costs = core.costs;
        this.name = core.name;
        this.lock = core.lock;
        this.index = core.index;
        this.policies = core.policies;
        this.counters = core.counters;
        this.accessEvents = core.accessEvents;
        this.missEvents = core.missEvents;
        this.device = core.levels.device;
        this.host = core.levels.host;
        this.metaStore = core.levels.metaStore;
        this.metas = core.metas;
        this.file = core.levels.file;
        this.codec = core.levels.codec;
        this.transfers = core.levels.transfers;
    }

    Tier levelOf(final int slot)
    {
        return TIERS[index.level(slot)];
    }

    MemorySegment metaOf(final int slot)
    {
        return metas.record(index.meta(slot));
    }

    long hostMaxEntry()
    {
        return Math.min(rule.maxEntryBytes(IndexSlotDescriptor.LEVEL_L2), host.capacity());
    }

    long deviceMaxEntry()
    {
        return Math.min(rule.maxEntryBytes(IndexSlotDescriptor.LEVEL_L1), device.capacity());
    }

    long fileMaxEntry()
    {
        return Math.min(rule.maxEntryBytes(IndexSlotDescriptor.LEVEL_L3), fileMaxRaw());
    }

    long allocate(final Tier tier, final long length)
    {
        return tier == Tier.DEVICE ? device.allocate(length) : host.allocate(length);
    }

    void free(final Tier tier, final long offset)
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
     * The largest raw entry one L3 region can take (a region less its header and an entry header
     * with a long key and a few parts).
     */
    long fileMaxRaw()
    {
        return file.config().regionSizeBytes() - 4096;
    }

    /**
     * Leaves the writer lock for a copy or an encoding, when the caller holds it once; the caller
     * holds reservations (a pinned, moving slot or a reserved slot and its space) that keep what
     * it copies alive, and close waits for it. Pair with {@link #reenterLock}.
     *
     * @return whether the lock was left; when the lock is held more than once the work runs under it.
     */
    boolean leaveLock()
    {
        if (lock.getHoldCount() != 1)
        {
            return false;
        }
        core.writersOutside++;
        lock.unlock();
        final Runnable hook = core.outsideLockHook;
        if (hook != null)
        {
            hook.run();
        }
        return true;
    }

    /**
     * Takes the writer lock back after {@link #leaveLock}; whatever the work saw must be checked
     * again ({@link SlotTable#isCurrent}, {@link CacheCore#closed}).
     *
     * @param left what {@link #leaveLock} returned.
     */
    void reenterLock(final boolean left)
    {
        if (left)
        {
            lock.lock();
            if (--core.writersOutside == 0)
            {
                core.placed.signalAll();
            }
        }
    }

    long used(final Tier tier)
    {
        return switch (tier)
        {
            case DEVICE -> device == null ? 0 : device.usedBytes();
            case HOST -> host.usedBytes();
            case FILE -> file == null ? 0 : file.stats().usedBytes();
        };
    }

    /**
     * Whether an L1 or L2 slot's own value is in L3 already (a demotion or a write-back needs no
     * copy).
     */
    boolean isClean(final int slot)
    {
        return index.backingLocation(slot) != IndexSlotDescriptor.NO_BACKING && (index.flags(slot) & FLAG_BACKING_STALE) == 0;
    }

    void checkOpen()
    {
        if (core.closed)
        {
            throw new IllegalStateException("TierCache " + name + " is closed");
        }
    }
}
