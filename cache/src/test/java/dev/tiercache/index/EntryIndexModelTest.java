package dev.tiercache.index;

import org.junit.jupiter.api.Test;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.HashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.fail;

/**
 * Model test: random operation sequences run against the index and against a plain model (a
 * {@code HashMap} and two {@code ArrayDeque}s); after every operation the key table and both lists
 * must agree with the model. A failure prints the seed and an operation list shrunk by delta
 * debugging; {@code -Dtiercache.seed=N} replays one seed. The key table starts at two cells, so
 * the sequences grow it many times.
 */
class EntryIndexModelTest
{
    private static final int CASES = 400;
    private static final int OPS = 300;

    enum Kind
    {
        INSERT, REMOVE, FIND, ADD_FIRST, ADD_LAST, MOVE_TO_FRONT, MOVE_TO_BACK, LIST_REMOVE, POLL_LAST
    }

    record Op(Kind kind, long key, int list)
    {
        @Override
        public String toString()
        {
            return kind + "(" + key + (kind == Kind.INSERT || kind == Kind.REMOVE || kind == Kind.FIND ? "" : ", list" + list) + ")";
        }
    }

    @Test
    void randomOperations_matchModel()
    {
        final String replay = System.getProperty("tiercache.seed");
        final long base = replay != null ? Long.parseLong(replay) : new SplittableRandom().nextLong();
        final int cases = replay != null ? 1 : CASES;
        for (int c = 0; c < cases; c++)
        {
            final long seed = base + c;
            final SplittableRandom random = new SplittableRandom(seed);
            final int capacity = 1 + random.nextInt(random.nextBoolean() ? 16 : 64);
            final List<Op> ops = generate(random, capacity);
            final String failure = run(capacity, ops);
            if (failure != null)
            {
                final List<Op> shrunk = shrink(capacity, ops);
                fail("seed=" + seed + " (replay with -Dtiercache.seed=" + seed + ") capacity=" + capacity
                    + ": " + failure + "\nshrunk ops (" + shrunk.size() + "): " + shrunk + "\nfailure: " + run(capacity, shrunk));
            }
        }
    }

    private static List<Op> generate(final SplittableRandom random, final int capacity)
    {
        final long[] keys = new long[capacity * 2 + 1];
        for (int i = 0; i < keys.length; i++)
        {
            keys[i] = random.nextInt(4) == 0 ? random.nextLong() : i;
        }
        final List<Op> ops = new ArrayList<>();
        final Kind[] kinds = Kind.values();
        for (int i = 0; i < OPS; i++)
        {
            ops.add(new Op(kinds[random.nextInt(kinds.length)], keys[random.nextInt(keys.length)], random.nextInt(2)));
        }
        return ops;
    }

    private static List<Op> shrink(final int capacity, final List<Op> failing)
    {
        List<Op> current = failing;
        int chunk = Math.max(1, current.size() / 2);
        while (chunk >= 1)
        {
            boolean removed = false;
            for (int start = 0; start < current.size(); start += chunk)
            {
                final List<Op> candidate = new ArrayList<>(current.subList(0, start));
                candidate.addAll(current.subList(Math.min(current.size(), start + chunk), current.size()));
                if (run(capacity, candidate) != null)
                {
                    current = candidate;
                    removed = true;
                    start -= chunk;
                }
            }
            if (!removed)
            {
                chunk /= 2;
            }
        }
        return current;
    }

    private static String run(final int capacity, final List<Op> ops)
    {
        try (EntryIndex index = new EntryIndex(capacity, 2))
        {
            final SlotList[] lists = {index.newList(), index.newList()};
            final Map<Long, Integer> slots = new HashMap<>();
            final List<Deque<Long>> model = List.of(new ArrayDeque<>(), new ArrayDeque<>());
            for (int i = 0; i < ops.size(); i++)
            {
                final Op op = ops.get(i);
                final Integer slot = slots.get(op.key());
                final Deque<Long> deque = model.get(op.list());
                final SlotList list = lists[op.list()];
                final boolean onList = slot != null && deque.contains(op.key());
                final boolean onAnyList = slot != null && (model.get(0).contains(op.key()) || model.get(1).contains(op.key()));
                switch (op.kind())
                {
                    case INSERT ->
                    {
                        if (slot != null)
                        {
                            try
                            {
                                index.insert(op.key());
                                return "op " + i + " " + op + ": insert of a present key did not throw";
                            }
                            catch (final IllegalArgumentException expected)
                            {
                                break;
                            }
                        }
                        final int inserted = index.insert(op.key());
                        if (slots.size() == capacity)
                        {
                            if (inserted != EntryIndex.FULL)
                            {
                                return "op " + i + " " + op + ": expected FULL, got " + inserted;
                            }
                        }
                        else
                        {
                            if (inserted < 0 || slots.containsValue(inserted))
                            {
                                return "op " + i + " " + op + ": got slot " + inserted;
                            }
                            slots.put(op.key(), inserted);
                        }
                    }
                    case REMOVE ->
                    {
                        if (slot != null)
                        {
                            index.remove(slot);
                            slots.remove(op.key());
                            model.get(0).remove(op.key());
                            model.get(1).remove(op.key());
                        }
                    }
                    case FIND ->
                    {
                        final int found = index.find(op.key());
                        final int expected = slot == null ? EntryIndex.NOT_FOUND : slot;
                        if (found != expected)
                        {
                            return "op " + i + " " + op + ": find=" + found + " expected " + expected;
                        }
                    }
                    case ADD_FIRST, ADD_LAST ->
                    {
                        if (slot != null && !onAnyList)
                        {
                            if (op.kind() == Kind.ADD_FIRST)
                            {
                                list.addFirst(slot);
                                deque.addFirst(op.key());
                            }
                            else
                            {
                                list.addLast(slot);
                                deque.addLast(op.key());
                            }
                        }
                    }
                    case MOVE_TO_FRONT, MOVE_TO_BACK, LIST_REMOVE ->
                    {
                        if (onList)
                        {
                            deque.remove(op.key());
                            if (op.kind() == Kind.MOVE_TO_FRONT)
                            {
                                list.moveToFront(slot);
                                deque.addFirst(op.key());
                            }
                            else if (op.kind() == Kind.MOVE_TO_BACK)
                            {
                                list.moveToBack(slot);
                                deque.addLast(op.key());
                            }
                            else
                            {
                                list.remove(slot);
                            }
                        }
                    }
                    case POLL_LAST ->
                    {
                        final int polled = list.pollLast();
                        final Long expected = deque.pollLast();
                        final int expectedSlot = expected == null ? IndexSlotDescriptor.NIL : slots.get(expected);
                        if (polled != expectedSlot)
                        {
                            return "op " + i + " " + op + ": pollLast=" + polled + " expected " + expectedSlot;
                        }
                    }
                }
                final String mismatch = compare(index, lists, slots, model);
                if (mismatch != null)
                {
                    return "after op " + i + " " + op + ": " + mismatch;
                }
            }
            return null;
        }
        catch (final RuntimeException ex)
        {
            return "threw " + ex;
        }
    }

    private static String compare(
        final EntryIndex index, final SlotList[] lists, final Map<Long, Integer> slots, final List<Deque<Long>> model)
    {
        if (index.size() != slots.size())
        {
            return "size=" + index.size() + " expected " + slots.size();
        }
        for (final Map.Entry<Long, Integer> entry : slots.entrySet())
        {
            if (index.find(entry.getKey()) != entry.getValue())
            {
                return "find(" + entry.getKey() + ")=" + index.find(entry.getKey()) + " expected " + entry.getValue();
            }
        }
        for (int l = 0; l < lists.length; l++)
        {
            final SlotList list = lists[l];
            final Deque<Long> deque = model.get(l);
            if (list.size() != deque.size())
            {
                return "list" + l + " size=" + list.size() + " expected " + deque.size();
            }
            int slot = list.first();
            for (final long key : deque)
            {
                if (slot != slots.get(key))
                {
                    return "list" + l + " forward order differs at key " + key;
                }
                slot = list.next(slot);
            }
            if (slot != IndexSlotDescriptor.NIL)
            {
                return "list" + l + " longer than model";
            }
            slot = list.last();
            final Iterator<Long> backwards = deque.descendingIterator();
            while (backwards.hasNext())
            {
                if (slot != slots.get(backwards.next()))
                {
                    return "list" + l + " backward order differs";
                }
                slot = list.prev(slot);
            }
        }
        return null;
    }
}
