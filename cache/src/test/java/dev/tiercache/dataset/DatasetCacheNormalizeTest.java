package dev.tiercache.dataset;

import dev.tiercache.DType;
import dev.tiercache.EntryHandle;
import dev.tiercache.Part;
import dev.tiercache.TensorSpec;
import dev.tiercache.Tier;
import dev.tiercache.TierCache;
import dev.tiercache.cuda.CudaRuntime;
import dev.tiercache.cuda.DeviceBuffer;
import dev.tiercache.cuda.sim.SimulatedCuda;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.file.Path;
import java.util.SplittableRandom;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Normalised batches, on the host and on the (simulated) device through the driver API kernels,
 * from entries spread over all three levels, against a reference computed from the original bytes.
 */
@org.junit.jupiter.api.extension.ExtendWith(dev.tiercache.testing.SimulatedMx250.class)
class DatasetCacheNormalizeTest
{
    private static final long SEED = Long.getLong("tiercache.seed", System.nanoTime());
    private static final long MIB = 1024 * 1024;
    private static final int SIDE = 96;
    private static final long IMAGE = 3L * SIDE * SIDE;
    private static final int IMAGES = 96;

    @TempDir
    Path dir;

    private SimulatedCuda sim;

    /** After the extension installed and reset the simulated device. */
    @BeforeEach
    void device()
    {
        sim = SimulatedCuda.current();
    }

    private static byte pixel(final long key, final long i)
    {
        return (byte)(key * 37 + i * 11 + (i >>> 5));
    }

    /** A cache whose L1 and L2 together hold about half the images, so reads come from every level. */
    private TierCache filled(final Arena arena)
    {
        final TierCache cache = TierCache.builder().deviceBytes(IMAGE * 16).hostBytes(IMAGE * 40).file(dir.resolve("l3.tc"), 32 * MIB)
            .fileRegionBytes(2 * MIB).maxEntries(1024).persistOnClose(false).build();
        final MemorySegment bytes = arena.allocate(IMAGE);
        for (long key = 0; key < IMAGES; key++)
        {
            for (long i = 0; i < IMAGE; i++)
            {
                bytes.set(ValueLayout.JAVA_BYTE, i, pixel(key, i));
            }
            cache.put(key, new Part(TensorSpec.of(DType.U8, 3, SIDE, SIDE), bytes));
            if (key % 3 == 0)
            {
                try (EntryHandle raised = cache.getOnDevice(key))
                {
                    assertEquals(Tier.DEVICE, raised.tier());
                }
                catch (final IllegalStateException full)
                {
                    // L1 full: stays where it is
                }
            }
        }
        return cache;
    }

    private static MemorySegment reference(final Arena arena, final long[] keys, final Normalization normalization)
    {
        final MemorySegment bytes = arena.allocate(IMAGE * keys.length);
        for (int k = 0; k < keys.length; k++)
        {
            for (long i = 0; i < IMAGE; i++)
            {
                bytes.set(ValueLayout.JAVA_BYTE, k * IMAGE + i, pixel(keys[k], i));
            }
        }
        final MemorySegment out = arena.allocate(normalization.outputBytes(bytes.byteSize()));
        normalization.applyOnHost(bytes, out, bytes.byteSize(), (long)SIDE * SIDE);
        return out;
    }

    private static long[] randomBatch(final SplittableRandom random, final int size)
    {
        final long[] keys = new long[size];
        for (int i = 0; i < size; i++)
        {
            keys[i] = random.nextInt(IMAGES);
        }
        return keys;
    }

    @Test
    void batches_onTheHostAndOnTheDevice_equalTheReference_fromEveryLevel()
    {
        System.out.println("DatasetCacheNormalizeTest seed=" + SEED + " (rerun with -Dtiercache.seed=" + SEED + ")");
        final SplittableRandom random = new SplittableRandom(SEED);
        try (Arena arena = Arena.ofConfined(); TierCache cache = filled(arena); DatasetCache dataset = DatasetCache.builder(cache).build())
        {
            final CudaRuntime cuda = CudaRuntime.open();
            for (int round = 0; round < 40; round++)
            {
                final DType output = random.nextBoolean() ? DType.F16 : DType.F32;
                final Normalization normalization = Normalization.of(output,
                    new float[] {(float)random.nextDouble(-1, 1), 1f / 255f, (float)random.nextDouble(0, 0.1)},
                    new float[] {(float)random.nextDouble(-2, 2), -0.5f, 3f});
                final long[] keys = randomBatch(random, 1 + random.nextInt(12));
                final MemorySegment expected = reference(arena, keys, normalization);
                final MemorySegment host = arena.allocate(expected.byteSize());
                assertEquals(expected.byteSize(), dataset.getBatchNormalized(keys, host, normalization, null));
                assertEquals(-1, host.mismatch(expected), "host batch, round " + round + ", seed " + SEED);

                final MemorySegment back = arena.allocate(expected.byteSize());
                try (DeviceBuffer gathered = cuda.allocateDevice(IMAGE * keys.length);
                     DeviceBuffer normalized = cuda.allocateDevice(expected.byteSize()))
                {
                    assertEquals(expected.byteSize(), dataset.getBatchOnDevice(keys, gathered, normalized, normalization, null));
                    normalized.copyToHost(0, back);
                }
                assertEquals(-1, back.mismatch(expected), "device batch, round " + round + ", seed " + SEED);
            }
            final BatchStats stats = dataset.batchStats();
            assertTrue(stats.deviceReads() > 0 && stats.hostReads() > 0 && stats.fileReads() > 0, stats.toString());
        }
    }

    @Test
    void deviceBatches_fromManyThreadsAtOnce_eachGetTheirOwnImages() throws Exception
    {
        final Normalization normalization = Normalization.meanStd(DType.F32, new float[] {0.485f, 0.456f, 0.406f},
            new float[] {0.229f, 0.224f, 0.225f});
        try (Arena arena = Arena.ofShared(); TierCache cache = filled(arena); DatasetCache dataset = DatasetCache.builder(cache).build();
             ExecutorService pool = Executors.newFixedThreadPool(4))
        {
            final CudaRuntime cuda = CudaRuntime.open();
            final java.util.List<Future<String>> results = new java.util.ArrayList<>();
            for (int t = 0; t < 4; t++)
            {
                final long seed = SEED + t;
                results.add(pool.submit(() ->
                {
                    final SplittableRandom random = new SplittableRandom(seed);
                    try (Arena mine = Arena.ofConfined())
                    {
                        for (int round = 0; round < 25; round++)
                        {
                            final long[] keys = randomBatch(random, 8);
                            final MemorySegment expected = reference(mine, keys, normalization);
                            final MemorySegment back = mine.allocate(expected.byteSize());
                            try (DeviceBuffer gathered = cuda.allocateDevice(IMAGE * keys.length);
                                 DeviceBuffer normalized = cuda.allocateDevice(expected.byteSize()))
                            {
                                dataset.getBatchOnDevice(keys, gathered, normalized, normalization, null);
                                normalized.copyToHost(0, back);
                            }
                            if (back.mismatch(expected) != -1)
                            {
                                return "thread seed " + seed + ", round " + round + ": wrong bytes at " + back.mismatch(expected);
                            }
                        }
                    }
                    return "";
                }));
            }
            for (final Future<String> result : results)
            {
                assertEquals("", result.get());
            }
        }
    }

    @Test
    void aBatchOfTheWrongShape_isRefused_namingTheKey()
    {
        try (Arena arena = Arena.ofConfined(); TierCache cache = filled(arena); DatasetCache dataset = DatasetCache.builder(cache).build())
        {
            cache.put(500L, new Part(TensorSpec.of(DType.U8, 4, 4, 4), arena.allocate(64)));
            final Normalization rgb = Normalization.of(DType.F32, new float[] {1, 1, 1}, new float[] {0, 0, 0});
            final CudaRuntime cuda = CudaRuntime.open();
            try (DeviceBuffer gathered = cuda.allocateDevice(IMAGE * 2); DeviceBuffer normalized = cuda.allocateDevice(IMAGE * 8))
            {
                final IllegalArgumentException ex = assertThrows(IllegalArgumentException.class,
                    () -> dataset.getBatchOnDevice(new long[] {1, 500}, gathered, normalized, rgb, null));
                assertTrue(ex.getMessage().startsWith("key 500 holds u8[4, 4, 4]") || ex.getMessage().startsWith("key 500 holds"), ex.getMessage());
                assertEquals(-2, dataset.getBatchOnDevice(new long[] {1, 9999}, gathered, normalized, rgb, null), "a miss names its index");
            }
            assertThrows(IllegalArgumentException.class, () -> dataset.getBatchNormalized(new long[] {500}, arena.allocate(1024), rgb, null));
            assertTrue(cache.stats().level(Tier.DEVICE).enabled());
        }
    }

    @Test
    void normalization_rejectsBadValues_namingThem()
    {
        assertTrue(assertThrows(IllegalArgumentException.class, () -> Normalization.of(DType.U8, new float[] {1}, new float[] {0}))
            .getMessage().contains("output=U8"));
        assertTrue(assertThrows(IllegalArgumentException.class, () -> Normalization.meanStd(DType.F32, new float[] {0.5f}, new float[] {0f}))
            .getMessage().contains("std[0]=0.0"));
        assertTrue(assertThrows(IllegalArgumentException.class, () -> Normalization.of(DType.F32, new float[5], new float[5]))
            .getMessage().contains("scale.length=5"));
    }
}
