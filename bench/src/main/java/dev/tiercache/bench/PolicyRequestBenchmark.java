package dev.tiercache.bench;

import dev.tiercache.index.EntryIndex;
import dev.tiercache.policy.EvictionPolicies;
import dev.tiercache.policy.EvictionPolicy;
import dev.tiercache.policy.LevelCapacity;
import dev.tiercache.policy.WindowTinyLfuPolicy;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;

/**
 * What the {@code default} policy costs per request on a small level, with and without its aging
 * duel (decision record 0004, rule 6: below 4096 entries a second, fast-aging sketch and the duel
 * that scores the two). One request is what the cache's access drain and a put do to a full
 * level's policy: a hit moves the entry ({@code onAccess}); a miss counts the key
 * ({@code onMiss}), evicts the victim the policy selects and inserts the key.
 *
 * <p>Workload: a seeded stream of 2<sup>20</sup> keys, a fifth of them from a hot set of half the
 * capacity and the rest uniform over twenty times the capacity, so that both hits and admission
 * contests (where the two sketches can disagree) are frequent. Compare {@code duel=true} with
 * {@code duel=false} of the same run.
 *
 * <p>Run: {@code java -jar bench/target/benchmarks.jar PolicyRequestBenchmark}
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsAppend = {ForkArgs.NATIVE_ACCESS, ForkArgs.UNSAFE_ALLOW, ForkArgs.HEAP})
@State(Scope.Thread)
public class PolicyRequestBenchmark
{
    private static final int STREAM = 1 << 20;

    /** Entries the level holds. */
    @Param({"200", "2000"})
    public int capacity;

    /** Whether the policy keeps the fast-aging sketch and the duel (the default below 4096 entries). */
    @Param({"true", "false"})
    public boolean duel;

    private EntryIndex index;
    private EvictionPolicy policy;
    private long[] keys;
    private int cursor;

    /** Builds the level and the stream, and fills the level. */
    @Setup(Level.Trial)
    public void setUp()
    {
        index = new EntryIndex(capacity);
        policy = new WindowTinyLfuPolicy(EvictionPolicies.DEFAULT, index, LevelCapacity.ofEntries(capacity),
            EvictionPolicies.DEFAULT_WINDOW_PERCENT, EvictionPolicies.DEFAULT_ADMISSION_MARGIN, true, true, duel);
        final SplittableRandom random = new SplittableRandom(0x5EED_0004L);
        keys = new long[STREAM];
        for (int i = 0; i < STREAM; i++)
        {
            keys[i] = random.nextInt(5) == 0 ? random.nextInt(Math.max(1, capacity / 2)) : random.nextLong(20L * capacity);
        }
        for (int i = 0; i < 4 * capacity; i++)
        {
            request();
        }
    }

    /** Frees the index. */
    @TearDown(Level.Trial)
    public void tearDown()
    {
        index.close();
    }

    /**
     * One request.
     *
     * @return the slot the key ended in (kept from dead-code elimination).
     */
    @Benchmark
    public int request()
    {
        final long key = keys[cursor++ & (STREAM - 1)];
        final int slot = index.find(key);
        if (slot >= 0)
        {
            policy.onAccess(slot);
            return slot;
        }
        policy.onMiss(key);
        if (index.size() == capacity)
        {
            final int victim = policy.selectVictim(s -> true);
            policy.onRemove(victim);
            index.remove(victim);
        }
        final int inserted = index.insert(key);
        policy.onInsert(inserted);
        return inserted;
    }
}
