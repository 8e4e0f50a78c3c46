package dev.tiercache.bench;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.SplittableRandom;

/**
 * The keys and values every benchmark shares, so that a ratio between two benchmarks compares
 * the same bytes read in the same order.
 *
 * <p>Working set: {@link #WORKING_SET_BYTES} of values, i.e. {@code 64 MiB / size} entries, so the
 * values never fit the CPU caches and every copy runs at memory speed, as a cache's does in a
 * pipeline that streams a dataset. Keys are {@code 0 .. entries-1}, visited in one fixed shuffled
 * order ({@link #keyOrder}) that every benchmark walks with its own cursor.
 *
 * <p>Values come in two kinds, chosen to bracket what LZ4 meets in a training pipeline:
 * <ul>
 *   <li>{@link #fillImage image}: uint8 pixels, a gradient with per-pixel noise and one row in
 *       twenty flat; LZ4 gains about 14 % on it (ratio 1.14), as on a real photograph;</li>
 *   <li>{@link #fillHeatmap heatmap}: fp16 keypoint heatmaps, zero except for a few small
 *       Gaussian blobs; LZ4 shrinks it about 100 times.</li>
 * </ul>
 */
public final class Workload
{
    /** Bytes of values in every working set. */
    public static final long WORKING_SET_BYTES = 64L << 20;

    /** Seed of every generator here, so that all benchmarks see the same bytes. */
    public static final long SEED = 0x5EED7CACEL;

    private Workload()
    {
    }

    /**
     * How many entries of {@code sizeBytes} make up the working set.
     *
     * @param sizeBytes value size, a power of two.
     * @return a power of two, at least 1.
     */
    public static int entries(final int sizeBytes)
    {
        return (int)Math.max(1, WORKING_SET_BYTES / sizeBytes);
    }

    /**
     * The order in which keys are visited: a seeded shuffle of {@code 0 .. entries-1}.
     *
     * @param entries a power of two.
     * @return the keys in visiting order.
     */
    public static int[] keyOrder(final int entries)
    {
        final int[] keys = new int[entries];
        for (int i = 0; i < entries; i++)
        {
            keys[i] = i;
        }
        final SplittableRandom random = new SplittableRandom(SEED);
        for (int i = entries - 1; i > 0; i--)
        {
            final int j = random.nextInt(i + 1);
            final int t = keys[i];
            keys[i] = keys[j];
            keys[j] = t;
        }
        return keys;
    }

    /**
     * Fills a value of the given kind.
     *
     * @param kind {@code "image"} or {@code "heatmap"}.
     * @param dst  the bytes to fill.
     * @param key  varies the content between entries.
     */
    public static void fill(final String kind, final MemorySegment dst, final long key)
    {
        switch (kind)
        {
            case "image" -> fillImage(dst, key);
            case "heatmap" -> fillHeatmap(dst, key);
            default -> throw new IllegalArgumentException("kind=" + kind + " is not image or heatmap");
        }
    }

    /**
     * Image-like uint8 data: rows of 256 pixels, a smooth gradient plus noise of ±24, and one
     * 256-pixel row in twenty flat (sky, background).
     *
     * @param dst the bytes to fill.
     * @param key varies the content between entries.
     */
    public static void fillImage(final MemorySegment dst, final long key)
    {
        final SplittableRandom random = new SplittableRandom(SEED ^ key);
        final long size = dst.byteSize();
        for (long row = 0; row < size; row += 256)
        {
            final long end = Math.min(size, row + 256);
            final int base = (int)((row >>> 8) * 7 + key) & 0xFF;
            if (random.nextInt(20) == 0)
            {
                dst.asSlice(row, end - row).fill((byte)base);
                continue;
            }
            for (long i = row; i < end; i++)
            {
                final int pixel = base + (int)(i - row) / 4 + random.nextInt(49) - 24;
                dst.set(ValueLayout.JAVA_BYTE, i, (byte)Math.clamp(pixel, 0, 255));
            }
        }
    }

    /**
     * Heatmap-like fp16 data: 64×64 maps, each zero but for one Gaussian blob (sigma 2 pixels)
     * at a random place, as a pose model's keypoint targets are.
     *
     * @param dst the bytes to fill.
     * @param key varies the content between entries.
     */
    public static void fillHeatmap(final MemorySegment dst, final long key)
    {
        final SplittableRandom random = new SplittableRandom(SEED ^ key);
        final int side = 64;
        final long mapBytes = (long)side * side * Short.BYTES;
        dst.fill((byte)0);
        for (long map = 0; map + mapBytes <= dst.byteSize(); map += mapBytes)
        {
            final int cx = random.nextInt(side);
            final int cy = random.nextInt(side);
            for (int y = Math.max(0, cy - 6); y < Math.min(side, cy + 7); y++)
            {
                for (int x = Math.max(0, cx - 6); x < Math.min(side, cx + 7); x++)
                {
                    final float d2 = (x - cx) * (x - cx) + (y - cy) * (y - cy);
                    final float value = (float)Math.exp(-d2 / 8.0);
                    final long at = map + ((long)y * side + x) * Short.BYTES;
                    dst.set(ValueLayout.JAVA_SHORT_UNALIGNED, at, Float.floatToFloat16(value));
                }
            }
        }
    }

    /**
     * A value of {@code size} image bytes as a heap array, for peers that store {@code byte[]}.
     *
     * @param size bytes.
     * @param key  varies the content between entries.
     * @return a new array.
     */
    public static byte[] imageArray(final int size, final long key)
    {
        final byte[] value = new byte[size];
        fillImage(MemorySegment.ofArray(value), key);
        return value;
    }
}
