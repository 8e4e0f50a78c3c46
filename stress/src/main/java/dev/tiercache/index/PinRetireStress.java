package dev.tiercache.index;

import org.openjdk.jcstress.annotations.Actor;
import org.openjdk.jcstress.annotations.Arbiter;
import org.openjdk.jcstress.annotations.Description;
import org.openjdk.jcstress.annotations.JCStressTest;
import org.openjdk.jcstress.annotations.Outcome;
import org.openjdk.jcstress.annotations.State;
import org.openjdk.jcstress.infra.results.IIII_Result;

import static org.openjdk.jcstress.annotations.Expect.ACCEPTABLE;
import static org.openjdk.jcstress.annotations.Expect.FORBIDDEN;

/**
 * A reader pins a live slot while the writer unlinks and retires it: the Dekker race of
 * {@link EntryIndex#tryPin} against {@link EntryIndex#retire} on one pin word. Exactly one party
 * must own the slot's reclamation: the writer ({@code retire} returned true) or the reader's last
 * {@link EntryIndex#unpin} (returned true), never both (a double free) and never neither (a leak).
 *
 * <p>Result: {@code pinned, unpin said "last pin of a retired slot", retire said "no pins", pins left}.
 */
@JCStressTest
@Description("tryPin/unpin vs unlink+retire: exactly one party owns reclamation")
@Outcome(id = "1, 1, 0, 0", expect = ACCEPTABLE, desc = "pin before retire, unpin after: the reader's unpin owns reclamation")
@Outcome(id = "1, 0, 1, 0", expect = ACCEPTABLE, desc = "pin and unpin before retire: the writer owns reclamation")
@Outcome(id = "0, 0, 1, 0", expect = ACCEPTABLE, desc = "retire before pin: the pin fails, the writer owns reclamation")
@Outcome(id = "1, 1, 1, .*", expect = FORBIDDEN, desc = "both own reclamation: a double free")
@Outcome(id = "1, 0, 0, .*", expect = FORBIDDEN, desc = "the reader pinned and neither owns reclamation: a leak")
@Outcome(id = "0, .*, 0, .*", expect = FORBIDDEN, desc = "the pin failed and retire saw pins: a leak")
@Outcome(expect = FORBIDDEN, desc = "any other outcome breaks the protocol")
@State
public class PinRetireStress
{
    private static final long KEY = 42;

    private final EntryIndex index = IndexPool.take();
    private final int slot = index.insert(KEY);

    /**
     * A reader that found the slot before the writer unlinked it.
     *
     * @param r {@code r1} pinned, {@code r2} the unpin's verdict.
     */
    @Actor
    public void reader(final IIII_Result r)
    {
        if (index.tryPin(slot) != EntryIndex.PIN_FAILED)
        {
            r.r1 = 1;
            r.r2 = index.unpin(slot) ? 1 : 0;
        }
    }

    /**
     * The writer removing the key.
     *
     * @param r {@code r3} the retire's verdict.
     */
    @Actor
    public void writer(final IIII_Result r)
    {
        index.unlink(slot);
        r.r3 = index.retire(slot) ? 1 : 0;
    }

    /**
     * After both: no pin may be left; the owner (the test) frees the slot.
     *
     * @param r {@code r4} pins left.
     */
    @Arbiter
    public void arbiter(final IIII_Result r)
    {
        r.r4 = index.pins(slot);
        IndexPool.giveBack(index);
    }
}
