package dev.tiercache.store;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledIfSystemProperty;

import java.util.List;
import java.util.Locale;
import java.util.SplittableRandom;
import java.util.function.ToLongFunction;

/**
 * The fragmentation and speed figures behind {@code docs/decisions/0002-space-allocator.md}:
 * each candidate allocator runs the same churn, and a table of the results is printed.
 *
 * <h2>Workload</h2>
 * A 512 MiB space with 256-byte alignment (the device arena's shape). Each request draws a size
 * from the mix; while the live requested bytes plus the new request would pass the target
 * occupancy, a random live block is freed (the cache's eviction). Then the request is allocated;
 * when the allocator answers {@code FULL}, that counts as a failure, as a failure "despite space"
 * when the free bytes could have held it, and random blocks are freed until it fits. Figures are
 * sampled every 16 requests after a warm-up: external fragmentation {@code 1 - largestFree/free},
 * internal waste {@code (used - requested) / used}, achieved occupancy {@code requested/capacity}.
 * The ns/op figure is a second, unsampled run of the same churn divided by the allocate and free
 * calls made, the driver's own work included: rough, not JMH.
 *
 * <h2>Running it</h2>
 * Disabled by default; the decision record names the command:
 * <pre>
 * ./mvnw -B -q -pl cache -am verify -Dtest=SpaceAllocatorMeasurement \
 *     -Dsurefire.failIfNoSpecifiedTests=false -Dtiercache.measure=true
 * cat cache/target/surefire-reports/dev.tiercache.store.SpaceAllocatorMeasurement-output.txt
 * </pre>
 */
class SpaceAllocatorMeasurement
{
    static final long CAPACITY_BYTES = 512L << 20;
    static final long ALIGNMENT_BYTES = 256;
    static final int WARM_UP_REQUESTS = 50_000;
    static final int MEASURED_REQUESTS = 200_000;
    static final int SAMPLE_EVERY_REQUESTS = 16;
    static final int TIMED_RUNS = 5;
    static final long SEED = 0x5EED_A110CL;

    private record Mix(String name, ToLongFunction<SplittableRandom> sizes)
    {
    }

    @FunctionalInterface
    private interface Factory
    {
        SpaceAllocatorCandidate create(long capacityBytes, long alignmentBytes);
    }

    private static final class Churn
    {
        long requests;
        long failed;
        long failedDespiteSpace;
        long calls;
        long samples;
        double fragmentationSum;
        double wasteSum;
        double occupancySum;
    }

    @Test
    @EnabledIfSystemProperty(named = "tiercache.measure", matches = "true")
    void printFragmentationTable()
    {
        main(new String[0]);
    }

    /**
     * Prints the table.
     *
     * @param args optional target occupancies, e.g. {@code 0.85}; {@code 0.8 0.85 0.9} when none.
     */
    public static void main(final String[] args)
    {
        final double[] occupancies = args.length == 0 ? new double[] {0.8, 0.85, 0.9} : new double[args.length];
        for (int i = 0; i < args.length; i++)
        {
            occupancies[i] = Double.parseDouble(args[i]);
        }
        final double logMin = Math.log(1024);
        final double logMax = Math.log(4 << 20);
        final List<Mix> mixes = List.of(
            new Mix("uniform 150 KiB", rng -> 150 << 10),
            new Mix("uniform 1 MiB", rng -> 1 << 20),
            new Mix("log-uniform 1 KiB..4 MiB", rng -> (long)Math.exp(logMin + rng.nextDouble() * (logMax - logMin))));
        final List<Factory> candidates = List.of(
            SpaceAllocatorCandidate::segregatedFit,
            SpaceAllocatorBuddyCandidate::new,
            SpaceAllocatorBestFitCandidate::new);

        System.out.printf(Locale.ROOT, "capacity=%d MiB alignment=%d warmUp=%d measured=%d seed=%d%n",
            CAPACITY_BYTES >> 20, ALIGNMENT_BYTES, WARM_UP_REQUESTS, MEASURED_REQUESTS, SEED);
        System.out.println("| mix | target | candidate | ext. fragmentation | failed | failed despite space | " +
            "internal waste | occupancy | ns/op |");
        System.out.println("|---|---|---|---|---|---|---|---|---|");
        for (final double occupancy : occupancies)
        {
            for (final Mix mix : mixes)
            {
                for (final Factory factory : candidates)
                {
                    final SpaceAllocatorCandidate sampled = factory.create(CAPACITY_BYTES, ALIGNMENT_BYTES);
                    final Churn churn = run(sampled, mix, occupancy, true);
                    double bestNanosPerCall = Double.MAX_VALUE;
                    for (int i = 0; i < TIMED_RUNS; i++)
                    {
                        final SpaceAllocatorCandidate timed = factory.create(CAPACITY_BYTES, ALIGNMENT_BYTES);
                        final long start = System.nanoTime();
                        final Churn timedChurn = run(timed, mix, occupancy, false);
                        bestNanosPerCall = Math.min(bestNanosPerCall, (double)(System.nanoTime() - start) / timedChurn.calls);
                    }
                    System.out.printf(Locale.ROOT, "| %s | %.0f %% | %s | %.3f | %.4f | %.4f | %.3f | %.3f | %.0f |%n",
                        mix.name(), occupancy * 100, sampled.name(),
                        churn.fragmentationSum / churn.samples,
                        (double)churn.failed / churn.requests,
                        (double)churn.failedDespiteSpace / churn.requests,
                        churn.wasteSum / churn.samples,
                        churn.occupancySum / churn.samples,
                        bestNanosPerCall);
                }
            }
        }
    }

    private static Churn run(
        final SpaceAllocatorCandidate allocator, final Mix mix, final double occupancy, final boolean sample)
    {
        final SplittableRandom rng = new SplittableRandom(SEED);
        final long target = (long)(CAPACITY_BYTES * occupancy);
        final long[] liveOffsets = new long[(int)(CAPACITY_BYTES / 1024) + 1];
        final long[] liveRequested = new long[liveOffsets.length];
        int live = 0;
        long requestedBytes = 0;
        final Churn churn = new Churn();

        for (int request = 0; request < WARM_UP_REQUESTS + MEASURED_REQUESTS; request++)
        {
            final boolean measured = request >= WARM_UP_REQUESTS;
            final long size = mix.sizes().applyAsLong(rng);
            while (live > 0 && requestedBytes + size > target)
            {
                requestedBytes -= freeRandom(allocator, rng, liveOffsets, liveRequested, live--);
                churn.calls++;
            }
            long offset = allocator.allocate(size);
            churn.calls++;
            if (offset == SpaceAllocator.FULL && measured)
            {
                churn.failed++;
                if (allocator.freeBytes() >= size)
                {
                    churn.failedDespiteSpace++;
                }
            }
            while (offset == SpaceAllocator.FULL)
            {
                requestedBytes -= freeRandom(allocator, rng, liveOffsets, liveRequested, live--);
                offset = allocator.allocate(size);
                churn.calls += 2;
            }
            liveOffsets[live] = offset;
            liveRequested[live] = size;
            live++;
            requestedBytes += size;

            if (measured)
            {
                churn.requests++;
                if (sample && request % SAMPLE_EVERY_REQUESTS == 0)
                {
                    final long free = allocator.freeBytes();
                    final long used = CAPACITY_BYTES - free;
                    churn.samples++;
                    churn.fragmentationSum += free == 0 ? 0 : 1.0 - (double)allocator.largestFreeBlock() / free;
                    churn.wasteSum += (double)(used - requestedBytes) / used;
                    churn.occupancySum += (double)requestedBytes / CAPACITY_BYTES;
                }
            }
        }
        return churn;
    }

    /** Frees a random one of the first {@code live} blocks and returns its requested size. */
    private static long freeRandom(
        final SpaceAllocatorCandidate allocator,
        final SplittableRandom rng,
        final long[] liveOffsets,
        final long[] liveRequested,
        final int live)
    {
        final int victim = rng.nextInt(live);
        final long requested = liveRequested[victim];
        allocator.free(liveOffsets[victim]);
        liveOffsets[victim] = liveOffsets[live - 1];
        liveRequested[victim] = liveRequested[live - 1];
        return requested;
    }
}
