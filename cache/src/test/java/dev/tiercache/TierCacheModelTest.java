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
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.fail;

/**
 * Model-based property test: seeded random sequences of put / get / getInto / getOnDevice /
 * remove / clear / hold-a-lease / close-and-reopen, with random sizes, part counts and key kinds,
 * checked after every step against a plain map of what was last put.
 *
 * <p>The cache may evict anything (levels are small on purpose, so entries move through all three
 * levels), so a miss is always allowed; a hit must return exactly the bytes last put under that key
 * with the same specs, a removed or cleared key must miss, no level may be over capacity, and the
 * bytes under an open lease must not change whatever happens to the key. A failure prints the seed
 * and a shrunk op list; {@code -Dtiercache.seed=N} replays one sequence, {@code -Dtiercache.cases=N}
 * sets how many run.
 */
class TierCacheModelTest
{
    private static final int KEYS = 12;
    private static final long KIB = 1024;

    @TempDir
    Path dir;

    enum Kind
    {
        PUT, GET, GET_INTO, GET_ON_DEVICE, REMOVE, CLEAR, HOLD, RELEASE, REOPEN
    }

    /** One step; {@code value} seeds the bytes of a put. */
    record Op(Kind kind, int key, boolean stringKey, int parts, long size, long value)
    {
        @Override
        public String toString()
        {
            return switch (kind)
            {
                case PUT -> "PUT(" + keyName() + ", parts=" + parts + ", size=" + size + ", value=" + value + ")";
                case CLEAR, REOPEN -> kind.name();
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

    @Test
    void randomOperationSequences_neverReturnWrongBytes()
    {
        CudaLibrary.location();
        final long fixed = Long.getLong("tiercache.seed", -1);
        final int cases = Integer.getInteger("tiercache.cases", 1000);
        final long base = fixed >= 0 ? fixed : System.nanoTime();
        for (int c = 0; c < (fixed >= 0 ? 1 : cases); c++)
        {
            final long seed = base + c;
            final List<Op> ops = generate(new SplittableRandom(seed));
            final String failure = run(ops, seed);
            if (failure != null)
            {
                final List<Op> shrunk = shrink(ops, seed);
                fail("seed=" + seed + " (replay: -Dtiercache.seed=" + seed + " -Dtest=TierCacheModelTest)\n" +
                    "failure: " + failure + "\nshrunk to " + shrunk.size() + " ops (from " + ops.size() + "):\n  " +
                    String.join("\n  ", shrunk.stream().map(Op::toString).toList()) + "\nwhich fails with: " + run(shrunk, seed));
            }
        }
        System.out.println("TierCacheModelTest: " + (fixed >= 0 ? 1 : cases) + " sequences from seed " + base);
    }

    private static List<Op> generate(final SplittableRandom random)
    {
        final int length = 10 + random.nextInt(50);
        final List<Op> ops = new ArrayList<>(length);
        for (int i = 0; i < length; i++)
        {
            final int roll = random.nextInt(100);
            final Kind kind = roll < 40 ? Kind.PUT : roll < 62 ? Kind.GET : roll < 70 ? Kind.GET_INTO : roll < 76 ? Kind.GET_ON_DEVICE :
                roll < 84 ? Kind.REMOVE : roll < 86 ? Kind.CLEAR : roll < 92 ? Kind.HOLD : roll < 97 ? Kind.RELEASE : Kind.REOPEN;
            final int sizeClass = random.nextInt(10);
            final long size = sizeClass < 3 ? 1 + random.nextInt(64) : sizeClass < 8 ? 1 + random.nextInt((int) (32 * KIB)) :
                64 * KIB + random.nextInt((int) (400 * KIB));
            ops.add(new Op(kind, random.nextInt(KEYS), random.nextInt(4) == 0, 1 + random.nextInt(3), size, random.nextLong()));
        }
        return ops;
    }

    private List<Op> shrink(final List<Op> failing, final long seed)
    {
        List<Op> current = failing;
        int chunk = Math.max(1, current.size() / 2);
        while (chunk >= 1)
        {
            boolean removed = false;
            for (int start = 0; start < current.size(); )
            {
                final List<Op> candidate = new ArrayList<>(current.subList(0, start));
                candidate.addAll(current.subList(Math.min(current.size(), start + chunk), current.size()));
                if (!candidate.isEmpty() && run(candidate, seed) != null)
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

    private TierCache open(final Path file)
    {
        return TierCache.builder()
            .deviceBytes(256 * KIB)
            .hostBytes(512 * KIB)
            .file(file, 4 * 1024 * KIB)
            .fileRegionBytes(512 * KIB)
            .maxEntries(256)
            .promoteToDeviceAfter(2)
            .cleanupIntervalNanos(2_000_000)
            .build();
    }

    /**
     * Runs one sequence on a fresh cache.
     *
     * @return null when every check held, else what broke.
     */
    private String run(final List<Op> ops, final long seed)
    {
        SimulatedCuda.current().reset(SimulatedDeviceProfile.MX250);
        final Path file = dir.resolve("model-" + seed + "-" + System.nanoTime() + ".tc");
        final Map<String, Expected> model = new HashMap<>();
        final List<EntryHandle> held = new ArrayList<>();
        final List<MemorySegment> heldCopies = new ArrayList<>();
        final EntryHandle reusable = new EntryHandle();
        TierCache cache = open(file);
        try
        {
            for (int step = 0; step < ops.size(); step++)
            {
                final Op op = ops.get(step);
                final String where = "step " + step + " " + op + ": ";
                final String key = op.keyName();
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
                    }
                    case GET, GET_ON_DEVICE ->
                    {
                        final EntryHandle handle;
                        if (op.kind() == Kind.GET_ON_DEVICE && !op.stringKey())
                        {
                            EntryHandle onDevice;
                            try
                            {
                                onDevice = cache.getOnDevice(op.key());
                            }
                            catch (final IllegalStateException | IllegalArgumentException full)
                            {
                                onDevice = cache.get(op.key());
                            }
                            handle = onDevice;
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
                                return where + problem;
                            }
                        }
                    }
                    case GET_INTO ->
                    {
                        if (!op.stringKey())
                        {
                            final Expected expected = model.get(key);
                            final MemorySegment out = Arena.ofAuto().allocate(2 * 1024 * KIB);
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
                                    return where + "getInto returned other bytes (n=" + n + ")";
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
                    }
                    case CLEAR ->
                    {
                        cache.clear();
                        model.clear();
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
                                return where + problem;
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
                        for (final EntryHandle handle : held)
                        {
                            handle.close();
                        }
                        held.clear();
                        heldCopies.clear();
                        cache.close();
                        cache = open(file);
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
        catch (final RuntimeException | AssertionError ex)
        {
            return ex.toString();
        }
        finally
        {
            for (final EntryHandle handle : held)
            {
                handle.close();
            }
            cache.close();
            try
            {
                Files.deleteIfExists(file);
            }
            catch (final IOException ex)
            {
                throw new UncheckedIOException(ex);
            }
            final String leaks = SimulatedCuda.current().outstandingDescription();
            if (!leaks.isEmpty())
            {
                throw new AssertionError("seed=" + seed + ": device resources outstanding after close: " + leaks);
            }
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
            return "partCount=" + handle.partCount() + " expected " + parts.length;
        }
        for (int i = 0; i < parts.length; i++)
        {
            if (!handle.spec(i).equals(parts[i].spec()))
            {
                return "spec(" + i + ")=" + handle.spec(i) + " expected " + parts[i].spec();
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

    static Part[] parts(final int count, final long size, final long value)
    {
        final SplittableRandom random = new SplittableRandom(value);
        final Part[] parts = new Part[count];
        for (int i = 0; i < count; i++)
        {
            final long bytes = i == 0 ? size : 1 + random.nextInt(4096);
            final MemorySegment segment = Arena.ofAuto().allocate(bytes);
            for (long b = 0; b < bytes; b++)
            {
                segment.set(ValueLayout.JAVA_BYTE, b, (byte) random.nextInt());
            }
            final TensorSpec spec = i == 1 && bytes % 4 == 0 ? TensorSpec.of(DType.F32, bytes / 4) : TensorSpec.of(DType.U8, bytes);
            parts[i] = new Part(spec, segment);
        }
        return parts;
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
}
