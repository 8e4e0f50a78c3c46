package dev.tiercache.policy;

import org.agrona.collections.Long2LongHashMap;

import java.util.Arrays;

/**
 * A key-only LRU over a hash-sampled fraction of the key space, with its capacity scaled by the
 * same fraction: it estimates what plain LRU would hit on the real stream at a fraction of the
 * cost (set sampling, as in cache set dueling). The adaptive policy compares its own hits on the
 * same sampled keys with this estimate.
 *
 * <p>Everything is allocated at construction: the arrays for {@link #capacity()} keys (at most
 * 511 while the cache's capacity is below {@code 2^25}), the map with the fewest buckets whose
 * resize threshold is not below that capacity (the shadow holds at most that many keys: it
 * evicts before it inserts), so the map never resizes; {@link #access} allocates nothing. Not
 * thread-safe.
 */
final class SampledLruShadow
{
    private static final int TARGET_CAPACITY = 256;
    private static final int NIL = -1;
    private static final float LOAD_FACTOR = 0.65f;

    private final int sampleShift;
    private final int capacity;
    private final long[] keys;
    private final int[] prev;
    private final int[] next;
    private final Long2LongHashMap slots;
    private int head = NIL;
    private int tail = NIL;
    private int size;

    /**
     * @param cacheCapacity the real cache's capacity in entries.
     */
    SampledLruShadow(final int cacheCapacity)
    {
        this.sampleShift = sampleShift(cacheCapacity);
        this.capacity = capacityFor(cacheCapacity);
        this.keys = new long[capacity];
        this.prev = new int[capacity];
        this.next = new int[capacity];
        Arrays.fill(prev, NIL);
        Arrays.fill(next, NIL);
        this.slots = new Long2LongHashMap(mapCapacityFor(capacity), LOAD_FACTOR, NIL);
    }

    /**
     * The capacity a shadow for a cache of {@code cacheCapacity} entries has.
     *
     * @param cacheCapacity the real cache's capacity in entries.
     * @return entries.
     */
    static int capacityFor(final int cacheCapacity)
    {
        return Math.max(1, cacheCapacity >> sampleShift(cacheCapacity));
    }

    /**
     * The map's initial capacity for a shadow of {@code keys} keys: one whose resize threshold
     * ({@code buckets * loadFactor}, buckets the next power of two) is at least {@code keys}.
     *
     * @param keys the shadow's capacity.
     * @return the capacity to ask the map for.
     */
    private static int mapCapacityFor(final int keys)
    {
        return (int)Math.ceil(keys / (double)LOAD_FACTOR);
    }

    /**
     * The heap the shadow holds, all of it allocated at construction: its key and link arrays and
     * its map.
     *
     * @return bytes (see {@link HeapBytes}).
     */
    long heapBytes()
    {
        return HeapBytes.longs(keys.length) + HeapBytes.ints(prev.length) + HeapBytes.ints(next.length) + HeapBytes.of(slots);
    }

    /**
     * The map's resize threshold, for tests: never below {@link #capacity()}.
     *
     * @return entries.
     */
    int mapResizeThreshold()
    {
        return slots.resizeThreshold();
    }

    private static int sampleShift(final int cacheCapacity)
    {
        int shift = 0;
        while (shift < 16 && (cacheCapacity >> (shift + 1)) >= TARGET_CAPACITY)
        {
            shift++;
        }
        return shift;
    }

    /**
     * The shadow's capacity: the cache's, scaled by the sampled fraction.
     *
     * @return entries.
     */
    int capacity()
    {
        return capacity;
    }

    /**
     * Whether a key belongs to the sample.
     *
     * @param keyHash the key's hash.
     * @return {@code true} when its requests are compared.
     */
    boolean isSampled(final long keyHash)
    {
        if (sampleShift == 0)
        {
            return true;
        }
        long z = keyHash * 0xD6E8_FEB8_6659_FD93L;
        z ^= z >>> 32;
        z *= 0xD6E8_FEB8_6659_FD93L;
        return (z >>> (64 - sampleShift)) == 0;
    }

    /**
     * Replays one request of a sampled key.
     *
     * @param keyHash the key's hash.
     * @return {@code true} when LRU would have hit.
     */
    boolean access(final long keyHash)
    {
        final int slot = (int)slots.get(keyHash);
        if (slot != NIL)
        {
            if (slot != head)
            {
                unlink(slot);
                linkFirst(slot);
            }
            return true;
        }
        final int fresh;
        if (size < capacity)
        {
            fresh = size++;
        }
        else
        {
            fresh = tail;
            unlink(fresh);
            slots.remove(keys[fresh]);
        }
        keys[fresh] = keyHash;
        slots.put(keyHash, fresh);
        linkFirst(fresh);
        return false;
    }

    private void unlink(final int slot)
    {
        final int p = prev[slot];
        final int n = next[slot];
        if (p == NIL)
        {
            head = n;
        }
        else
        {
            next[p] = n;
        }
        if (n == NIL)
        {
            tail = p;
        }
        else
        {
            prev[n] = p;
        }
    }

    private void linkFirst(final int slot)
    {
        prev[slot] = NIL;
        next[slot] = head;
        if (head == NIL)
        {
            tail = slot;
        }
        else
        {
            prev[head] = slot;
        }
        head = slot;
    }
}
