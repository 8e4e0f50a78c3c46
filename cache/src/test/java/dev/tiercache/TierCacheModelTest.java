package dev.tiercache;

import dev.tiercache.cuda.CudaLibrary;
import dev.tiercache.cuda.sim.SimulatedCuda;
import dev.tiercache.cuda.sim.SimulatedDeviceProfile;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.concurrent.locks.LockSupport;

import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * Model-based property test: seeded random sequences of put / get / getInto / getOnDevice /
 * remove / clear / hold-a-lease / close-and-reopen / corrupt-an-L3-entry / pause-for-the-mover,
 * with random sizes, part counts and key kinds, checked after every step against a plain map of
 * what was last put.
 *
 * <h2>Configurations</h2>
 * Each case draws its configuration from its seed: an L3 of 3 to 6 regions of 64 to 256 KiB, with
 * entries sized around a region's share so that appends reclaim regions every few steps; L2 and L1
 * of half a region to a few regions, so that entries cycle through all three levels; promotion
 * after 1 or 2 L3 hits and 1 to 3 L2 hits; LZ4 on or off (a quarter of the payloads compress);
 * L2 and L1 policies; idle demotion on or off; and a slow emulated GPU link that holds the mover's
 * copies open long enough for the caller to race them.
 *
 * <h2>What is checked</h2>
 * The cache may evict anything, so a miss is always allowed; a hit must return exactly the bytes
 * last put under that key with the same specs, a removed or cleared key must miss, no level may be
 * over capacity, and the bytes under an open lease must not change whatever happens to the key. A
 * key whose L3 entry was corrupted may miss but never return other bytes, and no get may throw.
 * {@code getOnDevice} may refuse only when L1 holds an entry the test has leased: once the mover
 * has settled, every L1 resident is evictable. A sweep (always the last step, sometimes one in the
 * middle) releases every lease and asks for each key on the device, so an L1 resident that stays
 * unevictable for no reason fails it.
 *
 * <h2>Coverage bar</h2>
 * Over all cases of a run the test sums L3 regions reclaimed, promotions and demotions of each
 * level, moves the mover aborted and corrupt L3 entries the cache counted, prints them and fails
 * when one falls under a floor: a change that stops this test from reaching those paths fails it.
 *
 * <p>A failure prints the seed, the configuration and a shrunk op list; {@code -Dtiercache.seed=N}
 * replays one case, {@code -Dtiercache.cases=N} sets how many run, and
 * {@code -Dtiercache.maxFailures=N} keeps going until N cases failed (default 1) to see several
 * bugs in one run.
 */
class TierCacheModelTest
{
    private static final int KEYS = 12;
    private static final long KIB = 1024;
    private static final int CASES_DEFAULT = 300;
    private static final int MAX_SHRINK_RUNS = 600;
    private static final long SETTLE_NANOS = 3_000_000;
    private static final int DEVICE_RETRIES = 3;
    private static final String[] HOST_POLICIES = {"lru", "default", "lru", "default", "fifo"};
    /** Policies whose {@code admit} always lets a new entry in, so a refusal of getOnDevice means "nothing evictable". */
    private static final String[] DEVICE_POLICIES = {"lru", "default", "fifo"};

    /**
     * The target laptop's GPU behind a link 16 times slower than its own, with link emulation on:
     * a 64 KiB copy takes about 0.3 ms, long enough for the caller to race the mover.
     */
    private static final SimulatedDeviceProfile SLOW_LINK = slowLink(SimulatedDeviceProfile.MX250);

    @TempDir
    Path dir;

    enum Kind
    {
        PUT, GET, GET_INTO, GET_ON_DEVICE, REMOVE, CLEAR, HOLD, RELEASE, REOPEN, CORRUPT, PAUSE, SWEEP
    }

    /**
     * One step; {@code value} seeds the bytes of a put and the choice of a corruption, {@code size}
     * is the pause's length in microseconds for a pause.
     */
    record Op(Kind kind, int key, boolean stringKey, int parts, long size, long value)
    {
        @Override
        public String toString()
        {
            return switch (kind)
            {
                case PUT -> "PUT(" + keyName() + ", parts=" + parts + ", size=" + size + ", value=" + value + ")";
                case CORRUPT -> "CORRUPT(" + keyName() + ", pick=" + value + ")";
                case PAUSE -> "PAUSE(" + size + " us)";
                case CLEAR, REOPEN, SWEEP -> kind.name();
                case RELEASE -> "RELEASE(" + key + ")";
                default -> kind + "(" + keyName() + ")";
            };
        }

        String keyName()
        {
            return stringKey ? "\"k" + key + "\"" : Integer.toString(key);
        }
    }

    /** What a key's last put was. */
    record Expected(int parts, long size, long value)
    {
    }

    /**
     * One case's cache. Sizes are bytes.
     */
    record Config(
        int regionCount,
        long regionBytes,
        long hostBytes,
        long deviceBytes,
        int maxEntries,
        int promoteToHostAfter,
        int promoteToDeviceAfter,
        boolean compression,
        String hostPolicy,
        String devicePolicy,
        long demoteAfterIdleNanos,
        double highWaterMark,
        double evictTo,
        boolean slowLink)
    {
        static Config generate(final SplittableRandom random)
        {
            final long region = (64L << random.nextInt(3)) * KIB;
            final boolean trim = random.nextInt(4) == 0;
            return new Config(
                3 + random.nextInt(4),
                region,
                pages(region * (1 + random.nextInt(4)) / 2),
                pages(region * (1 + random.nextInt(4)) / 2),
                random.nextInt(3) == 0 ? 2 * KEYS : 256,
                1 + random.nextInt(2),
                1 + random.nextInt(3),
                random.nextBoolean(),
                HOST_POLICIES[random.nextInt(HOST_POLICIES.length)],
                DEVICE_POLICIES[random.nextInt(DEVICE_POLICIES.length)],
                random.nextInt(3) == 0 ? (5 + random.nextInt(20)) * 1_000_000L : 0,
                trim ? 0.75 : 0.95,
                trim ? 0.5 : 0.9,
                random.nextInt(3) != 0);
        }

        /** The largest first part a put may have: the rest of the entry fits an L3 region with room to spare. */
        long maxFirstPart()
        {
            return regionBytes - 4096 - 2 * (4096 + EntryMetaDescriptor.PART_ALIGNMENT) - 1024;
        }

        TierCache open(final Path file)
        {
            return TierCache.builder()
                .deviceBytes(deviceBytes)
                .hostBytes(hostBytes)
                .file(file, regionCount * regionBytes)
                .fileRegionBytes(regionBytes)
                .maxEntries(maxEntries)
                .promoteToHostAfter(promoteToHostAfter)
                .promoteToDeviceAfter(promoteToDeviceAfter)
                .compression(compression)
                .hostPolicy(hostPolicy)
                .devicePolicy(devicePolicy)
                .demoteAfterIdle(java.time.Duration.ofNanos(demoteAfterIdleNanos))
                .evictionThresholds(highWaterMark, evictTo)
                .cleanupInterval(java.time.Duration.ofMillis(2))
                .build();
        }

        private static long pages(final long bytes)
        {
            return Math.max(4096, bytes / 4096 * 4096);
        }
    }

    /** What the cases exercised, summed over a run (not over shrinking). */
    static final class Coverage
    {
        long regionsReclaimed;
        long promotionsFromFile;
        long promotionsFromHost;
        long demotionsFromDevice;
        long demotionsFromHost;
        long movesAborted;
        long corruptSkipped;
        long corruptionsWritten;
        long compressedCorrupted;

        void add(final TierCache cache)
        {
            final CacheStats stats = cache.stats();
            regionsReclaimed += cache.fileRegionsReclaimed();
            movesAborted += cache.movesAborted();
            promotionsFromFile += stats.level(Tier.FILE).promotions();
            promotionsFromHost += stats.level(Tier.HOST).promotions();
            demotionsFromDevice += stats.level(Tier.DEVICE).demotions();
            demotionsFromHost += stats.level(Tier.HOST).demotions();
            corruptSkipped += stats.level(Tier.FILE).corruptSkipped();
        }

        @Override
        public String toString()
        {
            return "L3 regions reclaimed=" + regionsReclaimed + ", promotions L3->up=" + promotionsFromFile +
                ", promotions L2->L1=" + promotionsFromHost + ", demotions L1->down=" + demotionsFromDevice +
                ", demotions L2->L3=" + demotionsFromHost + ", moves aborted=" + movesAborted +
                ", corrupt L3 entries counted=" + corruptSkipped + " (corruptions written=" + corruptionsWritten +
                ", of them LZ4=" + compressedCorrupted + ")";
        }
    }

    @Test
    void randomOperationSequences_neverReturnWrongBytes()
    {
        CudaLibrary.location();
        final long fixed = Long.getLong("tiercache.seed", -1);
        final int cases = fixed >= 0 ? 1 : Integer.getInteger("tiercache.cases", CASES_DEFAULT);
        final int maxFailures = Integer.getInteger("tiercache.maxFailures", 1);
        final long base = fixed >= 0 ? fixed : System.nanoTime();
        final Coverage coverage = new Coverage();
        final List<String> failures = new ArrayList<>();
        long runNanos = 0;
        int ran = 0;
        try
        {
            for (int c = 0; c < cases && failures.size() < maxFailures; c++)
            {
                final long seed = base + c;
                final SplittableRandom random = new SplittableRandom(seed);
                final Config config = Config.generate(random);
                final List<Op> ops = generate(random, config);
                final long started = System.nanoTime();
                final String failure = run(config, ops, seed, coverage);
                runNanos += System.nanoTime() - started;
                ran++;
                if (failure != null)
                {
                    failures.add(report(config, ops, seed, failure));
                }
            }
        }
        finally
        {
            SimulatedCuda.current().reset(SimulatedDeviceProfile.MX250);
        }
        System.out.println("TierCacheModelTest: " + ran + " sequences from seed " + base + " in " + runNanos / 1_000_000 +
            " ms (shrinking not counted); " + coverage);
        if (!failures.isEmpty())
        {
            fail(failures.size() + " failing case(s) of " + ran + ":\n\n" + String.join("\n\n", failures));
        }
        // seeds differ per run, so each floor is about a third of the figures of 300 cases on 156dec9 (411 regions
        // reclaimed, 1151 promotions from L3, 1185 from L2, 731 demotions from L1, 2147 from L2, 107 moves aborted,
        // 376 corrupt entries counted), and those were lowered by the cases its bugs cut short
        if (cases >= 200)
        {
            assertTrue(coverage.regionsReclaimed > cases / 2 && coverage.promotionsFromFile > cases &&
                coverage.promotionsFromHost > cases && coverage.demotionsFromDevice > cases / 2 &&
                coverage.demotionsFromHost > 2L * cases && coverage.movesAborted > cases / 20 &&
                coverage.corruptSkipped > cases / 3, "weak coverage over " + cases + " cases: " + coverage);
        }
    }

    private String report(final Config config, final List<Op> ops, final long seed, final String failure)
    {
        int again = 0;
        for (int i = 0; i < 3; i++)
        {
            again += run(config, ops, seed, null) != null ? 1 : 0;
        }
        // a failure that needs a race may not come back on every run: let a candidate try a few times then
        final int attempts = again == 3 ? 1 : 3;
        final List<Op> shrunk = shrink(config, ops, seed, attempts);
        String shrunkFailure = null;
        for (int i = 0; i < 2 * attempts && shrunkFailure == null; i++)
        {
            shrunkFailure = run(config, shrunk, seed, null);
        }
        return "seed=" + seed + " (replay: -Dtiercache.seed=" + seed + " -Dtest=TierCacheModelTest)\n" +
            "config: " + config + "\n" +
            "failure: " + failure + "\n" +
            "the full sequence failed again on " + again + " of 3 reruns\n" +
            "shrunk to " + shrunk.size() + " ops (from " + ops.size() + "):\n  " +
            String.join("\n  ", shrunk.stream().map(Op::toString).toList()) + "\nwhich fails with: " + shrunkFailure;
    }

    private static List<Op> generate(final SplittableRandom random, final Config config)
    {
        final int length = 30 + random.nextInt(70);
        final List<Op> ops = new ArrayList<>(length + 1);
        for (int i = 0; i < length; i++)
        {
            final int roll = random.nextInt(100);
            final Kind kind = roll < 34 ? Kind.PUT : roll < 53 ? Kind.GET : roll < 58 ? Kind.GET_INTO : roll < 67 ? Kind.GET_ON_DEVICE :
                roll < 71 ? Kind.REMOVE : roll < 72 ? Kind.CLEAR : roll < 77 ? Kind.HOLD : roll < 82 ? Kind.RELEASE :
                roll < 84 ? Kind.REOPEN : roll < 90 ? Kind.CORRUPT : roll < 99 ? Kind.PAUSE : Kind.SWEEP;
            // half the ops reuse the key of one of the last three, so keys reach their promotion thresholds
            // and a corrupted key is soon read again
            int key = random.nextInt(KEYS);
            boolean stringKey = random.nextInt(4) == 0;
            if (!ops.isEmpty() && random.nextBoolean())
            {
                final Op recent = ops.get(ops.size() - 1 - random.nextInt(Math.min(3, ops.size())));
                key = recent.key();
                stringKey = recent.stringKey();
            }
            final long size = kind == Kind.PAUSE ? pauseMicros(random) : entrySize(random, config);
            ops.add(new Op(kind, key, stringKey, 1 + random.nextInt(3), size, random.nextLong()));
        }
        ops.add(new Op(Kind.SWEEP, 0, false, 1, 1, 0));
        return ops;
    }

    private static long entrySize(final SplittableRandom random, final Config config)
    {
        final long region = config.regionBytes();
        final int sizeClass = random.nextInt(10);
        if (sizeClass < 2)
        {
            return 1 + random.nextInt(64);
        }
        if (sizeClass < 4)
        {
            // half of them one of two fixed shapes, as a dataset's samples are: entries of different
            // keys then share one meta record, and moves and removes go through its counts
            return random.nextBoolean() ? region / (8 << random.nextInt(2)) : 1 + random.nextLong(region / 8);
        }
        if (sizeClass < 8)
        {
            // a region's share: two to five entries fill a region
            return region / 5 + random.nextLong(region / 2 - region / 5);
        }
        return region / 2 + random.nextLong(config.maxFirstPart() - region / 2);
    }

    private static long pauseMicros(final SplittableRandom random)
    {
        return switch (random.nextInt(4))
        {
            case 0 -> 0;
            case 1 -> 20 + random.nextInt(300);
            default -> 500 + random.nextInt(3000);
        };
    }

    private List<Op> shrink(final Config config, final List<Op> failing, final long seed, final int attempts)
    {
        List<Op> current = failing;
        int runs = 0;
        int chunk = Math.max(1, current.size() / 2);
        while (chunk >= 1 && runs < MAX_SHRINK_RUNS)
        {
            boolean removed = false;
            for (int start = 0; start < current.size() && runs < MAX_SHRINK_RUNS; )
            {
                final List<Op> candidate = new ArrayList<>(current.subList(0, start));
                candidate.addAll(current.subList(Math.min(current.size(), start + chunk), current.size()));
                boolean fails = false;
                for (int i = 0; i < attempts && !fails && !candidate.isEmpty(); i++)
                {
                    runs++;
                    fails = run(config, candidate, seed, null) != null;
                }
                if (fails)
                {
                    current = candidate;
                    removed = true;
                }
                else
                {
                    start += chunk;
                }
            }
            if (!removed)
            {
                chunk /= 2;
            }
        }
        return current;
    }

    /**
     * Runs one sequence on a fresh cache.
     *
     * @param coverage where to add what the case exercised, or null.
     * @return null when every check held, else what broke.
     */
    private String run(final Config config, final List<Op> ops, final long seed, final Coverage coverage)
    {
        final SimulatedCuda cuda = SimulatedCuda.current();
        cuda.reset(config.slowLink() ? SLOW_LINK : SimulatedDeviceProfile.MX250);
        cuda.emulateLink(config.slowLink());
        final Path file = dir.resolve("model-" + seed + "-" + System.nanoTime() + ".tc");
        final Map<String, Expected> model = new HashMap<>();
        final Map<String, Integer> corruptedAt = new HashMap<>();
        final List<EntryHandle> held = new ArrayList<>();
        final List<MemorySegment> heldCopies = new ArrayList<>();
        final EntryHandle reusable = new EntryHandle();
        final L3FileCorrupter corrupter = new L3FileCorrupter(file);
        TierCache cache = config.open(file);
        int step = 0;
        try
        {
            for (; step < ops.size(); step++)
            {
                final Op op = ops.get(step);
                final String where = "step " + step + " " + op + ": ";
                final String key = op.keyName();
                final String note = corruptedAt.containsKey(key) ? " (its L3 entry was corrupted at step " + corruptedAt.get(key) + ")" : "";
                switch (op.kind())
                {
                    case PUT ->
                    {
                        final Part[] parts = parts(op.parts(), op.size(), op.value());
                        if (op.stringKey())
                        {
                            cache.put("k" + op.key(), parts);
                        }
                        else
                        {
                            cache.put(op.key(), parts);
                        }
                        model.put(key, new Expected(op.parts(), op.size(), op.value()));
                        corruptedAt.remove(key);
                    }
                    case GET, GET_ON_DEVICE ->
                    {
                        final EntryHandle handle;
                        if (op.kind() == Kind.GET_ON_DEVICE && !op.stringKey() && cache.hasDevice())
                        {
                            handle = getOnDevice(cache, op.key(), model.get(key), held, where + note);
                        }
                        else if (!op.stringKey() && (op.value() & 1) == 0)
                        {
                            // the reusable handle path
                            handle = cache.get(op.key(), reusable) ? reusable : null;
                        }
                        else
                        {
                            handle = op.stringKey() ? cache.get("k" + op.key()) : cache.get(op.key());
                        }
                        try (handle)
                        {
                            final String problem = check(handle, model.get(key));
                            if (problem != null)
                            {
                                return where + problem + note;
                            }
                        }
                    }
                    case GET_INTO ->
                    {
                        if (!op.stringKey())
                        {
                            final Expected expected = model.get(key);
                            final MemorySegment out = Arena.ofAuto().allocate(config.regionBytes());
                            final long n = cache.getInto(op.key(), out);
                            if (n != TierCache.MISS)
                            {
                                if (expected == null)
                                {
                                    return where + "getInto hit a key that was removed or never put";
                                }
                                final MemorySegment concatenated = concatenate(parts(expected.parts(), expected.size(), expected.value()));
                                if (n != concatenated.byteSize() || out.asSlice(0, n).mismatch(concatenated) != -1)
                                {
                                    return where + "getInto returned other bytes (n=" + n + ", expected " + concatenated.byteSize() + ")" + note;
                                }
                            }
                        }
                    }
                    case REMOVE ->
                    {
                        if (op.stringKey())
                        {
                            cache.remove("k" + op.key());
                        }
                        else
                        {
                            cache.remove(op.key());
                        }
                        model.remove(key);
                        corruptedAt.remove(key);
                    }
                    case CLEAR ->
                    {
                        cache.clear();
                        model.clear();
                        corruptedAt.clear();
                    }
                    case HOLD ->
                    {
                        final EntryHandle handle = op.stringKey() ? cache.get("k" + op.key()) : cache.get(op.key());
                        if (handle != null)
                        {
                            final String problem = check(handle, model.get(key));
                            if (problem != null)
                            {
                                handle.close();
                                return where + problem + note;
                            }
                            final MemorySegment copy = Arena.ofAuto().allocate(Math.max(1, handle.byteSize())).asSlice(0, handle.byteSize());
                            copyAll(handle, copy);
                            held.add(handle);
                            heldCopies.add(copy);
                        }
                    }
                    case RELEASE ->
                    {
                        if (!held.isEmpty())
                        {
                            final int i = op.key() % held.size();
                            held.remove(i).close();
                            heldCopies.remove(i);
                        }
                    }
                    case REOPEN ->
                    {
                        releaseAll(held, heldCopies);
                        if (coverage != null)
                        {
                            coverage.add(cache);
                        }
                        cache.close();
                        cache = config.open(file);
                    }
                    case CORRUPT ->
                    {
                        final byte[] keyBytes = op.stringKey() ? ("k" + op.key()).getBytes(StandardCharsets.UTF_8) :
                            L3FileCorrupter.longKeyBytes(op.key());
                        final L3FileCorrupter.Corruption corruption = corrupter.corrupt(cache, keyBytes, op.value());
                        if (corruption != null)
                        {
                            corruptedAt.put(corruption.modelKey(), step);
                            if (coverage != null)
                            {
                                coverage.corruptionsWritten++;
                                coverage.compressedCorrupted += corruption.compressed() ? 1 : 0;
                            }
                        }
                    }
                    case PAUSE -> pause(op.size() * 1000);
                    case SWEEP ->
                    {
                        releaseAll(held, heldCopies);
                        pause(SETTLE_NANOS);
                        // every block, meta record and L3 record belongs to an entry present: a record
                        // left behind could bring an old value back after a crash
                        String books = cache.accountingMismatch();
                        for (int i = 0; i < 100 && !books.isEmpty(); i++)
                        {
                            pause(SETTLE_NANOS);
                            books = cache.accountingMismatch();
                        }
                        if (!books.isEmpty())
                        {
                            return where + "the books disagree: " + books;
                        }
                        for (int k = 0; k < KEYS && cache.hasDevice(); k++)
                        {
                            final String name = Integer.toString(k);
                            final String sweepNote = corruptedAt.containsKey(name) ? " (its L3 entry was corrupted at step " + corruptedAt.get(name) + ")" : "";
                            try (EntryHandle handle = getOnDevice(cache, k, model.get(name), held, where + "key " + k + sweepNote + ": "))
                            {
                                final String problem = check(handle, model.get(name));
                                if (problem != null)
                                {
                                    return where + "key " + k + ": " + problem + sweepNote;
                                }
                            }
                        }
                    }
                }
                for (int i = 0; i < held.size(); i++)
                {
                    final MemorySegment now = Arena.ofAuto().allocate(Math.max(1, heldCopies.get(i).byteSize()))
                        .asSlice(0, heldCopies.get(i).byteSize());
                    copyAll(held.get(i), now);
                    if (now.mismatch(heldCopies.get(i)) != -1)
                    {
                        return where + "bytes under an open lease changed";
                    }
                }
                for (final LevelStats level : cache.stats().levels())
                {
                    if (level.usedBytes() > level.capacityBytes())
                    {
                        return where + "over capacity: " + level;
                    }
                }
            }
            return null;
        }
        catch (final AssertionError ex)
        {
            return ex.getMessage();
        }
        catch (final RuntimeException ex)
        {
            return "step " + step + " " + (step < ops.size() ? ops.get(step) : "") + ": threw " + ex + " at " + where(ex);
        }
        finally
        {
            for (final EntryHandle handle : held)
            {
                handle.close();
            }
            if (coverage != null)
            {
                coverage.add(cache);
            }
            cache.close();
            corrupter.close();
            try
            {
                Files.deleteIfExists(file);
            }
            catch (final IOException ex)
            {
                throw new UncheckedIOException(ex);
            }
            final String leaks = cuda.outstandingDescription();
            if (!leaks.isEmpty())
            {
                throw new AssertionError("seed=" + seed + ": device resources outstanding after close: " + leaks);
            }
        }
    }

    /**
     * {@code getOnDevice}, allowed to refuse only an entry larger than L1, or while the test leases
     * something in L1. A refusal is retried after the mover had time to finish a copy in flight,
     * whose target space in L1 is reserved but not evictable.
     *
     * @throws AssertionError when it refuses without a reason.
     */
    private static EntryHandle getOnDevice(final TierCache cache, final int key, final Expected expected, final List<EntryHandle> held,
        final String where)
    {
        for (int attempt = 0; ; attempt++)
        {
            try
            {
                return cache.getOnDevice(key);
            }
            catch (final IllegalArgumentException ex)
            {
                final long length = expected == null ? -1 : payloadLength(expected);
                final long capacity = cache.stats().level(Tier.DEVICE).capacityBytes();
                if (length <= capacity)
                {
                    throw new AssertionError(where + "getOnDevice threw " + ex + " for an entry of " + length + " bytes; L1 holds " + capacity, ex);
                }
                return cache.get(key);
            }
            catch (final IllegalStateException ex)
            {
                if (held.stream().anyMatch(handle -> handle.tier() == Tier.DEVICE))
                {
                    return cache.get(key);
                }
                if (attempt == DEVICE_RETRIES)
                {
                    throw new AssertionError(where + "getOnDevice threw " + ex + " though the test holds no lease in L1 and the mover had " +
                        DEVICE_RETRIES + " pauses to settle (an L1 resident stays unevictable): " + cache.stats().level(Tier.DEVICE), ex);
                }
                pause(SETTLE_NANOS);
            }
        }
    }

    /** The top frames of a throwable, down to the third one in TierCache. */
    private static String where(final Throwable ex)
    {
        final List<String> frames = new ArrayList<>();
        int ownFrames = 0;
        for (final StackTraceElement frame : ex.getStackTrace())
        {
            frames.add(frame.toString());
            if (frame.getClassName().startsWith(TierCache.class.getName()) && ++ownFrames == 3 || frames.size() == 10)
            {
                break;
            }
        }
        return String.join(" < ", frames);
    }

    private static void releaseAll(final List<EntryHandle> held, final List<MemorySegment> heldCopies)
    {
        for (final EntryHandle handle : held)
        {
            handle.close();
        }
        held.clear();
        heldCopies.clear();
    }

    /** Lets the mover run: a yield for 0, else a park of about {@code nanos}. */
    private static void pause(final long nanos)
    {
        if (nanos == 0)
        {
            Thread.yield();
            return;
        }
        final long until = System.nanoTime() + nanos;
        for (long left = nanos; left > 0; left = until - System.nanoTime())
        {
            LockSupport.parkNanos(left);
        }
    }

    private static String check(final EntryHandle handle, final Expected expected)
    {
        if (handle == null)
        {
            return null;
        }
        if (expected == null)
        {
            return "hit a key that was removed or never put (tier " + handle.tier() + ")";
        }
        final Part[] parts = parts(expected.parts(), expected.size(), expected.value());
        if (handle.partCount() != parts.length)
        {
            return "partCount=" + handle.partCount() + " expected " + parts.length + " (tier " + handle.tier() + ")";
        }
        for (int i = 0; i < parts.length; i++)
        {
            if (!handle.spec(i).equals(parts[i].spec()))
            {
                return "spec(" + i + ")=" + handle.spec(i) + " expected " + parts[i].spec() + " (tier " + handle.tier() + ")";
            }
            final MemorySegment out = Arena.ofAuto().allocate(Math.max(1, handle.partByteSize(i))).asSlice(0, handle.partByteSize(i));
            handle.copyTo(i, out);
            if (out.mismatch(parts[i].bytes()) != -1)
            {
                return "part " + i + " bytes differ from the last put (tier " + handle.tier() + ")";
            }
        }
        return null;
    }

    private static void copyAll(final EntryHandle handle, final MemorySegment into)
    {
        long at = 0;
        for (int i = 0; i < handle.partCount(); i++)
        {
            final long n = handle.partByteSize(i);
            handle.copyTo(i, into.asSlice(at, n));
            at += n;
        }
    }

    /**
     * The parts of a put. A quarter of the values make payloads LZ4 compresses (runs of 32 equal
     * bytes), the rest random bytes it cannot.
     */
    static Part[] parts(final int count, final long size, final long value)
    {
        final SplittableRandom random = new SplittableRandom(value);
        final boolean compressible = (value >>> 1 & 3) == 0;
        final Part[] parts = new Part[count];
        for (int i = 0; i < count; i++)
        {
            final long bytes = i == 0 ? size : 1 + random.nextInt(4096);
            final MemorySegment segment = Arena.ofAuto().allocate(bytes);
            final int seed = random.nextInt();
            for (long b = 0; b < bytes; b++)
            {
                segment.set(ValueLayout.JAVA_BYTE, b, (byte) (compressible ? seed + (b >>> 5) * 7 : random.nextInt()));
            }
            final TensorSpec spec = i == 1 && bytes % 4 == 0 ? TensorSpec.of(DType.F32, bytes / 4) : TensorSpec.of(DType.U8, bytes);
            parts[i] = new Part(spec, segment);
        }
        return parts;
    }

    /** The entry's length as the cache lays it out: parts back to back, each but the last padded to the part alignment. */
    private static long payloadLength(final Expected expected)
    {
        final Part[] parts = parts(expected.parts(), expected.size(), expected.value());
        long length = 0;
        for (int i = 0; i < parts.length; i++)
        {
            length = i + 1 < parts.length ?
                EntryMetaDescriptor.align(length + parts[i].spec().byteSize(), EntryMetaDescriptor.PART_ALIGNMENT) :
                length + parts[i].spec().byteSize();
        }
        return length;
    }

    private static MemorySegment concatenate(final Part[] parts)
    {
        long total = 0;
        for (final Part part : parts)
        {
            total += part.bytes().byteSize();
        }
        final MemorySegment all = Arena.ofAuto().allocate(total);
        long at = 0;
        for (final Part part : parts)
        {
            MemorySegment.copy(part.bytes(), 0, all, at, part.bytes().byteSize());
            at += part.bytes().byteSize();
        }
        return all;
    }

    private static SimulatedDeviceProfile slowLink(final SimulatedDeviceProfile p)
    {
        return new SimulatedDeviceProfile(p.name() + "-slow-link", p.initError(), p.deviceCount(), p.computeMajor(), p.computeMinor(),
            p.totalBytes(), p.reservedBytes(), p.multiProcessorCount(), p.memoryClockKHz(), p.memoryBusWidthBits(), p.clockKHz(),
            p.asyncEngineCount(), p.linkBytesPerSecond() / 16, 50_000, p.runtimeVersion(), p.driverVersion(), p.pciBusId());
    }
}
