package dev.tiercache;

import org.openjdk.jcstress.annotations.Actor;
import org.openjdk.jcstress.annotations.Arbiter;
import org.openjdk.jcstress.annotations.Description;
import org.openjdk.jcstress.annotations.JCStressTest;
import org.openjdk.jcstress.annotations.Outcome;
import org.openjdk.jcstress.annotations.State;
import org.openjdk.jcstress.infra.results.IIII_Result;

import static org.openjdk.jcstress.annotations.Expect.ACCEPTABLE;
import static org.openjdk.jcstress.annotations.Expect.ACCEPTABLE_INTERESTING;
import static org.openjdk.jcstress.annotations.Expect.FORBIDDEN;

/**
 * Two producers offer to an {@link AccessBuffer} while one of them, as the single consumer the
 * cache's lock makes of whoever holds it, drains it; the arbiter (after both, like the next holder
 * of the lock) drains what is left. The first producer offers events 1 then 2, the second offers
 * 3 and then drains. Every event offered {@code OK} must be drained exactly once, by the drain
 * that runs with the producers or by the final one; an event offered {@code FULL} (the two
 * producers' threads picked one stripe and collided on its CAS) must never be drained; and one
 * thread's events come out in the order it offered them.
 *
 * <p>Result: for events 1, 2 and 3, {@code 1} drained by the concurrent drain, {@code 2} by the
 * final drain, {@code 0} dropped as FULL and never drained; anything else (drained twice, lost,
 * or drained although refused) is a code above 2 or a mismatch with the offer. The fourth value is
 * 1 when event 2 came out before event 1.
 */
@JCStressTest
@Description("AccessBuffer: offers vs a concurrent drain, then a final drain")
@Outcome(id = "[12], [12], [12], 0", expect = ACCEPTABLE, desc = "every event drained exactly once, in its thread's order")
@Outcome(id = "(0, [012], [012]|[12], 0, [012]|[12], [12], 0), 0", expect = ACCEPTABLE_INTERESTING,
    desc = "an offer lost the stripe's CAS and was dropped (lossy by design), the rest drained once")
@Outcome(id = ".*, 1", expect = FORBIDDEN, desc = "one thread's events drained out of order")
@Outcome(expect = FORBIDDEN, desc = "an event drained twice, lost, or drained although refused")
@State
public class AccessBufferStress
{
    private static final int EVENTS = 3;

    private final AccessBuffer buffer = new AccessBuffer();
    private final int[] offered = new int[EVENTS + 1];
    private final long[] order = new long[2 * EVENTS + 2];
    private int drained;
    private final int[] drainedBy = new int[EVENTS + 1];

    /** The first producer: two events from one thread. */
    @Actor
    public void producer()
    {
        offered[1] = buffer.offer(1);
        offered[2] = buffer.offer(2);
    }

    /** The second producer, then the consumer of the moment. */
    @Actor
    public void producerThenConsumer()
    {
        offered[3] = buffer.offer(3);
        buffer.drain(event -> record(event, 1));
    }

    /**
     * The final drain, and the verdict per event.
     *
     * @param r {@code r1..r3} per event, {@code r4} the order check.
     */
    @Arbiter
    public void arbiter(final IIII_Result r)
    {
        buffer.drain(event -> record(event, 2));
        r.r1 = code(1);
        r.r2 = code(2);
        r.r3 = code(3);
        int first = -1;
        int second = -1;
        for (int i = 0; i < drained; i++)
        {
            first = order[i] == 1 && first < 0 ? i : first;
            second = order[i] == 2 && second < 0 ? i : second;
        }
        r.r4 = first >= 0 && second >= 0 && second < first ? 1 : 0;
    }

    private void record(final long event, final int drain)
    {
        if (drained < order.length)
        {
            order[drained++] = event;
        }
        if (event >= 1 && event <= EVENTS)
        {
            // a second drain of one event pushes the code past 2
            drainedBy[(int)event] = drainedBy[(int)event] == 0 ? drain : 3 + drainedBy[(int)event];
        }
        else
        {
            drainedBy[0]++;
        }
    }

    private int code(final int event)
    {
        final int by = drainedBy[event];
        if (drainedBy[0] != 0)
        {
            return 9; // an event nobody offered
        }
        if (offered[event] == AccessBuffer.OK)
        {
            return by == 0 ? 8 : by; // 8: offered OK, never drained
        }
        return by == 0 ? 0 : 7; // 7: refused, yet drained
    }
}
