package dev.tiercache.bench;


import dev.tiercache.store.SpaceAllocator;

import java.lang.reflect.Array;
import java.lang.reflect.Field;
import java.lang.reflect.Modifier;
import java.util.ArrayDeque;
import java.util.Arrays;
import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.SplittableRandom;

/**
 * The heap and speed figures behind {@code docs/decisions/0031-l2-bookkeeping-per-block.md} and
 * {@code 0033-block-starts-bitmap.md}: the shipped {@link SpaceAllocator} against
 * {@link RowSpaceAllocatorBaseline} (the row-per-block allocator of before 0031), in the same run,
 * on workloads in the L2 arena's shape (64-byte alignment). The allocator of 0031 (a map cell per
 * live block) is measured by running this class from a build of the commit before 0033.
 * <ul>
 *   <li><b>fill</b>: a million 8-byte requests into 128 MiB, nothing freed (the footprint
 *       report's million one-part entries);</li>
 *   <li><b>churn</b>: 512 MiB, sizes log-uniform in 64 B..16 KiB, a random live block freed while
 *       the requested bytes would pass 90 % (the cache's eviction), 300 000 requests;</li>
 *   <li><b>long churn</b>: the same for 2 000 000 requests, so that the timed half is long past
 *       the fill (whose blocks lie in row order, which favours the row-per-block allocator's
 *       locality while they last);</li>
 *   <li><b>large churn</b>: the same with sizes in 64 KiB..4 MiB, 40 000 requests: few live
 *       blocks (the bitmap of 0033 costs per byte of arena, not per block) and long ones (its
 *       {@code free} reads a word of it per 4 KiB of the block).</li>
 * </ul>
 * The heap figure is what the allocator reaches at the end of the workload, counted field by field
 * ({@link #reachableBytes}: exact and the same under every collector, unlike the heap used after a
 * {@code System.gc()}), divided by the live blocks then. The ns/call figure is
 * the best of five further runs of the same workload (after one warm-up round; the allocators take
 * turns), allocate and free calls together, the driver's own work included; for the churn only its
 * second half is timed, when the arena has been full for a while. Rough, not JMH
 * ({@code SpaceAllocatorBenchmark} in the bench module is), but both allocators run the same
 * workload in the same JVM.
 *
 * <h2>Running it</h2>
 * <pre>
 * ./mvnw -B -q package -pl bench -am -DskipTests -Dbench.smoke.skip=true -Dstress.skip=true
 * java -cp bench/target/benchmarks.jar dev.tiercache.bench.SpaceAllocatorHeapMeasurement
 * </pre>
 */
public final class SpaceAllocatorHeapMeasurement
{
    static final long ALIGNMENT_BYTES = 64;
    static final long SEED = 0x5EED_0031L;
    static final int TIMED_RUNS = 5;

    private record Workload(String name, long capacityBytes, int requests, boolean churn, long minBytes, long maxBytes)
    {
    }

    private SpaceAllocatorHeapMeasurement()
    {
    }

    private record Candidate(String name, String allocator)
    {
    }

    /**
     * Prints the table.
     *
     * @param args ignored.
     */
    public static void main(final String[] args)
    {
        final List<Workload> workloads = List.of(
            new Workload("fill 1M x 8 B, 128 MiB", 128L << 20, 1_000_000, false, 8, 8),
            new Workload("churn 64 B..16 KiB at 90 %, 512 MiB", 512L << 20, 300_000, true, 64, 16 << 10),
            new Workload("long churn, the same, 2 000 000 requests", 512L << 20, 2_000_000, true, 64, 16 << 10),
            new Workload("large churn 64 KiB..4 MiB at 90 %, 512 MiB", 512L << 20, 40_000, true, 64 << 10, 4 << 20));
        final List<Candidate> candidates = List.of(
            new Candidate("rows (before)", AllocatorUnderTest.ROWS),
            new Candidate("SpaceAllocator", AllocatorUnderTest.SHIPPED));
        System.out.println("| workload | allocator | live blocks | heap bytes | B per live block | ns per call |");
        System.out.println("|---|---|---:|---:|---:|---:|");
        for (final Workload workload : workloads)
        {
            final long[] heap = new long[candidates.size()];
            final int[] live = new int[candidates.size()];
            for (int c = 0; c < candidates.size(); c++)
            {
                heap[c] = heapOf(candidates.get(c), workload, live, c);
            }
            // interleaved rounds, the first one a warm-up, so that neither allocator runs colder
            final double[] bestNanos = new double[candidates.size()];
            Arrays.fill(bestNanos, Double.MAX_VALUE);
            for (int round = 0; round <= TIMED_RUNS; round++)
            {
                for (int c = 0; c < candidates.size(); c++)
                {
                    final double nanos = nanosPerCall(candidates.get(c), workload);
                    if (round > 0)
                    {
                        bestNanos[c] = Math.min(bestNanos[c], nanos);
                    }
                }
            }
            for (int c = 0; c < candidates.size(); c++)
            {
                System.out.printf(Locale.ROOT, "| %s | %s | %d | %d | %.2f | %.1f |%n",
                    workload.name(), candidates.get(c).name(), live[c], heap[c], (double)heap[c] / live[c], bestNanos[c]);
            }
        }
    }

    private static long heapOf(final Candidate candidate, final Workload workload, final int[] live, final int c)
    {
        final AllocatorUnderTest allocator = AllocatorUnderTest.of(candidate.allocator(), workload.capacityBytes(), ALIGNMENT_BYTES);
        run(allocator, workload);
        live[c] = allocator.liveBlocks();
        return reachableBytes(allocator.target());
    }

    private static double nanosPerCall(final Candidate candidate, final Workload workload)
    {
        final AllocatorUnderTest timed = AllocatorUnderTest.of(candidate.allocator(), workload.capacityBytes(), ALIGNMENT_BYTES);
        final long[] timing = new long[2];
        run(timed, workload, timing);
        return (double)timing[0] / timing[1];
    }

    private static void run(final AllocatorUnderTest allocator, final Workload workload)
    {
        run(allocator, workload, new long[2]);
    }

    /**
     * Runs the workload; {@code timing} gets the nanoseconds and the allocate and free calls of the
     * timed part: all of a fill, the second half of a churn (the steady state of a full arena).
     */
    private static void run(final AllocatorUnderTest allocator, final Workload workload, final long[] timing)
    {
        final int timedFrom = workload.churn() ? workload.requests() / 2 : 0;
        long start = System.nanoTime();
        long callsBefore = 0;
        final SplittableRandom rng = new SplittableRandom(SEED);
        final long[] liveOffsets = new long[workload.requests()];
        final long[] liveRequested = new long[workload.requests()];
        final long target = workload.capacityBytes() / 10 * 9;
        final double logMin = Math.log(workload.minBytes());
        final double logMax = Math.log(workload.maxBytes());
        int live = 0;
        long requested = 0;
        long calls = 0;
        for (int request = 0; request < workload.requests(); request++)
        {
            if (request == timedFrom)
            {
                start = System.nanoTime();
                callsBefore = calls;
            }
            final long size = workload.churn() ? (long)Math.exp(logMin + rng.nextDouble() * (logMax - logMin)) : workload.minBytes();
            while (workload.churn() && live > 0 && requested + size > target)
            {
                final int victim = rng.nextInt(live);
                allocator.free(liveOffsets[victim]);
                calls++;
                requested -= liveRequested[victim];
                live--;
                liveOffsets[victim] = liveOffsets[live];
                liveRequested[victim] = liveRequested[live];
            }
            long offset = allocator.allocate(size);
            calls++;
            while (offset == SpaceAllocator.FULL && live > 0)
            {
                // fragmentation: free more, as the cache's make-room loop evicts more
                final int victim = rng.nextInt(live);
                allocator.free(liveOffsets[victim]);
                requested -= liveRequested[victim];
                live--;
                liveOffsets[victim] = liveOffsets[live];
                liveRequested[victim] = liveRequested[live];
                offset = allocator.allocate(size);
                calls += 2;
            }
            if (offset == SpaceAllocator.FULL)
            {
                throw new IllegalStateException("FULL with nothing live at request " + request + ": " + allocator);
            }
            liveOffsets[live] = offset;
            liveRequested[live] = size;
            live++;
            requested += size;
        }
        timing[0] = System.nanoTime() - start;
        timing[1] = calls - callsBefore;
    }

    /**
     * The heap reachable from {@code root}, counted object by object in the layout of a 64-bit JVM
     * with compressed references (a heap under 32 GiB): an object is a 12-byte header plus its
     * fields, an array a 16-byte header plus its elements, each rounded up to 8 bytes. Objects of
     * the JDK's own classes other than arrays (class objects, strings) are not counted.
     */
    static long reachableBytes(final Object root)
    {
        final Set<Object> seen = Collections.newSetFromMap(new IdentityHashMap<>());
        final ArrayDeque<Object> pending = new ArrayDeque<>();
        pending.push(root);
        long bytes = 0;
        while (!pending.isEmpty())
        {
            final Object object = pending.pop();
            if (!seen.add(object))
            {
                continue;
            }
            final Class<?> type = object.getClass();
            if (type.isArray())
            {
                final int length = Array.getLength(object);
                final Class<?> element = type.getComponentType();
                bytes += align(16 + (long)length * sizeOf(element));
                if (!element.isPrimitive())
                {
                    for (int i = 0; i < length; i++)
                    {
                        final Object item = Array.get(object, i);
                        if (item != null)
                        {
                            pending.push(item);
                        }
                    }
                }
                continue;
            }
            if (type.getName().startsWith("java."))
            {
                continue;
            }
            long size = 12;
            for (Class<?> c = type; c != null; c = c.getSuperclass())
            {
                for (final Field field : c.getDeclaredFields())
                {
                    if (Modifier.isStatic(field.getModifiers()))
                    {
                        continue;
                    }
                    size += sizeOf(field.getType());
                    if (!field.getType().isPrimitive())
                    {
                        field.setAccessible(true);
                        try
                        {
                            final Object value = field.get(object);
                            if (value != null)
                            {
                                pending.push(value);
                            }
                        }
                        catch (final IllegalAccessException ex)
                        {
                            throw new IllegalStateException(ex);
                        }
                    }
                }
            }
            bytes += align(size);
        }
        return bytes;
    }

    private static long sizeOf(final Class<?> type)
    {
        if (type == long.class || type == double.class)
        {
            return 8;
        }
        if (type == int.class || type == float.class)
        {
            return 4;
        }
        if (type == short.class || type == char.class)
        {
            return 2;
        }
        if (type == byte.class || type == boolean.class)
        {
            return 1;
        }
        return 4;
    }

    private static long align(final long bytes)
    {
        return (bytes + 7) & ~7L;
    }
}
