package dev.tiercache;

import dev.tiercache.index.EntryIndex;
import dev.tiercache.policy.EvictionPolicy;
import dev.tiercache.policy.PromotionRule;
import dev.tiercache.profile.TransferCostModel;

import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;

/**
 * The state every part of one cache shares: its configuration, the writer lock, the index and the
 * policies it guards, the statistics, the readers' event buffers and the stores. The parts
 * ({@link ReadPath}, {@link SlotTable}, {@link AccessDrain}, {@link Placement},
 * {@link MoveExecutor}, {@link Recovery}) each hold the one core of their cache; {@link TierCache}
 * makes it and them.
 */
final class CacheCore
{
    final TierCacheConfig config;
    final PromotionRule rule;
    final TransferCostModel costs;
    final String name;
    /** The writer lock: placement, the policies and the index's writer side. */
    final ReentrantLock lock = new ReentrantLock();
    // @GuardedBy("lock") for writes; readers use only the index's concurrent methods
    final EntryIndex index;
    final EvictionPolicy[] policies = new EvictionPolicy[CacheCounters.LEVELS];
    final CacheCounters counters = new CacheCounters();
    final AccessBuffer accessEvents = new AccessBuffer();
    final AccessBuffer missEvents = new AccessBuffer();
    final Levels levels;
    /** The meta records in the levels' meta arena, shared where entries allow it. */
    final MetaRecords metas;
    /** L4, or {@code null}; set once by the cache before its mover starts. */
    RemoteLevel remote;
    /** Set under the lock by close; read by readers without it. */
    volatile boolean closed;
    /** The mover is parked (or about to): a reader that buffers an access wakes it. */
    volatile boolean moverParked;
    /** Wakes the parked mover; set once the mover exists. */
    MoverIdle moverIdle;
    /**
     * Signalled, under the lock, when a demotion ends or the last writer outside the lock comes
     * back: what a put waiting for room and a closing cache wait for.
     */
    final Condition placed = lock.newCondition();
    // @GuardedBy("lock"): writers that left the lock in the middle of an operation (a copy, an
    // encoding, a wait for room) and hold reservations; close waits until none is left
    int writersOutside;
    // @GuardedBy("lock"): demotions under way out of each level, whose space a full level waits for
    final int[] demotionsOutOf = new int[CacheCounters.LEVELS];
    /** Tests only: runs on a writer's thread each time it has left the lock for a copy; null otherwise. */
    volatile Runnable outsideLockHook;

    CacheCore(final TierCacheConfig config, final String name, final EntryIndex index, final Levels levels)
    {
        this.config = config;
        this.rule = config.promotionRule();
        this.costs = config.profile == null ? null : config.profile.transferCosts();
        this.name = name;
        this.index = index;
        this.levels = levels;
        this.metas = new MetaRecords(levels.metaStore);
    }
}
