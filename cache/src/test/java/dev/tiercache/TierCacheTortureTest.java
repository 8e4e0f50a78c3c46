package dev.tiercache;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.lang.foreign.MemorySegment;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The crash torture: child JVMs ({@link TortureChild}) put, replace, remove, read and flush
 * self-verifying values over L1 (simulated), L2 and L3, with compression on and off, and are
 * killed with SIGKILL at random moments. Each file is then reopened and every key read. The
 * promise checked, from the last flush the child saw return:
 * <ul>
 *   <li>no corrupt byte: every value read is whole (its own header and bytes);</li>
 *   <li>nothing stale or resurrected: a key's value is the one it had at that flush or one put
 *       after it, and a key removed before it (and not put again) stays gone;</li>
 *   <li>nothing durable lost: a key with a value at that flush still has one, unless it was
 *       removed after it (a replacing put after it leaves the old value or the new, never
 *       neither).</li>
 * </ul>
 * Rounds: {@code -Dtorture.rounds=} (20 by default), seed {@code -Dtorture.seed=}.
 */
class TierCacheTortureTest
{
    @TempDir
    Path dir;

    @Test
    void killsAtRandomMoments_loseNothingDurable_andReturnNothingWrongOrStale() throws Exception
    {
        final int rounds = Integer.getInteger("torture.rounds", 20);
        final long seed = Long.getLong("torture.seed", System.nanoTime());
        System.out.println("torture: seed=" + seed + " rounds=" + rounds + " (replay with -Dtorture.seed=" + seed + ")");
        final SplittableRandom timing = new SplittableRandom(seed);
        long opsRun = 0;
        long keysChecked = 0;
        long valuesFound = 0;
        long reopenNanosMax = 0;
        long reopenNanosSum = 0;
        final List<String> violations = new ArrayList<>();
        for (int round = 0; round < rounds; round++)
        {
            final long roundSeed = seed + round;
            final boolean compression = round % 2 == 0;
            final Path file = dir.resolve("round-" + round + ".tc");
            final Outcome outcome = runAndKill(file, roundSeed, compression, 100 + timing.nextInt(1100));
            violations.addAll(outcome.wrongReads);
            opsRun += outcome.lastDone + 1;
            final TortureOps ops = new TortureOps(roundSeed);
            final long started = System.nanoTime();
            try (TierCache cache = TortureChild.config(file, compression).build())
            {
                final long reopen = System.nanoTime() - started;
                reopenNanosMax = Math.max(reopenNanosMax, reopen);
                reopenNanosSum += reopen;
                for (long key = 0; key < TortureOps.KEYS; key++)
                {
                    keysChecked++;
                    final String where = "round " + round + " (seed " + roundSeed + ", compression " + compression + ", last flush " +
                        outcome.lastFlush + ", last done " + outcome.lastDone + "): ";
                    final Expectation expected = Expectation.of(ops, key, outcome.lastFlush, outcome.lastDone + 1);
                    final MemorySegment value = TierCacheCrashTest.read(cache, key);
                    if (value == null)
                    {
                        if (expected.atFlush != 0 && !expected.removedAfter)
                        {
                            violations.add(where + "key " + key + " lost: v" + expected.atFlush + " was durable");
                        }
                        continue;
                    }
                    valuesFound++;
                    final String wrong = TortureOps.check(key, value);
                    if (wrong != null)
                    {
                        violations.add(where + "corrupt: " + wrong);
                        continue;
                    }
                    final long version = TortureOps.versionOf(value);
                    if (version != expected.atFlush && !expected.putAfter.contains(version))
                    {
                        violations.add(where + "key " + key + " returned v" + version + ", stale or resurrected: at the flush it was " +
                            (expected.atFlush == 0 ? "absent" : "v" + expected.atFlush) + ", put after it " + expected.putAfter);
                    }
                }
            }
        }
        System.out.printf("torture: %d rounds, %d operations, %d keys checked, %d values found, %d violations, reopen %.1f ms mean, %.1f ms max%n",
            rounds, opsRun, keysChecked, valuesFound, violations.size(), reopenNanosSum / 1e6 / rounds, reopenNanosMax / 1e6);
        assertEquals(List.of(), violations.subList(0, Math.min(20, violations.size())), "seed=" + seed);
        assertTrue(valuesFound > 0, "the rounds must have left values to check");
    }

    /** What a key may hold after the kill. */
    private record Expectation(long atFlush, Set<Long> putAfter, boolean removedAfter)
    {
        static Expectation of(final TortureOps ops, final long key, final int lastFlush, final int inFlight)
        {
            long atFlush = 0;
            for (int i = 0; i <= lastFlush; i++)
            {
                final TortureOps.Op op = ops.op(i);
                if (op.key() == key && op.kind() == TortureOps.Kind.PUT)
                {
                    atFlush = op.version();
                }
                else if (op.key() == key && op.kind() == TortureOps.Kind.REMOVE)
                {
                    atFlush = 0;
                }
            }
            final Set<Long> after = new HashSet<>();
            boolean removed = false;
            for (int i = lastFlush + 1; i <= Math.min(inFlight, TortureOps.OPS - 1); i++)
            {
                final TortureOps.Op op = ops.op(i);
                if (op.key() == key && op.kind() == TortureOps.Kind.PUT)
                {
                    after.add(op.version());
                }
                else if (op.key() == key && op.kind() == TortureOps.Kind.REMOVE)
                {
                    removed = true;
                }
            }
            return new Expectation(atFlush, after, removed);
        }
    }

    private record Outcome(int lastDone, int lastFlush, List<String> wrongReads)
    {
    }

    private static Outcome runAndKill(final Path file, final long seed, final boolean compression, final long killAfterMillis) throws Exception
    {
        final List<String> command = TierCacheCrashTest.childCommand(TortureChild.class, file.toString(), Long.toString(seed),
            Boolean.toString(compression));
        final Process process = new ProcessBuilder(command).directory(file.getParent().toFile()).redirectErrorStream(true).start();
        int lastDone = -1;
        int lastFlush = -1;
        final List<String> wrong = new ArrayList<>();
        final List<String> other = new ArrayList<>();
        final java.util.concurrent.atomic.AtomicBoolean killed = new java.util.concurrent.atomic.AtomicBoolean();
        boolean endedAlone;
        try (BufferedReader out = new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8)))
        {
            String line = out.readLine();
            while (line != null && !line.equals("OPEN"))
            {
                other.add(line);
                line = out.readLine();
            }
            if (line == null)
            {
                throw new AssertionError("the child did not open its cache: " + other);
            }
            final Thread killer = Thread.ofPlatform().daemon().start(() ->
            {
                try
                {
                    Thread.sleep(killAfterMillis);
                }
                catch (final InterruptedException ex)
                {
                    Thread.currentThread().interrupt();
                }
                // SIGKILL through the handle: Process.destroyForcibly would also close our end of
                // its output, losing the lines it wrote before it died
                killed.set(true);
                process.toHandle().destroyForcibly();
            });
            for (line = out.readLine(); line != null; line = out.readLine())
            {
                if (line.startsWith("DONE "))
                {
                    lastDone = Integer.parseInt(line.substring(5));
                }
                else if (line.startsWith("FLUSHED "))
                {
                    lastFlush = Integer.parseInt(line.substring(8));
                }
                else if (line.startsWith("WRONG "))
                {
                    wrong.add("a read before the kill: " + line);
                }
                else if (!line.equals("FINISHED") && other.size() < 50)
                {
                    other.add(line);
                }
            }
            // the output ended: by the kill, or because the child died by itself (a failure)
            endedAlone = !killed.get();
            killer.interrupt();
            killer.join();
        }
        finally
        {
            process.destroyForcibly();
            assertTrue(process.waitFor(60, TimeUnit.SECONDS), "the killed child did not end");
        }
        if (endedAlone)
        {
            throw new AssertionError("the child ended before it was killed: " + other);
        }
        return new Outcome(lastDone, lastFlush, wrong);
    }
}
