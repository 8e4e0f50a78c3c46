package dev.tiercache.tools.simulate;

import org.junit.jupiter.api.Test;

import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class SimulatorTest
{
    @Test
    void optimum_onAKnownSequence()
    {
        final Trace trace = new Trace("t", new long[] {1, 2, 3, 1, 2, 4, 1, 2, 3, 4}, null);
        // Capacity 2: keep 1 and 2 through their reuses, then 4 (or 3) is the only other possible hit.
        assertEquals(4, OptimalPolicySimulator.run(trace, 2).hits());
        assertEquals(6, OptimalPolicySimulator.run(trace, 4).hits());
    }

    @Test
    void optimum_isAtLeastEveryPolicy_onRandomTraces()
    {
        final long seed = Long.getLong("tiercache.seed", new SplittableRandom().nextLong());
        final SplittableRandom random = new SplittableRandom(seed);
        for (int c = 0; c < 50; c++)
        {
            final long[] keys = new long[3000];
            final int keySpace = 10 + random.nextInt(500);
            for (int i = 0; i < keys.length; i++)
            {
                keys[i] = Math.min(random.nextInt(keySpace), random.nextInt(keySpace));
            }
            final Trace trace = new Trace("random", keys, null);
            final int capacity = 1 + random.nextInt(100);
            final long optimum = OptimalPolicySimulator.run(trace, capacity).hits();
            for (final String policy : dev.tiercache.policy.EvictionPolicies.names())
            {
                final long hits = PolicySimulator.run(trace, policy, capacity).hits();
                assertTrue(hits <= optimum, "seed=" + seed + " case=" + c + " " + policy + "=" + hits + " > opt=" + optimum);
            }
        }
    }

    @Test
    void sizedTrace_countsBytes_andNeverAdmitsOversizedObjects()
    {
        final Trace trace = new Trace("sized", new long[] {1, 2, 1, 2, 3, 3}, new long[] {40, 70, 40, 70, 200, 200});
        final SimulationResult lru = PolicySimulator.run(trace, "lru", 100);
        assertEquals(0, lru.hits());
        assertEquals(620, lru.requestedBytes());
        final SimulationResult big = PolicySimulator.run(trace, "lru", 110);
        assertEquals(2, big.hits());
        assertEquals(110, big.hitBytes());
        assertEquals(1, OptimalPolicySimulator.run(trace, 100).hits());
    }

    @Test
    void epochs_lruThrashes_andTheOptimumKeepsOneFifth()
    {
        final Trace trace = new EpochsWorkload(5000, 5, 1).generate();
        final SimulationResult lru = PolicySimulator.run(trace, "lru", 1000);
        final SimulationResult optimum = OptimalPolicySimulator.run(trace, 1000);
        final SimulationResult standard = PolicySimulator.run(trace, "default", 1000);
        assertEquals(4000, optimum.hits());
        assertEquals(0.16, optimum.hitRatio(), 1e-12);
        assertTrue(lru.hitRatio() > 0.01 && lru.hitRatio() < 0.025, "lru=" + lru.hitRatio());
        assertTrue(standard.hits() >= optimum.hits() * 9 / 10, "default=" + standard.hits());
    }
}
