package dev.tiercache;

import dev.tiercache.cuda.CudaLibrary;
import dev.tiercache.cuda.sim.SimulatedCuda;
import dev.tiercache.cuda.sim.SimulatedDeviceProfile;
import org.junit.jupiter.api.Test;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.concurrent.CyclicBarrier;

import static org.junit.jupiter.api.Assertions.fail;

/**
 * Linearizability of put / get / remove on a small key space, checked the way Lincheck and Knossos
 * do: record each operation's invocation and response times from several threads, then search for
 * a sequential order that respects real time and agrees with a plain map (Wing and Gong's
 * algorithm, memoised on the set of operations done and the map's state). The cache is large
 * enough never to evict, so a miss is only right when the map has no value.
 */
class TierCacheLinearizabilityTest
{
    private static final int THREADS = 3;
    private static final int OPS_PER_THREAD = 4;
    private static final int KEYS = 2;
    private static final int ROUNDS = Integer.getInteger("tiercache.lin.rounds", 300);

    /** 0 put, 1 get, 2 remove; {@code result}: the value read (0 for a miss) or 1/0 for remove. */
    record Event(int thread, int kind, int key, long value, long result, long invokedNanos, long respondedNanos)
    {
        @Override
        public String toString()
        {
            final String op = switch (kind)
            {
                case 0 -> "put(" + key + ", " + value + ")";
                case 1 -> "get(" + key + ") = " + (result == 0 ? "miss" : Long.toString(result));
                default -> "remove(" + key + ") = " + (result == 1);
            };
            return "T" + thread + " " + op + " [" + invokedNanos + ", " + respondedNanos + "]";
        }
    }

    @Test
    void putGetRemove_areLinearizable() throws Exception
    {
        CudaLibrary.location();
        SimulatedCuda.current().reset(SimulatedDeviceProfile.MX250);
        final long seed = Long.getLong("tiercache.seed", System.nanoTime());
        try (TierCache cache = TierCache.builder().deviceBytes(1 << 20).hostBytes(4 << 20).maxEntries(64).promoteToDeviceAfter(1).build())
        {
            for (int round = 0; round < ROUNDS; round++)
            {
                cache.clear();
                final List<Event> history = runRound(cache, new SplittableRandom(seed + round));
                if (!linearizable(history))
                {
                    history.sort((a, b) -> Long.compare(a.invokedNanos, b.invokedNanos));
                    fail("seed=" + (seed + round) + ": no linearization of\n  " +
                        String.join("\n  ", history.stream().map(Event::toString).toList()));
                }
            }
        }
        System.out.println("TierCacheLinearizabilityTest: " + ROUNDS + " histories from seed " + seed + " linearizable");
    }

    private static List<Event> runRound(final TierCache cache, final SplittableRandom random) throws Exception
    {
        final int[][] kinds = new int[THREADS][OPS_PER_THREAD];
        final int[][] keys = new int[THREADS][OPS_PER_THREAD];
        for (int t = 0; t < THREADS; t++)
        {
            for (int i = 0; i < OPS_PER_THREAD; i++)
            {
                final int roll = random.nextInt(10);
                kinds[t][i] = roll < 4 ? 0 : roll < 8 ? 1 : 2;
                keys[t][i] = random.nextInt(KEYS);
            }
        }
        final CyclicBarrier barrier = new CyclicBarrier(THREADS);
        final List<List<Event>> perThread = new ArrayList<>();
        final List<Thread> threads = new ArrayList<>();
        for (int t = 0; t < THREADS; t++)
        {
            final int thread = t;
            final List<Event> events = new ArrayList<>();
            perThread.add(events);
            threads.add(Thread.ofPlatform().start(() ->
            {
                try
                {
                    final MemorySegment buffer = Arena.ofAuto().allocate(Long.BYTES);
                    barrier.await();
                    for (int i = 0; i < OPS_PER_THREAD; i++)
                    {
                        final int key = keys[thread][i];
                        final long value = (thread + 1) * 100L + i + 1;
                        final long invoked = System.nanoTime();
                        long result = 0;
                        switch (kinds[thread][i])
                        {
                            case 0 ->
                            {
                                buffer.set(ValueLayout.JAVA_LONG_UNALIGNED, 0, value);
                                cache.put(key, buffer);
                            }
                            case 1 ->
                            {
                                try (EntryHandle handle = cache.get(key))
                                {
                                    if (handle != null)
                                    {
                                        final MemorySegment out = Arena.ofAuto().allocate(Long.BYTES);
                                        handle.copyTo(0, out);
                                        result = out.get(ValueLayout.JAVA_LONG_UNALIGNED, 0);
                                    }
                                }
                            }
                            default -> result = cache.remove(key) ? 1 : 0;
                        }
                        events.add(new Event(thread, kinds[thread][i], key, value, result, invoked, System.nanoTime()));
                    }
                }
                catch (final Exception ex)
                {
                    throw new IllegalStateException(ex);
                }
            }));
        }
        for (final Thread thread : threads)
        {
            thread.join();
        }
        final List<Event> all = new ArrayList<>();
        perThread.forEach(all::addAll);
        return all;
    }

    static boolean linearizable(final List<Event> history)
    {
        return search(history, 0, new long[KEYS], new HashSet<>());
    }

    private static boolean search(final List<Event> history, final int done, final long[] map, final Set<String> seen)
    {
        if (done == (1 << history.size()) - 1)
        {
            return true;
        }
        if (!seen.add(done + Arrays.toString(map)))
        {
            return false;
        }
        long earliestResponse = Long.MAX_VALUE;
        for (int i = 0; i < history.size(); i++)
        {
            if ((done & (1 << i)) == 0)
            {
                earliestResponse = Math.min(earliestResponse, history.get(i).respondedNanos);
            }
        }
        for (int i = 0; i < history.size(); i++)
        {
            final Event event = history.get(i);
            // only an operation invoked before every pending one has responded can go next
            if ((done & (1 << i)) != 0 || event.invokedNanos > earliestResponse)
            {
                continue;
            }
            final long[] next = map.clone();
            final boolean consistent = switch (event.kind)
            {
                case 0 ->
                {
                    next[event.key] = event.value;
                    yield true;
                }
                case 1 -> map[event.key] == event.result;
                default ->
                {
                    next[event.key] = 0;
                    yield (map[event.key] != 0) == (event.result == 1);
                }
            };
            if (consistent && search(history, done | (1 << i), next, seen))
            {
                return true;
            }
        }
        return false;
    }

    @Test
    void checker_rejectsANonLinearizableHistory()
    {
        // T0 puts 101 and returns before T1 starts; T1 then reads a miss: impossible
        final List<Event> history = List.of(
            new Event(0, 0, 0, 101, 0, 0, 10),
            new Event(1, 1, 0, 0, 0, 20, 30));
        if (linearizable(history))
        {
            fail("the checker accepted a stale read");
        }
        final List<Event> overlapping = List.of(
            new Event(0, 0, 0, 101, 0, 0, 30),
            new Event(1, 1, 0, 0, 0, 10, 20));
        if (!linearizable(overlapping))
        {
            fail("the checker rejected a read that overlapped the put");
        }
    }
}
