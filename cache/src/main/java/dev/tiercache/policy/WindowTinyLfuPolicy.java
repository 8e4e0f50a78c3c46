package dev.tiercache.policy;

import dev.tiercache.index.EntryIndex;
import dev.tiercache.index.SlotList;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.function.IntPredicate;

/**
 * Window TinyLFU: a small LRU window in front of a segmented-LRU main space, with a
 * {@link FrequencySketch} deciding who may enter the main space.
 *
 * <h2>Design</h2>
 * Every newcomer enters the window (a share of the resident entries), so a burst of requests to a
 * new key hits as it would under LRU. When the window is full, its cold end becomes the candidate
 * for the main space and the main space's coldest slot (probation first, then protected) the
 * victim; the candidate gets in only if its estimated frequency exceeds the victim's by more than
 * {@code admissionMargin}, otherwise the candidate is the one evicted. In the main space a hit
 * moves a probation slot to the protected segment (at most 80 % of main), whose overflow falls back
 * to probation.
 *
 * <h2>Why a margin</h2>
 * With margin {@code 0} (the classic rule, registered as {@code wtinylfu}) shuffled training epochs
 * churn the main space: the candidate's count already includes the request that brought it in,
 * while a resident not yet read this epoch is one behind, so nearly every candidate wins. With
 * margin {@code 1} (the library default) the candidate must beat the victim on the evidence before
 * its own request; equal popularity keeps the resident, and the resident set stays stable across
 * epochs (5000 samples, 1000 entries, 5 epochs: 98.5 % of the optimum, classic rule 54 %).
 *
 * <h2>Why adaptive</h2>
 * A frequency filter loses to LRU where recency is everything (a new key read a few times soon
 * after, then never). With {@code adaptive}, a {@link SampledLruShadow} replays a hash-sampled
 * slice of the keys through plain LRU of proportionally smaller capacity. Every period the policy
 * compares its own hits on the same slice with the shadow's: while LRU would hit more the window
 * grows (up to the whole cache, where the policy is LRU), and while the policy beats LRU by more
 * than one standard deviation it shrinks back to its minimum. The step doubles while the direction
 * holds, so a recency-bound workload reaches a large window in a few periods. The rule aims at
 * "never much worse than LRU", not at the best window; ties leave the window where it is.
 *
 * <p>A period can be shorter than the workload's reuse pattern: on sweeps back and forth over
 * more keys than the cache holds (LIRS {@code zigzag}, {@code backf}), LRU's hits come in a burst
 * at each turn and the policy's in between, so one period sees LRU ahead and the next the policy,
 * and the window flip-flops without ever settling. So the period's length scales: when two
 * periods in a row decide opposite ways it doubles (up to {@value #MAX_PERIOD_SCALE} times the
 * base), and when two in a row decide the same way it halves back. A workload whose signal is
 * steady keeps the short period and adapts as fast as before.
 *
 * <h2>Bursts count once</h2>
 * With {@code burstOnce} (the library default), a hit on the window's newest entry (a request
 * for the key that arrived or was hit last in the window, with nothing newer in between) is not
 * counted in the sketch: those requests are one burst, correlated with the one before, not
 * evidence of popularity. Counted in full, a key read 35 times in a row at start-up saturates
 * its counters (15), wins every admission contest and, halved only every 10 E increments,
 * holds its main slot long after its last use. The LIRS {@code ps} trace begins that way: at 154
 * entries, keys never requested again held 51 to 53 of the slots from request 2 000 to 9 000 of
 * its 10 448 (31.1 % hits, Caffeine 38.6 %); with bursts counted once, none from request 6 000 on
 * (37.8 %). Every other request counts as before, so shuffled epochs (no repeats) are unaffected.
 *
 * <h2>Aging chosen by the evidence</h2>
 * The sketch halves its counts every {@code 10 E} increments, {@code E} the level's entries but at
 * least {@value FrequencySketch#MIN_ENTRIES} (see {@link FrequencySketch}). On a small level that
 * floor decides the outcome either way: where the popular keys shift (LIRS {@code cpp},
 * {@code multi1}, {@code sprite} at 61 to 354 entries) a sketch that ages every
 * {@code 10 x capacity} requests, as Caffeine's does, forgets the old favourites in time, while on
 * sweeps over more keys than the cache holds ({@code backf}, {@code zigzag}) the same fast aging
 * churns a main space that, never aged, would stay put and hit as LRU does. No fixed period serves
 * both (floors from 64 to 2048 were measured: none keeps the sweeps within half a point of LRU and
 * closes {@code cpp}). So with {@code agingDuel}, a level of fewer than
 * {@value FrequencySketch#MIN_ENTRIES} entries, where the floor makes a difference, keeps a second
 * sketch fed the same increments with a floor of {@value #FAST_MIN_ENTRIES}, and an
 * {@link AgingDuel} scores the two on the admission contests where they disagree, by which of the
 * two keys came back first. Admission follows the fast-aging sketch while it has predicted better
 * lately, the slow one otherwise (and at the start). On the sweeps the slow sketch keeps winning
 * and nothing changes; on {@code cpp} at 61 entries the fast one does (60.6 % hits before, 64.8 %
 * with the duel, Caffeine 61.8 to 62.5 %). A larger level has one sketch.
 *
 * <h2>Sized by what the level holds</h2>
 * The sketch and the shadow are sized by the entries the level holds, which a level bounded by
 * bytes does not know in advance: the policy sums the stored length of its residents and
 * estimates {@code capacity bytes / mean resident size} ({@link LevelCapacity#estimate}) on every
 * insert. When the estimate leaves a band of a quarter around the size it last used, the sketch
 * is resized keeping its counts and the shadow is rebuilt (its period starts over). With uniform
 * sizes the estimate is exact from the first insert, so a byte-bounded level replays exactly as
 * one bounded by the same number of entries. Sizing by the cache's {@code maxEntries} or by a
 * trace's key count instead made the sketch so wide that it never aged within a trace.
 *
 * <p>A window of {@code 0} makes the policy plain TinyLFU: the newcomer itself is the candidate,
 * judged in {@link #admit}.
 *
 * <h2>Concurrency and failure</h2>
 * Not thread-safe; called under the cache's lock like its index. Nothing allocates after
 * construction except a resize of the sketches or the shadow (see above) and the start of the
 * aging duel when a level's estimate falls below {@value FrequencySketch#MIN_ENTRIES} entries,
 * which happen a few times while a level fills and then only when its mean entry size moves by a
 * quarter, and the heap report ({@link #heapBytesByPart}), which returns a map. The
 * sketch's estimates may be high through collisions, never low; that costs hit ratio, never
 * correctness: the policy only orders slots and never frees one.
 */
public final class WindowTinyLfuPolicy implements EvictionPolicy
{
    /** Registered name of the classic variant (window 1 %, margin 0). */
    public static final String NAME = "wtinylfu";

    private static final int PROTECTED_PERCENT = 80;
    private static final int PERIOD_PER_SHADOW_ENTRY = 2;
    private static final int MIN_PERIOD = 100;
    private static final double WINDOW_STEP = 0.05;
    private static final double MAX_WINDOW_STEP = 0.4;
    private static final double MAX_WINDOW_FRACTION = 1.0;
    private static final double SHRINK_SIGMAS = 1.0;
    private static final int MAX_PERIOD_SCALE = 16;
    private static final int RESIZE_BAND = 4;
    private static final int FAST_MIN_ENTRIES = 64;

    private final String name;
    private final EntryIndex index;
    private final FrequencySketch sketch;
    private final boolean agingDuel;
    private final SlotList window;
    private final SlotList probation;
    private final SlotList protectedList;
    private final int admissionMargin;
    private final double minWindowFraction;
    private final boolean adaptive;
    private final boolean burstOnce;
    private final LevelCapacity capacity;
    private SampledLruShadow lruShadow;
    private FrequencySketch fastSketch;
    private AgingDuel duel;
    private int periodRequests;
    private int sizedFor;
    private long residentBytes;
    private double windowFraction;
    private double step = WINDOW_STEP;
    private int lastDirection;
    private int periodScale = 1;
    private int sampledRequests;
    private int sampledHits;
    private int sampledLruHits;

    /**
     * Makes the policy with three new lists of the index, for a level of {@code expectedEntries}
     * entries.
     *
     * @param name            the registered name it reports.
     * @param index           the level's index.
     * @param expectedEntries how many entries the level holds; sizes the sketch and the shadow.
     * @param windowPercent   the window's share of the resident entries, {@code [0, 100)}; with
     *                        {@code adaptive}, its smallest share.
     * @param admissionMargin how much more frequent a candidate must be than the victim, {@code >= 0}.
     * @param adaptive        whether to grow the window while a sampled LRU would hit more.
     */
    public WindowTinyLfuPolicy(
        final String name,
        final EntryIndex index,
        final int expectedEntries,
        final int windowPercent,
        final int admissionMargin,
        final boolean adaptive)
    {
        this(name, index, LevelCapacity.ofEntries(expectedEntries), windowPercent, admissionMargin, adaptive);
    }

    /**
     * Makes the policy with three new lists of the index.
     *
     * @param name            the registered name it reports.
     * @param index           the level's index.
     * @param capacity        what bounds the level; the entries it holds, estimated from it,
     *                        size the sketch and the shadow.
     * @param windowPercent   the window's share of the resident entries, {@code [0, 100)}; with
     *                        {@code adaptive}, its smallest share.
     * @param admissionMargin how much more frequent a candidate must be than the victim, {@code >= 0}.
     * @param adaptive        whether to grow the window while a sampled LRU would hit more.
     */
    public WindowTinyLfuPolicy(
        final String name,
        final EntryIndex index,
        final LevelCapacity capacity,
        final int windowPercent,
        final int admissionMargin,
        final boolean adaptive)
    {
        this(name, index, capacity, windowPercent, admissionMargin, adaptive, false, false);
    }

    /**
     * Makes the policy with three new lists of the index.
     *
     * @param name            the registered name it reports.
     * @param index           the level's index.
     * @param capacity        what bounds the level; the entries it holds, estimated from it,
     *                        size the sketch and the shadow.
     * @param windowPercent   the window's share of the resident entries, {@code [0, 100)}; with
     *                        {@code adaptive}, its smallest share.
     * @param admissionMargin how much more frequent a candidate must be than the victim, {@code >= 0}.
     * @param adaptive        whether to grow the window while a sampled LRU would hit more.
     * @param burstOnce       whether a hit on the window's newest entry leaves the sketch alone
     *                        (a burst of requests for one key counts once; see the class comment).
     * @param agingDuel       whether a level of fewer than {@value FrequencySketch#MIN_ENTRIES}
     *                        entries chooses between a slow- and a fast-aging sketch by their
     *                        predictions (see the class comment).
     */
    public WindowTinyLfuPolicy(
        final String name,
        final EntryIndex index,
        final LevelCapacity capacity,
        final int windowPercent,
        final int admissionMargin,
        final boolean adaptive,
        final boolean burstOnce,
        final boolean agingDuel)
    {
        if (windowPercent < 0 || windowPercent >= 100)
        {
            throw new IllegalArgumentException("windowPercent=" + windowPercent + " not in [0, 100)");
        }
        if (admissionMargin < 0)
        {
            throw new IllegalArgumentException("admissionMargin=" + admissionMargin + " < 0");
        }
        this.name = name;
        this.index = index;
        this.capacity = capacity;
        this.sizedFor = capacity.initialEntries();
        this.sketch = new FrequencySketch(sizedFor);
        this.window = index.newList();
        this.probation = index.newList();
        this.protectedList = index.newList();
        this.admissionMargin = admissionMargin;
        this.minWindowFraction = windowPercent / 100.0;
        this.windowFraction = minWindowFraction;
        this.adaptive = adaptive;
        this.burstOnce = burstOnce;
        this.agingDuel = agingDuel;
        if (adaptive)
        {
            newShadow();
        }
        updateDuel();
    }

    @Override
    public String name()
    {
        return name;
    }

    @Override
    public void onInsert(final int slot)
    {
        residentBytes += index.rawLength(slot);
        final int estimate = capacity.estimate(size() + 1L, residentBytes);
        if (estimate > sizedFor + sizedFor / RESIZE_BAND || estimate < sizedFor - sizedFor / RESIZE_BAND)
        {
            resize(estimate);
        }
        if (windowFraction == 0)
        {
            probation.addFirst(slot);
            return;
        }
        window.addFirst(slot);
        final int windowMax = windowMax();
        while (window.size() > windowMax)
        {
            probation.addFirst(window.pollLast());
        }
    }

    @Override
    public void onAccess(final int slot)
    {
        final long keyHash = index.keyHash(slot);
        final byte listId = index.listId(slot);
        if (duel != null)
        {
            duel.settle(keyHash);
        }
        if (!burstOnce || listId != window.id() || window.first() != slot)
        {
            count(keyHash);
        }
        if (lruShadow != null && lruShadow.isSampled(keyHash))
        {
            sampledHits++;
            sample(keyHash);
        }
        if (listId == probation.id())
        {
            probation.remove(slot);
            protectedList.addFirst(slot);
            final int protectedMax = (int)((long)(probation.size() + protectedList.size()) * PROTECTED_PERCENT / 100);
            while (protectedList.size() > Math.max(1, protectedMax))
            {
                probation.addFirst(protectedList.pollLast());
            }
        }
        else if (listId == protectedList.id())
        {
            protectedList.moveToFront(slot);
        }
        else
        {
            window.moveToFront(slot);
        }
    }

    @Override
    public void onMiss(final long keyHash)
    {
        if (duel != null)
        {
            duel.settle(keyHash);
        }
        count(keyHash);
        if (lruShadow != null && lruShadow.isSampled(keyHash))
        {
            sample(keyHash);
        }
    }

    @Override
    public void onRemove(final int slot)
    {
        residentBytes -= index.rawLength(slot);
        final byte listId = index.listId(slot);
        if (listId == probation.id())
        {
            probation.remove(slot);
        }
        else if (listId == protectedList.id())
        {
            protectedList.remove(slot);
        }
        else
        {
            window.remove(slot);
        }
    }

    @Override
    public int selectVictim(final IntPredicate evictable)
    {
        final int mainVictim = mainVictim(evictable);
        if (windowFraction == 0 || window.size() < windowMax())
        {
            return mainVictim != NONE ? mainVictim : SingleListPolicy.coldestEvictable(window, evictable);
        }
        final int candidate = SingleListPolicy.coldestEvictable(window, evictable);
        if (candidate == NONE)
        {
            return mainVictim;
        }
        if (mainVictim == NONE)
        {
            return candidate;
        }
        final long candidateKeyHash = index.keyHash(candidate);
        if (duel != null)
        {
            final long victimKeyHash = index.keyHash(mainVictim);
            final boolean slowAdmits = prefers(sketch, candidateKeyHash, victimKeyHash);
            final boolean fastAdmits = prefers(fastSketch, candidateKeyHash, victimKeyHash);
            if (slowAdmits != fastAdmits)
            {
                duel.record(candidateKeyHash, victimKeyHash, fastAdmits);
            }
        }
        if (prefers(candidateKeyHash, mainVictim))
        {
            window.remove(candidate);
            probation.addFirst(candidate);
            return mainVictim;
        }
        return candidate;
    }

    @Override
    public boolean admit(final long candidateKeyHash, final int victimSlot)
    {
        return windowFraction > 0 || prefers(candidateKeyHash, victimSlot);
    }

    @Override
    public boolean admitPromotion(final long candidateKeyHash, final int victimSlot)
    {
        return prefers(candidateKeyHash, victimSlot);
    }

    @Override
    public int size()
    {
        return window.size() + probation.size() + protectedList.size();
    }

    /**
     * The estimate admission uses for a key, for reports and tests: the fast-aging sketch's while
     * the aging duel follows it, the slow-aging one's otherwise.
     *
     * @param keyHash the key's hash.
     * @return the estimated recent request count.
     */
    public int frequency(final long keyHash)
    {
        return activeSketch().frequency(keyHash);
    }

    /**
     * Whether admission follows the fast-aging sketch now (see the class comment).
     *
     * @return {@code false} without the aging duel, at {@value FrequencySketch#MIN_ENTRIES}
     *         entries or more, and while the slow-aging sketch has predicted at least as well.
     */
    public boolean agesFast()
    {
        return duel != null && duel.fastAhead();
    }

    /**
     * The window's current share of the resident entries.
     *
     * @return a fraction in {@code [0, 1]}.
     */
    public double windowFraction()
    {
        return windowFraction;
    }

    /**
     * The sampled requests the current adaptation period lasts: the base period times a scale
     * that doubles when two periods in a row decide opposite ways and halves when two in a row
     * decide the same way.
     *
     * @return sampled requests; {@code 0} when the policy is not adaptive.
     */
    public int adaptationPeriod()
    {
        return lruShadow == null ? 0 : periodRequests * periodScale;
    }

    /**
     * The entries the sketch and the shadow are sized for: the level's estimate when it last moved
     * by more than a quarter.
     *
     * @return entries.
     */
    public int expectedEntries()
    {
        return sizedFor;
    }

    /**
     * The sketch, the fast-aging sketch and the aging duel (while the level is small enough for
     * them) and the LRU shadow (when adaptive), each by the arrays it holds now.
     *
     * @return bytes under {@code "sketch"}, {@code "fast sketch"}, {@code "aging duel"} and
     *         {@code "lru shadow"}, those present only.
     */
    @Override
    public Map<String, Long> heapBytesByPart()
    {
        final Map<String, Long> parts = new LinkedHashMap<>();
        parts.put("sketch", sketch.heapBytes());
        if (fastSketch != null)
        {
            parts.put("fast sketch", fastSketch.heapBytes());
            parts.put("aging duel", duel.heapBytes());
        }
        if (lruShadow != null)
        {
            parts.put("lru shadow", lruShadow.heapBytes());
        }
        return parts;
    }

    private void resize(final int entries)
    {
        sizedFor = entries;
        sketch.resize(entries);
        if (fastSketch != null)
        {
            fastSketch.resize(entries);
        }
        updateDuel();
        if (adaptive && SampledLruShadow.capacityFor(entries) != lruShadow.capacity())
        {
            newShadow();
        }
    }

    /** Starts the duel when the level is small enough for it, ends it when it has grown past. */
    private void updateDuel()
    {
        final boolean wanted = agingDuel && sizedFor < FrequencySketch.MIN_ENTRIES;
        if (wanted && duel == null)
        {
            fastSketch = new FrequencySketch(sizedFor, FAST_MIN_ENTRIES);
            duel = new AgingDuel();
        }
        else if (!wanted && duel != null)
        {
            fastSketch = null;
            duel = null;
        }
    }

    private void count(final long keyHash)
    {
        sketch.increment(keyHash);
        if (fastSketch != null)
        {
            fastSketch.increment(keyHash);
        }
    }

    private FrequencySketch activeSketch()
    {
        return duel != null && duel.fastAhead() ? fastSketch : sketch;
    }

    private void newShadow()
    {
        lruShadow = new SampledLruShadow(sizedFor);
        periodRequests = Math.max(MIN_PERIOD, PERIOD_PER_SHADOW_ENTRY * lruShadow.capacity());
        periodScale = 1;
        sampledRequests = 0;
        sampledHits = 0;
        sampledLruHits = 0;
    }

    private void sample(final long keyHash)
    {
        if (lruShadow.access(keyHash))
        {
            sampledLruHits++;
        }
        if (++sampledRequests >= periodRequests * periodScale)
        {
            final int direction;
            if (sampledLruHits > sampledHits)
            {
                direction = 1;
            }
            else if (sampledHits > sampledLruHits + SHRINK_SIGMAS * Math.sqrt(sampledLruHits))
            {
                direction = -1;
            }
            else
            {
                direction = 0;
            }
            if (direction != 0 && direction == -lastDirection)
            {
                periodScale = Math.min(MAX_PERIOD_SCALE, periodScale * 2);
            }
            else if (direction != 0 && direction == lastDirection)
            {
                periodScale = Math.max(1, periodScale / 2);
            }
            step = direction != 0 && direction == lastDirection ? Math.min(MAX_WINDOW_STEP, step * 2) : WINDOW_STEP;
            lastDirection = direction;
            windowFraction = Math.max(minWindowFraction, Math.min(MAX_WINDOW_FRACTION, windowFraction + direction * step));
            sampledRequests = 0;
            sampledHits = 0;
            sampledLruHits = 0;
        }
    }

    private boolean prefers(final long candidateKeyHash, final int victimSlot)
    {
        return prefers(activeSketch(), candidateKeyHash, index.keyHash(victimSlot));
    }

    private boolean prefers(final FrequencySketch estimates, final long candidateKeyHash, final long victimKeyHash)
    {
        return estimates.frequency(candidateKeyHash) > estimates.frequency(victimKeyHash) + admissionMargin;
    }

    private int mainVictim(final IntPredicate evictable)
    {
        final int victim = SingleListPolicy.coldestEvictable(probation, evictable);
        return victim != NONE ? victim : SingleListPolicy.coldestEvictable(protectedList, evictable);
    }

    private int windowMax()
    {
        return Math.max(1, (int)(size() * windowFraction));
    }
}
