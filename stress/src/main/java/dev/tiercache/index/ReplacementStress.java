package dev.tiercache.index;

import java.util.concurrent.atomic.AtomicLong;

import org.openjdk.jcstress.annotations.Actor;
import org.openjdk.jcstress.annotations.Arbiter;
import org.openjdk.jcstress.annotations.Description;
import org.openjdk.jcstress.annotations.JCStressTest;
import org.openjdk.jcstress.annotations.Outcome;
import org.openjdk.jcstress.annotations.State;
import org.openjdk.jcstress.infra.results.III_Result;

import static org.openjdk.jcstress.annotations.Expect.ACCEPTABLE;
import static org.openjdk.jcstress.annotations.Expect.ACCEPTABLE_INTERESTING;
import static org.openjdk.jcstress.annotations.Expect.FORBIDDEN;

/**
 * A move or replacing put while a reader looks the key up: the writer fills a replacement slot,
 * {@link EntryIndex#relink}s the key to it and {@link EntryIndex#retire}s the old slot; when the
 * retire says no pin is held it frees the old slot at once and reuses it for another key (free
 * list, new incarnation, {@link EntryIndex#link}). The reader does what {@code TierCache.acquire}
 * does once: {@link EntryIndex#findConcurrent}, {@link EntryIndex#tryPin}, check the key hash,
 * read the fields, {@link EntryIndex#unpin}.
 *
 * <p>The key is in the table throughout, so a validated miss is forbidden. A pinned slot's fields
 * are those of exactly one publication: the old entry, the replacement, or the other key's entry
 * (a stale slot number whose slot was reused; the caller sees the key hash differ and probes
 * again). Exactly one party owns the old slot's reclamation.
 *
 * <p>Result: {@code what the reader saw, owners of the old slot's reclamation, fields out of step}.
 */
@JCStressTest
@Description("relink + retire + free + reuse vs findConcurrent + tryPin + field reads")
@Outcome(id = "1, 1, 0", expect = ACCEPTABLE, desc = "RETRY: the probe overlapped the reuse's link")
@Outcome(id = "2, 1, 0", expect = ACCEPTABLE, desc = "found the old slot, retired or freed: the pin failed")
@Outcome(id = "3, 1, 0", expect = ACCEPTABLE, desc = "pinned the old entry, every field of that publication")
@Outcome(id = "4, 1, 0", expect = ACCEPTABLE, desc = "pinned the replacement, every field of that publication")
@Outcome(id = "5, 1, 0", expect = ACCEPTABLE_INTERESTING,
    desc = "pinned a reused slot (another key's entry, all of its fields): the caller's key check rejects it")
@Outcome(id = "0, .*", expect = FORBIDDEN, desc = "NOT_FOUND for a key that is present throughout")
@Outcome(id = "[1-5], [02-9], .*", expect = FORBIDDEN, desc = "the old slot reclaimed twice or never")
@Outcome(id = "[1-5], 1, [1-9][0-9]*", expect = FORBIDDEN, desc = "a pinned slot's fields from two publications")
@Outcome(expect = FORBIDDEN, desc = "any other outcome breaks the protocol")
@State
public class ReplacementStress
{
    private static final long KEY = 42;
    private static final long OTHER_KEY = 43;
    private static final AtomicLong STAMPS = new AtomicLong();

    private final EntryIndex index = IndexPool.take();
    private final long stamp = STAMPS.getAndAdd(3);
    private final int oldSlot = fill(index, KEY, stamp);
    private boolean writerOwns;
    private boolean readerOwns;

    /**
     * Builds the old entry: the state's constructor runs before the actors.
     */
    private static int fill(final EntryIndex index, final long key, final long stamp)
    {
        final int slot = filled(index, key, stamp);
        index.link(slot);
        return slot;
    }

    private static int filled(final EntryIndex index, final long key, final long stamp)
    {
        final int slot = index.allocate(key);
        index.location(slot, stamp);
        index.rawLength(slot, stamp);
        index.meta(slot, (stamp + 3) << 3);
        index.publish(slot);
        return slot;
    }

    /** The writer: replace, retire, and when it owns the old slot, free and reuse it. */
    @Actor
    public void writer()
    {
        final int replacement = filled(index, KEY, stamp + 1);
        index.relink(oldSlot, replacement);
        writerOwns = index.retire(oldSlot);
        if (writerOwns)
        {
            index.free(oldSlot);
            index.link(filled(index, OTHER_KEY, stamp + 2));
        }
    }

    /**
     * The reader, one attempt of {@code TierCache.acquire}.
     *
     * @param r {@code r1} 0 miss, 1 retry, 2 pin failed, 3 old, 4 replacement, 5 reused;
     *          {@code r3} 1 when the pinned slot's fields are not all from one publication.
     */
    @Actor
    public void reader(final III_Result r)
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
            final long key = index.keyHash(slot);
            final long seen = index.location(slot);
            final long expected = key == KEY ? (slot == oldSlot ? stamp : stamp + 1) : stamp + 2;
            r.r1 = key == OTHER_KEY ? 5 : slot == oldSlot ? 3 : 4;
            r.r3 = (key == KEY || key == OTHER_KEY) && seen == expected && index.rawLength(slot) == expected &&
                index.meta(slot) == (expected + 3) << 3 ? 0 : 1;
            readerOwns = index.unpin(slot) && slot == oldSlot && key == KEY;
        }
    }

    /**
     * After both: who owned the old slot's reclamation; then the owner (the test) frees what is left.
     *
     * @param r {@code r2} owners of the old slot's reclamation, 1 when correct.
     */
    @Arbiter
    public void arbiter(final III_Result r)
    {
        r.r2 = (writerOwns ? 1 : 0) + (readerOwns ? 1 : 0);
        IndexPool.giveBack(index);
    }
}
