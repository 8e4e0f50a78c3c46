package dev.tiercache.index;

import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * The packed slot against a model: neighbouring slots get random values over each field's whole
 * range, set in a random order, and every field of every slot must read back what was set last,
 * so no field bleeds into another or into a neighbour. Seeded; a failure prints the seed and
 * shrinks to the fewest slots and writes that still fail.
 */
class SlotFieldsModelTest
{
    private static final int CASES = 300;
    private static final int FIELDS = 10;

    @Test
    void everyFieldReadsBackWhatWasSet_overTheWholeRange()
    {
        final long seed = Long.getLong("tiercache.test.seed", System.nanoTime());
        System.out.println("SlotFieldsModelTest seed=" + seed);
        final Random seeds = new Random(seed);
        for (int c = 0; c < CASES; c++)
        {
            final long caseSeed = seeds.nextLong();
            final int slots = 1 + seeds.nextInt(200);
            final int writes = slots * (1 + seeds.nextInt(12));
            final String failure = run(caseSeed, slots, writes);
            if (failure != null)
            {
                // shrink: the fewest writes, then the fewest slots, that still fail
                int w = writes;
                int s = slots;
                while (w > 1 && run(caseSeed, s, w / 2) != null)
                {
                    w /= 2;
                }
                while (s > 1 && run(caseSeed, s / 2, w) != null)
                {
                    s /= 2;
                }
                fail("seed=" + seed + " case=" + c + " shrunk to slots=" + s + " writes=" + w + ": " + run(caseSeed, s, w));
            }
        }
    }

    @Test
    void slotsWithoutExpirySequenceOrBacking_touchNoExtension()
    {
        try (EntryIndex index = new EntryIndex(10_000))
        {
            for (int i = 0; i < 10_000; i++)
            {
                final int slot = index.allocate(i);
                index.level(slot, IndexSlotDescriptor.LEVEL_L2);
                index.location(slot, 64L * i);
                index.rawLength(slot, 8);
                index.expiresAtNanos(slot, 0);
                index.fileSequence(slot, 0);
                index.backing(slot, IndexSlotDescriptor.NO_BACKING, 0);
                index.publish(slot);
                index.link(slot);
            }
            assertEquals(0, index.extensionBytes());
            assertEquals(10_000L * IndexSlotDescriptor.SLOT_LENGTH + (long)index.tableLength() * EntryIndex.CELL_LENGTH, index.nativeBytes());
            final int slot = index.find(9_999);
            index.backing(slot, 4096, 3);
            assertEquals(4096, index.extensionBytes(), "one page of the extension, for the one slot that has a backing");
        }
    }

    /** Runs one case; returns a description of the first mismatch, or null. */
    private static String run(final long seed, final int slots, final int writes)
    {
        final Random random = new Random(seed);
        try (EntryIndex index = new EntryIndex(slots))
        {
            final long[][] model = new long[slots][FIELDS];
            for (int s = 0; s < slots; s++)
            {
                final int slot = index.allocate(random.nextLong());
                if (slot != s)
                {
                    return "allocate gave slot " + slot + ", expected " + s;
                }
                model[s] = new long[] {-1, 0, 0, 0, 0, 0, 0, IndexSlotDescriptor.NO_BACKING, 0, 0};
                model[s][9] = index.keyHash(s);
            }
            final List<int[]> order = new ArrayList<>();
            for (int w = 0; w < writes; w++)
            {
                order.add(new int[] {random.nextInt(slots), random.nextInt(FIELDS - 1)});
            }
            Collections.shuffle(order, random);
            for (final int[] write : order)
            {
                set(index, model[write[0]], write[0], write[1], random);
            }
            for (int s = 0; s < slots; s++)
            {
                final long[] actual = {
                    index.level(s), index.location(s), index.rawLength(s), index.meta(s), index.expiresAtNanos(s),
                    index.fileSequence(s), index.flags(s), index.backingLocation(s), index.accessCount(s), index.keyHash(s)};
                for (int f = 0; f < FIELDS; f++)
                {
                    if (actual[f] != model[s][f])
                    {
                        return "slot " + s + " field " + f + " reads " + actual[f] + ", expected " + model[s][f];
                    }
                }
                if (index.backingLocation(s) != IndexSlotDescriptor.NO_BACKING && index.backingSequence(s) != model[s][7] + 1)
                {
                    return "slot " + s + " backing sequence " + index.backingSequence(s);
                }
                if (index.state(s) != IndexSlotDescriptor.STATE_RESERVED)
                {
                    return "slot " + s + " state " + index.state(s);
                }
            }
            return null;
        }
    }

    private static void set(final EntryIndex index, final long[] model, final int slot, final int field, final Random random)
    {
        switch (field)
        {
            case 0 ->
            {
                final byte level = (byte)(random.nextInt(4) - 1);
                index.level(slot, level);
                model[0] = level;
            }
            case 1 ->
            {
                final long location = edge(random, IndexSlotDescriptor.MAX_LOCATION);
                index.location(slot, location);
                model[1] = location;
            }
            case 2 ->
            {
                final long length = edge(random, IndexSlotDescriptor.MAX_RAW_LENGTH);
                index.rawLength(slot, length);
                model[2] = length;
            }
            case 3 ->
            {
                final long meta = edge(random, (IndexSlotDescriptor.MAX_META_OFFSET >>> 3) - 1) << 3;
                index.meta(slot, meta);
                model[3] = meta;
            }
            case 4 ->
            {
                final long expiry = random.nextInt(3) == 0 ? 0 : random.nextLong();
                index.expiresAtNanos(slot, expiry);
                model[4] = expiry;
            }
            case 5 ->
            {
                final long sequence = random.nextInt(3) == 0 ? 0 : random.nextLong();
                index.fileSequence(slot, sequence);
                model[5] = sequence;
            }
            case 6 ->
            {
                final byte flags = (byte)random.nextInt(IndexSlotDescriptor.CACHE_FLAGS + 1);
                index.flags(slot, flags);
                model[6] = flags;
            }
            case 7 ->
            {
                final long location = random.nextInt(3) == 0 ? IndexSlotDescriptor.NO_BACKING : edge(random, Long.MAX_VALUE - 1);
                index.backing(slot, location, location + 1);
                model[7] = location;
            }
            default ->
            {
                final int count = random.nextInt(3) == 0 ? IndexSlotDescriptor.MAX_ACCESS_COUNT + random.nextInt(1000) : random.nextInt(70_000);
                index.accessCount(slot, count);
                model[8] = Math.min(count, IndexSlotDescriptor.MAX_ACCESS_COUNT);
            }
        }
    }

    /** A value in [0, max], often one of its edges, where packing goes wrong. */
    private static long edge(final Random random, final long max)
    {
        return switch (random.nextInt(4))
        {
            case 0 -> max;
            case 1 -> random.nextInt(2);
            case 2 -> max - random.nextInt(2);
            default -> random.nextLong(max + 1);
        };
    }
}
