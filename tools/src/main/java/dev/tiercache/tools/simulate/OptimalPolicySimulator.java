package dev.tiercache.tools.simulate;

import org.agrona.collections.Int2IntHashMap;
import org.agrona.collections.Long2LongHashMap;

import java.util.Arrays;

/**
 * Belady's optimum, offline: on a miss in a full cache, evict the resident whose next request
 * lies furthest ahead, or leave the newcomer out when its own next request is further still (or
 * never comes). For unit-size requests that is the exact optimum of hits; for sized requests it is
 * the usual furthest-next-use heuristic, not an exact optimum (that problem is NP-hard).
 *
 * <h2>Cost</h2>
 * O(n log n): one backward pass computes each request's next use; residents sit in a binary
 * max-heap of {@code nextUse << 32 | id} longs, with stale entries (a resident's next use moved
 * on, or it was evicted) discarded when they surface. Memory: about 24 bytes per request.
 */
public final class OptimalPolicySimulator
{
    /** Name under which {@code tiercache simulate} offers it. */
    public static final String NAME = "opt";

    private OptimalPolicySimulator()
    {
    }

    /** Numbers the keys densely in order of first request; 8 bytes a distinct key in the map (before load). */
    private static int intIds(final Trace trace, final int[] ids)
    {
        final Int2IntHashMap idOf = new Int2IntHashMap(Math.max(16, trace.distinctKeys() * 2), 0.65f, -1);
        for (int i = 0; i < ids.length; i++)
        {
            final int key = (int)trace.key(i);
            int id = idOf.get(key);
            if (id < 0)
            {
                id = idOf.size();
                idOf.put(key, id);
            }
            ids[i] = id;
        }
        return idOf.size();
    }

    private static int longIds(final Trace trace, final int[] ids)
    {
        final Long2LongHashMap idOf = new Long2LongHashMap(Math.max(16, trace.distinctKeys() * 2), 0.65f, -1);
        for (int i = 0; i < ids.length; i++)
        {
            long id = idOf.get(trace.key(i));
            if (id < 0)
            {
                id = idOf.size();
                idOf.put(trace.key(i), id);
            }
            ids[i] = (int)id;
        }
        return idOf.size();
    }

    /**
     * Replays the trace with perfect knowledge of the future.
     *
     * @param trace    the requests.
     * @param capacity entries, or bytes for a sized trace, {@code >= 1}.
     * @return the counts.
     */
    public static SimulationResult run(final Trace trace, final long capacity)
    {
        if (capacity < 1)
        {
            throw new IllegalArgumentException("capacity=" + capacity + " < 1");
        }
        final int n = trace.length();
        final int[] ids = new int[n];
        final int distinct = trace.hasIntKeys() ? intIds(trace, ids) : longIds(trace, ids);
        final int[] nextUse = new int[n];
        final int[] later = new int[distinct];
        Arrays.fill(later, n);
        for (int i = n - 1; i >= 0; i--)
        {
            nextUse[i] = later[ids[i]];
            later[ids[i]] = i;
        }

        final int[] residentNext = later;
        Arrays.fill(residentNext, -1);
        final long[] sizeOf = new long[distinct];
        final long[] heap = new long[n + 1];
        int heapSize = 0;
        long used = 0;
        long hits = 0;
        long requestedBytes = 0;
        long hitBytes = 0;
        for (int i = 0; i < n; i++)
        {
            final int id = ids[i];
            final long size = trace.size(i);
            final int next = nextUse[i];
            requestedBytes += size;
            if (residentNext[id] >= 0)
            {
                hits++;
                hitBytes += size;
                residentNext[id] = next;
                heapSize = push(heap, heapSize, next, id);
                continue;
            }
            if (next == n || size > capacity)
            {
                continue;
            }
            boolean admit = true;
            while (used + size > capacity)
            {
                while (true)
                {
                    final long top = heap[0];
                    final int topId = (int)top;
                    if (residentNext[topId] == (int)(top >>> 32))
                    {
                        break;
                    }
                    heapSize = pop(heap, heapSize);
                }
                final long top = heap[0];
                if ((int)(top >>> 32) <= next)
                {
                    admit = false;
                    break;
                }
                final int victim = (int)top;
                heapSize = pop(heap, heapSize);
                residentNext[victim] = -1;
                used -= sizeOf[victim];
            }
            if (admit)
            {
                residentNext[id] = next;
                sizeOf[id] = size;
                used += size;
                heapSize = push(heap, heapSize, next, id);
            }
        }
        return new SimulationResult(trace.name(), NAME, capacity, n, hits, requestedBytes, hitBytes);
    }

    private static int push(final long[] heap, final int size, final int next, final int id)
    {
        final long value = ((long)next << 32) | id;
        int i = size;
        while (i > 0)
        {
            final int parent = (i - 1) >>> 1;
            if (heap[parent] >= value)
            {
                break;
            }
            heap[i] = heap[parent];
            i = parent;
        }
        heap[i] = value;
        return size + 1;
    }

    private static int pop(final long[] heap, final int size)
    {
        final int last = size - 1;
        final long value = heap[last];
        int i = 0;
        while (true)
        {
            final int child = 2 * i + 1;
            if (child >= last)
            {
                break;
            }
            final int larger = child + 1 < last && heap[child + 1] > heap[child] ? child + 1 : child;
            if (heap[larger] <= value)
            {
                break;
            }
            heap[i] = heap[larger];
            i = larger;
        }
        heap[i] = value;
        return last;
    }
}
