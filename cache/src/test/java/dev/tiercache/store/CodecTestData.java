package dev.tiercache.store;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.SplittableRandom;

/**
 * Seeded inputs for the codec tests, shaped like what the cache stores: uint8 images, sparse float
 * heatmaps, token-like text, and incompressible noise. Same seed, same bytes.
 */
final class CodecTestData
{
    /** The run's base seed: {@code -Dtiercache.seed=N} replays a run, otherwise a fresh one. */
    static final long SEED = Long.getLong("tiercache.seed", System.nanoTime());

    /** Bytes around every destination that no codec may change. */
    static final int GUARD_BYTES = 64;

    static final byte GUARD = (byte)0xA5;

    private static final ValueLayout.OfFloat FLOAT = ValueLayout.JAVA_FLOAT_UNALIGNED;

    enum Kind
    {
        /** Uniform random bytes: LZ4 cannot shrink them. */
        RANDOM,
        /** All zero. */
        ZEROS,
        /** Words drawn from a small vocabulary, like token text. */
        TEXT,
        /** A greyscale image: smooth gradients plus ±1–2 noise; LZ4 ratio about 1.1. */
        IMAGE,
        /** Float heatmap: zeros with a few small gaussian blobs; LZ4 ratio well above 10. */
        SPARSE
    }

    private CodecTestData()
    {
    }

    static String replay(final long seed)
    {
        return "seed=" + seed + " (replay: -Dtiercache.seed=" + SEED + ")";
    }

    /**
     * Fills {@code segment} with {@code kind} data from {@code seed}.
     */
    static void fill(final MemorySegment segment, final Kind kind, final long seed)
    {
        final SplittableRandom random = new SplittableRandom(seed);
        final long size = segment.byteSize();
        switch (kind)
        {
            case RANDOM ->
            {
                for (long i = 0; i < size; i++)
                {
                    segment.set(ValueLayout.JAVA_BYTE, i, (byte)random.nextInt());
                }
            }
            case ZEROS -> segment.fill((byte)0);
            case TEXT -> fillText(segment, random);
            case IMAGE -> fillImage(segment, random);
            case SPARSE -> fillSparse(segment, random);
            default -> throw new IllegalArgumentException("kind=" + kind);
        }
    }

    static MemorySegment allocate(final Arena arena, final Kind kind, final long size, final long seed)
    {
        final MemorySegment segment = arena.allocate(Math.max(1, size)).asSlice(0, size);
        fill(segment, kind, seed);
        return segment;
    }

    /**
     * A destination of {@code size} bytes at an {@code offset} into a block whose other bytes are
     * guard bytes.
     */
    static Guarded guarded(final Arena arena, final long size, final int offset)
    {
        final MemorySegment block = arena.allocate(size + offset + 2L * GUARD_BYTES);
        block.fill(GUARD);
        return new Guarded(block, block.asSlice(GUARD_BYTES + offset, size));
    }

    /**
     * A segment ({@code inner}) inside a larger block of guard bytes.
     */
    record Guarded(MemorySegment block, MemorySegment inner)
    {
        /**
         * Where a byte outside {@code inner} was changed, or {@code -1}.
         */
        long changedGuard()
        {
            final long innerStart = inner.address() - block.address();
            final long innerEnd = innerStart + inner.byteSize();
            for (long i = 0; i < block.byteSize(); i++)
            {
                if ((i < innerStart || i >= innerEnd) && GUARD != block.get(ValueLayout.JAVA_BYTE, i))
                {
                    return i;
                }
            }
            return -1;
        }
    }

    private static void fillText(final MemorySegment segment, final SplittableRandom random)
    {
        final String[] words = new String[64];
        for (int w = 0; w < words.length; w++)
        {
            final StringBuilder word = new StringBuilder();
            final int length = random.nextInt(2, 10);
            for (int c = 0; c < length; c++)
            {
                word.append((char)('a' + random.nextInt(26)));
            }
            words[w] = word.append(' ').toString();
        }
        long position = 0;
        while (position < segment.byteSize())
        {
            final String word = words[random.nextInt(words.length)];
            for (int c = 0; c < word.length() && position < segment.byteSize(); c++)
            {
                segment.set(ValueLayout.JAVA_BYTE, position++, (byte)word.charAt(c));
            }
        }
    }

    private static void fillImage(final MemorySegment segment, final SplittableRandom random)
    {
        final int width = 1024;
        for (long i = 0; i < segment.byteSize(); i++)
        {
            final long x = i % width;
            final long y = i / width;
            final double base = 128 + 60 * Math.sin(x / 97.0) + 50 * Math.cos(y / 61.0) + 0.05 * x;
            final int noise = random.nextInt(-1, 2) + (random.nextInt(3) == 0 ? random.nextInt(-1, 2) : 0);
            segment.set(ValueLayout.JAVA_BYTE, i, (byte)Math.clamp(Math.round(base) + noise, 0, 255));
        }
    }

    private static void fillSparse(final MemorySegment segment, final SplittableRandom random)
    {
        segment.fill((byte)0);
        final int width = 256;
        final long floats = segment.byteSize() / Float.BYTES;
        final long height = Math.max(1, floats / width);
        final int blobs = (int)Math.max(1, floats / 16_384);
        for (int b = 0; b < blobs; b++)
        {
            final double centreX = random.nextDouble(width);
            final double centreY = random.nextDouble(height);
            final double sigma = 1.5 + random.nextDouble(2.5);
            final double peak = 0.5 + random.nextDouble(0.5);
            final long reach = (long)Math.ceil(3 * sigma);
            for (long y = Math.max(0, (long)centreY - reach); y <= Math.min(height - 1, (long)centreY + reach); y++)
            {
                for (long x = Math.max(0, (long)centreX - reach); x <= Math.min(width - 1, (long)centreX + reach); x++)
                {
                    final long index = y * width + x;
                    if (index < floats)
                    {
                        final double d2 = (x - centreX) * (x - centreX) + (y - centreY) * (y - centreY);
                        final float value = (float)(peak * Math.exp(-d2 / (2 * sigma * sigma)));
                        final float previous = segment.get(FLOAT, index * Float.BYTES);
                        segment.set(FLOAT, index * Float.BYTES, Math.max(previous, value));
                    }
                }
            }
        }
    }
}
