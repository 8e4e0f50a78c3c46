package dev.tiercache.dataset;

import dev.tiercache.CacheStats;
import dev.tiercache.EntryHandle;
import dev.tiercache.LevelStats;
import dev.tiercache.Tier;
import dev.tiercache.TierCache;
import org.agrona.collections.Long2LongHashMap;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.PrimitiveIterator;
import java.util.TreeMap;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The epoch plan behind {@link DatasetCache#epoch}: the orders of the epochs to come, the
 * consumer's position in them, and one thread that raises the entries just ahead of that position.
 *
 * <h2>Look-ahead</h2>
 * The positions from the consumer's to as far as {@code lookAheadBytes} of entries reach form the
 * window. The plan thread walks it in order and raises each entry to the top level (L1 with a GPU
 * level, else L2), falling back to L2 when L1 will not take it. It reads entry sizes with
 * {@link TierCache#byteSize} and levels with {@link TierCache#tierOf}: neither counts an access, so
 * the policies keep seeing the consumer's reads only. The window's bound is exact: it takes the
 * next position only while the bytes of its entries, that one's included, stay within
 * {@code lookAheadBytes} (a first entry larger than that is taken alone).
 *
 * <h2>Read-ahead</h2>
 * Past the window's end, the entries of up to another {@code lookAheadBytes} that sit in L3 are
 * advised to the kernel ({@link TierCache#adviseWillNeed}): their pages are read from the disk in
 * the background, so raising them later copies from memory instead of waiting on the disk page by
 * page. The read-ahead holds no cache memory (the pages are the page cache's) and is not part of
 * the window's bound.
 *
 * <h2>Eviction: Belady on the plan</h2>
 * Each level's room is its capacity times the fill fraction, less what it uses. When an entry
 * needs room, the plan demotes ({@link TierCache#demote}) the entry of that level whose next use
 * is furthest ahead, and only while that use is later than the incoming entry's: an entry needed
 * sooner is never pushed out for one needed later. An entry already read in this epoch and absent
 * from the epochs queued after it has no next use and goes first. The plan knows the level of each
 * key it has met (every key of the queued orders, looked up when the order is queued); an entry it
 * does not know, put by someone else, is left to the cache's own policy, which the plan's L2
 * promotions then pass without its admission ({@link TierCache#promoteToHost(long, boolean)}).
 * The cache's own moves (the mover's promotions, its trims) can change a level behind the plan's
 * back; a demotion answers where the victim really is, and the plan files it there. A victim that
 * cannot be demoted (read or moved at that moment) is dropped from the filing; when a level then
 * holds more than the plan has filed, it looks every queued key up again (at most once per window
 * of entries raised), so entries it lost sight of become victims again.
 *
 * <h2>Concurrency</h2>
 * The consumer's threads report reads with {@link #consumed}, which moves the position and wakes
 * the plan thread; the plan thread is the only one that reads the ranks and the window. Both
 * synchronize on this object for the position and the queued epochs, never across a cache call:
 * the plan thread calls the cache (which is thread-safe) with the monitor released.
 */
final class EpochPlan implements Runnable
{
    /** Ranks at or above this are keys with no known next use; below it, a rank is a position. */
    private static final long NO_FUTURE = Long.MAX_VALUE / 2;
    private static final System.Logger LOG = System.getLogger(EpochPlan.class.getName());
    private static final int DEVICE = 0;
    private static final int HOST = 1;
    /** How far past the position a read may be and still move it, at least (positions). */
    private static final int MIN_JUMP = 64;
    /** {@link #makeRoom}: the room is there. */
    private static final int ROOM = 0;
    /** {@link #makeRoom}: every entry the plan may demote is needed sooner than the new one. */
    private static final int NEEDED_SOONER = 1;
    /** {@link #makeRoom}: the level is full of entries the plan does not know. */
    private static final int UNKNOWN = 2;
    /** Positions the read-ahead looks at per round, at most. */
    private static final int READ_AHEAD_PER_ROUND = 8;
    /** Window entries checked at each position read, nearest first. */
    private static final int HEAD_CHECKED = 4;

    private final TierCache cache;
    private final long lookAheadBytes;
    private final double fillFraction;
    private final boolean useDevice;
    /** Per level (L1, L2): its capacity times the fill fraction, or 0 when it is off (fixed while the cache is open). */
    private final long[] limit = new long[2];
    private final Thread thread;

    // @GuardedBy("this")
    private final ArrayDeque<Epoch> epochs = new ArrayDeque<>();
    // @GuardedBy("this")
    private long queuedPositions;
    // @GuardedBy("this")
    private long cursor;
    // @GuardedBy("this")
    private boolean stopped;
    // @GuardedBy("this"): epochs queued whose keys the plan thread has not looked up yet
    private final ArrayDeque<Epoch> unscanned = new ArrayDeque<>();

    // @GuardedBy("this"): the window's end, the first position not raised yet
    private long filled;
    // @GuardedBy("this"): whether the plan thread waits with nothing to do
    private boolean idle;
    // @GuardedBy("this"): the consumer's position when the window last stopped for room, or -1
    private long blockedAt = -1;

    // the plan thread's own state
    /** The read-ahead's end: positions before it were advised (or found out of L3). */
    private long advisedTo;
    /** The read-ahead's positions from the window's end on, with their sizes. */
    private final ArrayDeque<long[]> readAhead = new ArrayDeque<>();
    private long readAheadBytes;
    private long reranked;
    /** The cache evicted from L2 while the plan raised an entry: the window is checked again. */
    private boolean evictedBehind;
    private long repairedAt = -1;
    // @GuardedBy("this"): the position whose next entries were last checked
    private long checkedAt = -1;
    private int repairRounds;
    private long windowBytes;
    private long raisesSinceRescan = Long.MAX_VALUE / 2;
    private long noFutureSequence;
    private final ArrayDeque<long[]> window = new ArrayDeque<>();
    /** Per level (L1, L2), the keys the plan knows there by rank: next use, or no future. */
    private final List<TreeMap<Long, Long>> byRank = List.of(new TreeMap<>(), new TreeMap<>());
    private final Long2LongHashMap[] rankOf = {new Long2LongHashMap(-1), new Long2LongHashMap(-1)};
    /** Per level, the bytes of the keys filed there; and each filed key's size. */
    private final long[] trackedBytes = new long[2];
    private final Long2LongHashMap sizes = new Long2LongHashMap(-1);

    private final AtomicLong raisedToHost = new AtomicLong();
    private final AtomicLong raisedToDevice = new AtomicLong();
    private final AtomicLong demoted = new AtomicLong();
    private final AtomicLong notRaised = new AtomicLong();
    private final AtomicLong missing = new AtomicLong();
    private final AtomicLong outOfOrder = new AtomicLong();
    private final AtomicLong failures = new AtomicLong();
    private final AtomicLong roomWaits = new AtomicLong();
    private final AtomicLong rescans = new AtomicLong();
    private final AtomicLong raiseNanos = new AtomicLong();
    private final AtomicLong advised = new AtomicLong();
    private final AtomicLong repaired = new AtomicLong();
    private final AtomicLong raiseCpuNanos = new AtomicLong();
    private static final java.lang.management.ThreadMXBean THREADS = java.lang.management.ManagementFactory.getThreadMXBean();
    private final boolean cpuTimed = THREADS.isCurrentThreadCpuTimeSupported();
    // @GuardedBy("this"): the window's bytes, for the statistics
    private long reportedWindowBytes;

    EpochPlan(final TierCache cache, final long lookAheadBytes, final double fillFraction)
    {
        this.cache = cache;
        this.lookAheadBytes = lookAheadBytes;
        this.fillFraction = fillFraction;
        this.useDevice = cache.hasDevice();
        final CacheStats stats = cache.stats();
        for (final Tier tier : new Tier[] {Tier.DEVICE, Tier.HOST})
        {
            final LevelStats level = stats.level(tier);
            limit[levelIndex(tier)] = level.enabled() ? (long)(level.capacityBytes() * fillFraction) : 0;
        }
        this.thread = new Thread(this, "tiercache-plan-" + cache.name());
        thread.setDaemon(true);
        thread.start();
    }

    /** One queued epoch: its order (pulled from an iterator as the window needs it), from a global position. */
    private static final class Epoch
    {
        final long base;
        final PrimitiveIterator.OfLong source;
        long[] keys;
        int length;
        /** Per position, the next position of the same key in this epoch, or -1. */
        int[] next;
        /** Per key, its first position in this epoch. */
        final Long2LongHashMap first = new Long2LongHashMap(-1);
        final Long2LongHashMap last = new Long2LongHashMap(-1);

        Epoch(final long base, final long[] order)
        {
            this.base = base;
            this.source = null;
            this.keys = order;
            this.next = new int[Math.max(16, order.length)];
            for (int i = 0; i < order.length; i++)
            {
                link(order[i], i);
            }
            this.length = order.length;
        }

        Epoch(final long base, final PrimitiveIterator.OfLong source)
        {
            this.base = base;
            this.source = source;
            this.keys = new long[1024];
            this.next = new int[1024];
        }

        private void link(final long key, final int position)
        {
            next[position] = -1;
            final long previous = last.put(key, position);
            if (previous == -1)
            {
                first.put(key, position);
            }
            else
            {
                next[(int)previous] = position;
            }
        }

        boolean complete()
        {
            return source == null || !source.hasNext();
        }

        /** Pulls one more key from the iterator; false when it is done. */
        boolean pull()
        {
            if (source == null || !source.hasNext())
            {
                return false;
            }
            if (length == keys.length)
            {
                keys = java.util.Arrays.copyOf(keys, keys.length * 2);
                next = java.util.Arrays.copyOf(next, next.length * 2);
            }
            final long key = source.nextLong();
            keys[length] = key;
            link(key, length);
            length++;
            return true;
        }

        /** The first position of {@code key} at or after {@code from} (global), or -1. */
        long nextUse(final long key, final long from)
        {
            int at = (int)first.get(key);
            while (at >= 0 && base + at < from)
            {
                at = next[at];
            }
            return at < 0 ? -1 : base + at;
        }
    }

    // ------------------------------------------------------------------------------------------
    // the consumer's side
    // ------------------------------------------------------------------------------------------

    synchronized void add(final long[] order)
    {
        checkRunning();
        final Epoch epoch = new Epoch(basePosition(), order.clone());
        epochs.add(epoch);
        unscanned.add(epoch);
        idle = false;
        notifyAll();
    }

    synchronized void add(final PrimitiveIterator.OfLong order)
    {
        checkRunning();
        final Epoch epoch = new Epoch(basePosition(), order);
        epochs.add(epoch);
        unscanned.add(epoch);
        idle = false;
        notifyAll();
    }

    private long basePosition()
    {
        final Epoch tail = epochs.peekLast();
        if (tail != null && !tail.complete())
        {
            throw new IllegalStateException("the last epoch queued comes from an iterator that is not exhausted: " +
                "an epoch given by an iterator must be the last one queued until it is read to its end");
        }
        return tail == null ? cursor : tail.base + tail.length;
    }

    private void checkRunning()
    {
        if (stopped)
        {
            throw new IllegalStateException("the epoch plan of " + cache.name() + " is stopped");
        }
    }

    /**
     * A key was read: when it is the key at the position, the position moves on; a key read ahead
     * of its place in the window moves the position to it (the keys skipped count as read).
     */
    synchronized void consumed(final long key)
    {
        final Epoch epoch = epochAt(cursor);
        if (epoch == null)
        {
            return;
        }
        final int at = (int)(cursor - epoch.base);
        if (at == epoch.length)
        {
            // the consumer is ahead of the window in an epoch given by an iterator
            epoch.pull();
        }
        if (at < epoch.length && epoch.keys[at] == key)
        {
            cursor++;
        }
        else
        {
            outOfOrder.incrementAndGet();
            final long limit = Math.max(MIN_JUMP, 2L * window.size());
            long position = -1;
            for (final Epoch queued : epochs)
            {
                if (queued.base > cursor + limit)
                {
                    break;
                }
                if (queued.base + queued.length > cursor || !queued.complete())
                {
                    position = queued.nextUse(key, cursor);
                    if (position >= 0)
                    {
                        break;
                    }
                }
            }
            if (position < 0 || position - cursor > limit)
            {
                // already read, or far ahead: a read the plan did not foresee, the position stays
                return;
            }
            // read ahead (loader threads overtaking each other, or the tail of an epoch left unread,
            // as a loader that drops its last partial batch does): the keys between count as read
            cursor = position + 1;
        }
        // one wake-up when the plan thread waits; a busy one sees the position at its next round
        if (idle)
        {
            idle = false;
            notifyAll();
        }
    }

    /**
     * Waits until the plan thread has done all it can for the consumer's position (for tests and
     * benchmarks that separate the plan's work from the reads).
     *
     * @return false when the time ran out first.
     */
    synchronized boolean awaitIdle(final long timeoutNanos) throws InterruptedException
    {
        final long deadline = System.nanoTime() + timeoutNanos;
        while (!idle && !stopped)
        {
            final long left = deadline - System.nanoTime();
            if (left <= 0)
            {
                return false;
            }
            java.util.concurrent.TimeUnit.NANOSECONDS.timedWait(this, left);
        }
        return true;
    }

    private Epoch epochAt(final long position)
    {
        for (final Epoch epoch : epochs)
        {
            if (position < epoch.base + epoch.length || !epoch.complete())
            {
                return position >= epoch.base ? epoch : null;
            }
        }
        return null;
    }

    PlanStats stats()
    {
        final long position;
        synchronized (this)
        {
            position = cursor;
        }
        final long window;
        synchronized (this)
        {
            window = reportedWindowBytes;
        }
        return new PlanStats(position, raisedToHost.get(), raisedToDevice.get(), demoted.get(), notRaised.get(), missing.get(),
            outOfOrder.get(), roomWaits.get(), rescans.get(), raiseNanos.get(), failures.get(), window, advised.get(), repaired.get(), raiseCpuNanos.get());
    }

    void stop()
    {
        synchronized (this)
        {
            stopped = true;
            notifyAll();
        }
        boolean interrupted = false;
        while (thread.isAlive())
        {
            try
            {
                thread.join();
            }
            catch (final InterruptedException ex)
            {
                interrupted = true;
            }
        }
        if (interrupted)
        {
            Thread.currentThread().interrupt();
        }
    }

    // ------------------------------------------------------------------------------------------
    // the plan thread
    // ------------------------------------------------------------------------------------------

    @Override
    public void run()
    {
        try
        {
            while (step())
            {
                // each step does what the position allows, then waits for it to move
            }
        }
        catch (final IllegalStateException ex)
        {
            // the cache closed under the plan: nothing left to raise
            failures.incrementAndGet();
        }
        catch (final RuntimeException ex)
        {
            // the reads go on without the plan (from L3 where they must), and the stats say it stopped
            failures.incrementAndGet();
            LOG.log(System.Logger.Level.WARNING, "tiercache " + cache.name() + ": the epoch plan stopped", ex);
        }
        finally
        {
            synchronized (this)
            {
                // no more rounds: the reads' reports and the waiters see a stopped plan
                stopped = true;
                notifyAll();
            }
        }
    }

    /** One round: scan new epochs, re-rank what was read, fill the window; false when stopped. */
    private boolean step()
    {
        final Epoch toScan;
        final long position;
        final long nextKey;
        final long nextPosition;
        final Epoch windowEpoch;
        final long[] ahead;
        synchronized (this)
        {
            while (!stopped && unscanned.isEmpty() && reranked == cursor && checkedAt == cursor && !(evictedBehind && repairRounds < 2) && !canFill())
            {
                idle = true;
                notifyAll();
                try
                {
                    wait();
                }
                catch (final InterruptedException ex)
                {
                    return false;
                }
            }
            idle = false;
            if (stopped)
            {
                return false;
            }
            toScan = unscanned.poll();
            position = cursor;
            dropReadEpochs();
            windowEpoch = canFill() ? epochAt(filled) : null;
            nextPosition = filled;
            nextKey = windowEpoch == null ? 0 : windowEpoch.keys[(int)(filled - windowEpoch.base)];
            ahead = readAheadKeys();
        }
        if (toScan != null)
        {
            scan(toScan);
            return true;
        }
        rerank(position);
        if (position != repairedAt)
        {
            repairedAt = position;
            repairRounds = 0;
        }
        final boolean wholeWindow = evictedBehind && repairRounds++ < 2;
        evictedBehind = false;
        if (wholeWindow)
        {
            // the whole window, at most twice per position read (a fragmented L2 could go on evicting)
            repairWindow(Integer.MAX_VALUE);
        }
        else if (checkedAt != position)
        {
            // the entries read next, once per position: the cache's own moves may have put one back in L3
            repairWindow(HEAD_CHECKED);
        }
        synchronized (this)
        {
            checkedAt = position;
        }
        readAhead(ahead);
        if (windowEpoch != null)
        {
            if (!fitsTheWindow(sizeOf(nextKey)))
            {
                // its size was not known when the round began: the next round waits for the reads to make room
                return true;
            }
            final long started = System.nanoTime();
            final long cpuStarted = cpuNanos();
            final boolean raised = raise(nextKey, nextPosition);
            raiseNanos.addAndGet(System.nanoTime() - started);
            raiseCpuNanos.addAndGet(cpuNanos() - cpuStarted);
            if (!raised)
            {
                roomWaits.incrementAndGet();
                synchronized (this)
                {
                    blockedAt = position;
                }
            }
        }
        return true;
    }

    /**
     * Whether the window takes its next position: one is known (pulling from an iterator as
     * needed) and the window is under its byte budget (it always takes one).
     */
    // @GuardedBy("this")
    private boolean canFill()
    {
        if (filled < cursor)
        {
            filled = cursor;
        }
        shrinkWindow();
        if (blockedAt == cursor)
        {
            return false;
        }
        blockedAt = -1;
        if (!window.isEmpty() && windowBytes >= lookAheadBytes)
        {
            return false;
        }
        final Epoch epoch = epochAt(filled);
        if (epoch == null)
        {
            return false;
        }
        if (filled - epoch.base >= epoch.length && !epoch.pull())
        {
            return false;
        }
        // the next entry must fit the window's bytes too (a size not known yet is looked up outside the monitor)
        final long size = sizes.get(epoch.keys[(int)(filled - epoch.base)]);
        return size < 0 || fitsTheWindow(size);
    }

    /** Whether an entry of {@code size} bytes joins the window within its bound (a first entry always does). */
    // @GuardedBy("this") for windowBytes, or the plan thread between rounds
    private boolean fitsTheWindow(final long size)
    {
        synchronized (this)
        {
            return window.isEmpty() || windowBytes + size <= lookAheadBytes;
        }
    }

    /**
     * The keys of the next read-ahead positions past the window's end, up to
     * {@value #READ_AHEAD_PER_ROUND} while the read-ahead holds under {@code lookAheadBytes}
     * (positions of an iterator are not pulled for it).
     */
    // @GuardedBy("this")
    private long[] readAheadKeys()
    {
        while (!readAhead.isEmpty() && readAhead.peekFirst()[0] < filled)
        {
            readAheadBytes -= readAhead.pollFirst()[1];
        }
        if (advisedTo < filled)
        {
            advisedTo = filled;
        }
        if (readAheadBytes >= lookAheadBytes)
        {
            return null;
        }
        long[] keys = null;
        int n = 0;
        for (long at = advisedTo; n < READ_AHEAD_PER_ROUND; at++, n++)
        {
            final Epoch epoch = epochAt(at);
            if (epoch == null || at - epoch.base >= epoch.length)
            {
                break;
            }
            if (keys == null)
            {
                keys = new long[READ_AHEAD_PER_ROUND + 1];
                keys[0] = advisedTo;
            }
            keys[n + 1] = epoch.keys[(int)(at - epoch.base)];
        }
        return keys == null ? null : java.util.Arrays.copyOf(keys, n + 1);
    }

    /**
     * Advises the kernel of the L3 entries of {@code ahead} (its first element is the position of
     * the second), as long as the read-ahead stays under {@code lookAheadBytes}.
     */
    private void readAhead(final long[] ahead)
    {
        if (ahead == null)
        {
            return;
        }
        for (int i = 1; i < ahead.length; i++)
        {
            final long key = ahead[i];
            final long size = sizeOf(key);
            synchronized (this)
            {
                final long position = ahead[0] + i - 1;
                if (position != advisedTo || readAheadBytes >= lookAheadBytes)
                {
                    // the window or the consumer moved past it meanwhile, or the read-ahead is full
                    return;
                }
                readAhead.addLast(new long[] {position, size});
                readAheadBytes += size;
                advisedTo = position + 1;
            }
            // the plan's filing says where it saw the key: entries in L1 or L2 are not read from the disk
            if (!rankOf[DEVICE].containsKey(key) && !rankOf[HOST].containsKey(key) && cache.adviseWillNeed(key))
            {
                advised.incrementAndGet();
            }
        }
    }

    /** Forgets the window positions the consumer has passed. */
    private void shrinkWindow()
    {
        while (!window.isEmpty() && window.peekFirst()[0] < cursor)
        {
            windowBytes -= window.pollFirst()[1];
        }
        reportedWindowBytes = windowBytes;
    }

    private void dropReadEpochs()
    {
        while (epochs.size() > 1)
        {
            final Epoch head = epochs.peekFirst();
            if (head.base + head.length > Math.min(cursor, reranked) || unscanned.contains(head))
            {
                return;
            }
            epochs.pollFirst();
        }
    }

    /** The plan thread's CPU time, 0 where the JVM cannot tell it. */
    private long cpuNanos()
    {
        return cpuTimed ? THREADS.getCurrentThreadCpuTime() : 0;
    }

    /** Files every key of a newly queued epoch that sits in L1 or L2 under its next use. */
    private void scan(final Epoch epoch)
    {
        final int known;
        synchronized (this)
        {
            known = epoch.length;
        }
        for (int i = 0; i < known; i++)
        {
            final long key = epoch.keys[i];
            final Tier tier = cache.tierOf(key);
            final int level = levelIndex(tier);
            if (level >= 0)
            {
                file(level, key, nextUse(key));
            }
            else
            {
                unfile(key);
            }
        }
        // keys with no next use before may have one in this epoch
        for (int level = DEVICE; level <= HOST; level++)
        {
            for (final long key : new ArrayList<>(byRank.get(level).tailMap(NO_FUTURE, true).values()))
            {
                file(level, key, nextUse(key));
            }
        }
    }

    /** Gives the keys the consumer read since the last round their next use. */
    private void rerank(final long position)
    {
        while (reranked < position)
        {
            final long key;
            synchronized (this)
            {
                final Epoch epoch = epochAt(reranked);
                if (epoch == null)
                {
                    reranked = position;
                    return;
                }
                key = epoch.keys[(int)(reranked - epoch.base)];
            }
            reranked++;
            for (int level = DEVICE; level <= HOST; level++)
            {
                if (rankOf[level].containsKey(key))
                {
                    file(level, key, nextUse(key));
                }
            }
        }
    }

    /** The next position a key is read at, from the consumer's position on, or a unique no-future rank. */
    private long nextUse(final long key)
    {
        synchronized (this)
        {
            final long from = Math.max(cursor, reranked);
            for (final Epoch epoch : epochs)
            {
                if (epoch.base + epoch.length <= from && epoch.complete())
                {
                    continue;
                }
                final long position = epoch.nextUse(key, from);
                if (position >= 0)
                {
                    return position;
                }
            }
        }
        return NO_FUTURE + noFutureSequence++;
    }

    private void file(final int level, final long key, final long rank)
    {
        final long old = rankOf[level].put(key, rank);
        if (old != -1)
        {
            byRank.get(level).remove(old);
        }
        else
        {
            trackedBytes[level] += sizeOf(key);
        }
        byRank.get(level).put(rank, key);
        forget(1 - level, key);
    }

    private void unfile(final long key)
    {
        forget(DEVICE, key);
        forget(HOST, key);
    }

    private void forget(final int level, final long key)
    {
        final long old = rankOf[level].remove(key);
        if (old != -1)
        {
            byRank.get(level).remove(old);
            trackedBytes[level] -= sizeOf(key);
        }
    }

    private long sizeOf(final long key)
    {
        long size = sizes.get(key);
        if (size == -1)
        {
            size = Math.max(0, cache.byteSize(key));
            sizes.put(key, size);
        }
        return size;
    }

    private static int levelIndex(final Tier tier)
    {
        if (tier == Tier.DEVICE)
        {
            return DEVICE;
        }
        return tier == Tier.HOST ? HOST : -1;
    }

    /**
     * Brings the key at a window position up (see the class comment) and adds it to the window.
     *
     * @return false when L2 has no room for it that the plan may make: the window waits for the
     *         consumer to move on.
     */
    private boolean raise(final long key, final long position)
    {
        // the dataset's entries keep their sizes: looked up once per key
        final long known = sizes.get(key);
        final long size = known > 0 ? known : cache.byteSize(key);
        sizes.put(key, Math.max(0, size));
        if (size == TierCache.MISS)
        {
            missing.incrementAndGet();
            addToWindow(position, 0);
            return true;
        }
        // where the plan last saw it (every key of a queued order was looked up when it was queued);
        // promoteToHost answers where it really is, under the cache's lock
        // (an L1 entry is looked up again: the cache's own room-making in L1 may have moved it)
        Tier tier = rankOf[DEVICE].containsKey(key) ? cache.tierOf(key) : rankOf[HOST].containsKey(key) ? Tier.HOST : Tier.FILE;
        if (tier == null)
        {
            missing.incrementAndGet();
            unfile(key);
            addToWindow(position, size);
            return true;
        }
        if (useDevice && tier != Tier.DEVICE && makeRoom(DEVICE, size, position) == ROOM)
        {
            tier = raiseToDevice(key, tier);
        }
        if (tier == Tier.FILE && makeRoom(HOST, size, position) == NEEDED_SOONER)
        {
            return false;
        }
        if (tier != Tier.DEVICE)
        {
            // with room made, or L2 full of entries the plan does not know (their policy picks the
            // victim); for an entry the plan saw in L2 this only checks that it is still there
            final Tier before = tier;
            final long usedBefore = before == Tier.FILE ? cache.usedBytes(Tier.HOST) : 0;
            tier = cache.promoteToHost(key, true);
            if (before == Tier.FILE && tier == Tier.HOST)
            {
                raisedToHost.incrementAndGet();
                if (cache.usedBytes(Tier.HOST) < usedBefore + size)
                {
                    // L2 evicted by its own policy to place it (its free space in pieces too small):
                    // the victim may be one of the window's, which the next round raises again
                    evictedBehind = true;
                }
            }
        }
        final int level = levelIndex(tier);
        if (level >= 0)
        {
            file(level, key, position);
        }
        else if (tier != null)
        {
            notRaised.incrementAndGet();
            unfile(key);
        }
        else
        {
            missing.incrementAndGet();
        }
        addToWindow(position, size);
        return true;
    }

    /**
     * Raises again the first {@code limit} window entries the plan filed in L2 that the cache moved
     * back to L3 (a victim of L2's own room-making, or of the mover), nearest first.
     */
    private void repairWindow(final int limit)
    {
        final List<long[]> positions = new ArrayList<>();
        synchronized (this)
        {
            for (final long[] entry : window)
            {
                if (positions.size() == limit)
                {
                    break;
                }
                positions.add(entry);
            }
        }
        for (final long[] entry : positions)
        {
            final long key;
            synchronized (this)
            {
                if (entry[0] < cursor)
                {
                    continue;
                }
                final Epoch epoch = epochAt(entry[0]);
                if (epoch == null)
                {
                    continue;
                }
                key = epoch.keys[(int)(entry[0] - epoch.base)];
            }
            if (!rankOf[HOST].containsKey(key) || cache.tierOf(key) != Tier.FILE)
            {
                continue;
            }
            repaired.incrementAndGet();
            forget(HOST, key);
            if (makeRoom(HOST, entry[1], entry[0]) == NEEDED_SOONER)
            {
                return;
            }
            final long usedBefore = cache.usedBytes(Tier.HOST);
            final Tier tier = cache.promoteToHost(key, true);
            if (tier == Tier.HOST)
            {
                file(HOST, key, entry[0]);
                if (cache.usedBytes(Tier.HOST) < usedBefore + entry[1])
                {
                    evictedBehind = true;
                }
            }
        }
    }

    private synchronized void addToWindow(final long position, final long size)
    {
        raisesSinceRescan++;
        window.addLast(new long[] {position, size});
        windowBytes += size;
        reportedWindowBytes = windowBytes;
        filled = position + 1;
    }

    private Tier raiseToDevice(final long key, final Tier from)
    {
        try (EntryHandle handle = cache.getOnDevice(key))
        {
            if (handle == null)
            {
                return null;
            }
            raisedToDevice.incrementAndGet();
            return handle.tier();
        }
        catch (final IllegalArgumentException | IllegalStateException ex)
        {
            // too large for L1, or L1 full of leased entries: L2 will do
            return from;
        }
    }

    /**
     * Demotes the level's entries needed furthest ahead, while they are needed later than
     * {@code rank}, until {@code size} bytes fit under the fill fraction.
     *
     * @return {@link #ROOM}, {@link #NEEDED_SOONER} or {@link #UNKNOWN}.
     */
    private int makeRoom(final int level, final long size, final long rank)
    {
        final Tier tier = level == DEVICE ? Tier.DEVICE : Tier.HOST;
        long room = room(tier);
        while (room < size)
        {
            final Map.Entry<Long, Long> furthest = byRank.get(level).lastEntry();
            if (furthest == null || furthest.getKey() <= rank)
            {
                // what the plan does not know has no known next use: it goes first, by the cache's policy
                final long untracked = used(tier) - trackedBytes[level];
                if (untracked >= size && raisesSinceRescan > window.size())
                {
                    // more in the level than the plan has filed: look the queued keys up again
                    rescan();
                    continue;
                }
                return untracked > 0 ? UNKNOWN : NEEDED_SOONER;
            }
            final long victim = furthest.getValue();
            if (level == DEVICE)
            {
                // it lands in L2: make room there by the same rule, for its own rank
                makeRoom(HOST, sizeOf(victim), furthest.getKey());
            }
            // the level it is in is checked under the cache's lock: one moved behind the plan's
            // back (by the mover) goes down one level from where it is, and is filed where it lands
            final Tier after = cache.demote(victim);
            if (after == tier)
            {
                // leased or moving: it stays, and the plan stops counting on its room this round
                forget(level, victim);
                continue;
            }
            demoted.incrementAndGet();
            final int below = levelIndex(after);
            if (below >= 0)
            {
                file(below, victim, furthest.getKey());
            }
            else
            {
                unfile(victim);
            }
            // one look at the statistics per entry raised: the victim's bytes are what it freed
            room += sizeOf(victim);
        }
        return ROOM;
    }

    /** Files again every key of the queued orders that sits in L1 or L2 (the filing drifted). */
    private void rescan()
    {
        raisesSinceRescan = 0;
        rescans.incrementAndGet();
        final List<Epoch> queued;
        synchronized (this)
        {
            queued = new ArrayList<>(epochs);
        }
        for (final Epoch epoch : queued)
        {
            scan(epoch);
        }
    }

    private long used(final Tier tier)
    {
        return cache.usedBytes(tier);
    }

    private long room(final Tier tier)
    {
        final long bound = limit[levelIndex(tier)];
        return bound == 0 ? 0 : bound - cache.usedBytes(tier);
    }
}
