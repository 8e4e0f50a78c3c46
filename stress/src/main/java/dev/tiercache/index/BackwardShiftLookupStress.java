package dev.tiercache.index;

import org.openjdk.jcstress.annotations.Actor;
import org.openjdk.jcstress.annotations.Arbiter;
import org.openjdk.jcstress.annotations.Description;
import org.openjdk.jcstress.annotations.JCStressTest;
import org.openjdk.jcstress.annotations.Outcome;
import org.openjdk.jcstress.annotations.State;
import org.openjdk.jcstress.infra.results.II_Result;

import static org.openjdk.jcstress.annotations.Expect.ACCEPTABLE;
import static org.openjdk.jcstress.annotations.Expect.ACCEPTABLE_INTERESTING;
import static org.openjdk.jcstress.annotations.Expect.FORBIDDEN;

/**
 * The seqlock of {@link EntryIndex#findConcurrent} against the backward shift of
 * {@link EntryIndex#unlink}. Keys A and B share a home cell, the table's last (so the cluster
 * wraps), and key C's home is the cell after it; inserted in that order they sit at cells
 * {@code last, 0, 1}. Unlinking A moves B back to {@code last} and C back to {@code 0}, and clears
 * cell {@code 1}. A reader looking B and C up mid-shift can pass the cell that is being vacated
 * and hit the empty cell behind it: that miss must be caught by the table version and come back
 * {@link EntryIndex#RETRY}, never {@link EntryIndex#NOT_FOUND}, since B and C are present throughout.
 *
 * <p>A hit on the wrong slot is possible (a cell's key read after the shift wrote it, its slot
 * before) and harmless: the caller pins the slot, sees its key hash differ and probes again.
 *
 * <p>Result: for B and for C, {@code 0} its own slot, {@code 1} RETRY, {@code 2} another key's
 * slot, {@code 3} NOT_FOUND.
 */
@JCStressTest
@Description("findConcurrent of present keys vs unlink's backward shift: a miss must not be reported")
@Outcome(id = "[01], [01]", expect = ACCEPTABLE, desc = "each lookup found its own slot or was told to retry")
@Outcome(id = "(2, [012]|[01], 2)", expect = ACCEPTABLE_INTERESTING,
    desc = "a lookup hit another key's slot mid-shift: the caller's key check rejects it")
@Outcome(id = "(3, .*|.*, 3)", expect = FORBIDDEN, desc = "NOT_FOUND for a key that is present throughout")
@Outcome(expect = FORBIDDEN, desc = "any other outcome breaks the protocol")
@State
public class BackwardShiftLookupStress
{
    private static final long KEY_A = IndexPool.keyWithHome(IndexPool.TABLE_MASK, 0);
    private static final long KEY_B = IndexPool.keyWithHome(IndexPool.TABLE_MASK, KEY_A);
    private static final long KEY_C = IndexPool.keyWithHome(0, 0);

    private final EntryIndex index = IndexPool.take();
    private final int slotA = index.insert(KEY_A);
    private final int slotB = index.insert(KEY_B);
    private final int slotC = index.insert(KEY_C);

    /** The writer removes A, shifting B and C back. */
    @Actor
    public void writer()
    {
        index.unlink(slotA);
        index.retire(slotA);
    }

    /**
     * The reader looks up B, then C.
     *
     * @param r {@code r1} B's lookup, {@code r2} C's.
     */
    @Actor
    public void reader(final II_Result r)
    {
        r.r1 = classify(index.findConcurrent(KEY_B), slotB);
        r.r2 = classify(index.findConcurrent(KEY_C), slotC);
    }

    /** Returns the index to the pool. */
    @Arbiter
    public void arbiter()
    {
        IndexPool.giveBack(index);
    }

    private static int classify(final int found, final int expected)
    {
        if (found == expected)
        {
            return 0;
        }
        if (found == EntryIndex.RETRY)
        {
            return 1;
        }
        return found == EntryIndex.NOT_FOUND ? 3 : 2;
    }
}
