package dev.tiercache.index;

import java.util.concurrent.atomic.AtomicLong;

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
 * The writer fills a new slot (location, raw length, meta, expiry; the key hash comes with
 * {@link EntryIndex#allocate}), {@link EntryIndex#publish}es and {@link EntryIndex#link}s it; a
 * reader looks the key up with {@link EntryIndex#findConcurrent}, pins what it found and reads the
 * fields. A pinned slot must show every field as written before publication, never the zeros
 * {@code allocate} wrote nor a previous incarnation's values: each state writes its own stamp, and
 * the pooled index's slots held other stamps before.
 *
 * <p>Result: {@code what the reader saw, the fields that were wrong (bits: 1 key hash, 2 location,
 * 4 raw length, 8 meta, 16 expiry, which lives in the slot's extension part)}.
 */
@JCStressTest
@Description("allocate, fill, publish, link vs findConcurrent + tryPin + field reads")
@Outcome(id = "0, 0", expect = ACCEPTABLE, desc = "not linked yet: a validated miss")
@Outcome(id = "1, 0", expect = ACCEPTABLE, desc = "the probe overlapped link: RETRY")
@Outcome(id = "3, 0", expect = ACCEPTABLE, desc = "found, pinned, every field as written")
@Outcome(id = "2, 0", expect = ACCEPTABLE_INTERESTING,
    desc = "found but the pin failed: the JMM allows it (the cell is read plainly), the caller probes again")
@Outcome(id = "3, [1-9][0-9]*", expect = FORBIDDEN, desc = "pinned, but a field is stale or zero")
@Outcome(expect = FORBIDDEN, desc = "any other outcome breaks the protocol")
@State
public class PublicationStress
{
    private static final long KEY = 42;
    private static final AtomicLong STAMPS = new AtomicLong();

    private final EntryIndex index = IndexPool.take();
    private final long stamp = STAMPS.incrementAndGet();

    /** The writer, under the cache's lock in real life. */
    @Actor
    public void writer()
    {
        final int slot = index.allocate(KEY);
        index.location(slot, stamp);
        index.rawLength(slot, stamp + 1);
        index.meta(slot, (stamp + 3) << 3);
        index.expiresAtNanos(slot, stamp + 5);
        index.publish(slot);
        index.link(slot);
    }

    /**
     * A reader without the lock.
     *
     * @param r {@code r1} 0 miss, 1 retry, 2 pin failed, 3 pinned; {@code r2} wrong fields.
     */
    @Actor
    public void reader(final II_Result r)
    {
        final int slot = index.findConcurrent(KEY);
        if (slot == EntryIndex.NOT_FOUND)
        {
            r.r1 = 0;
        }
        else if (slot == EntryIndex.RETRY)
        {
            r.r1 = 1;
        }
        else if (index.tryPin(slot) == EntryIndex.PIN_FAILED)
        {
            r.r1 = 2;
        }
        else
        {
            r.r1 = 3;
            r.r2 = (index.keyHash(slot) == KEY ? 0 : 1) |
                (index.location(slot) == stamp ? 0 : 2) |
                (index.rawLength(slot) == stamp + 1 ? 0 : 4) |
                (index.meta(slot) == (stamp + 3) << 3 ? 0 : 8) |
                (index.expiresAtNanos(slot) == stamp + 5 ? 0 : 16);
            index.unpin(slot);
        }
    }

    /** Returns the index to the pool. */
    @Arbiter
    public void arbiter()
    {
        IndexPool.giveBack(index);
    }
}
