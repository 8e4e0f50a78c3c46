package dev.tiercache;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.SplittableRandom;

/**
 * The seeded operations of the crash torture, the same in the child that runs them and in the
 * parent that checks what a reopen finds; and the self-verifying values: a header of key,
 * version, length and kind, then bytes derived from them (random, or a compressible pattern).
 */
final class TortureOps
{
    static final int OPS = 1500;
    static final int KEYS = 200;
    private static final int HEADER = 32;

    enum Kind
    {
        PUT, REMOVE, READ, TO_DEVICE, FLUSH
    }

    record Op(Kind kind, long key, long version, long length)
    {
    }

    private final Op[] ops = new Op[OPS];

    TortureOps(final long seed)
    {
        final SplittableRandom random = new SplittableRandom(seed);
        for (int i = 0; i < OPS; i++)
        {
            final int dice = random.nextInt(100);
            final long key = random.nextInt(KEYS);
            final Kind kind = dice < 50 ? Kind.PUT : dice < 60 ? Kind.REMOVE : dice < 85 ? Kind.READ : dice < 92 ? Kind.TO_DEVICE : Kind.FLUSH;
            // versions are the op's index: unique, increasing
            ops[i] = new Op(kind, key, i + 1, kind == Kind.PUT ? HEADER + random.nextInt(16 << 10) : 0);
        }
    }

    Op op(final int i)
    {
        return ops[i];
    }

    static MemorySegment value(final long key, final long version, final long length)
    {
        final MemorySegment segment = Arena.ofAuto().allocate(length, 64);
        final boolean compressible = (version & 1) == 0;
        segment.set(ValueLayout.JAVA_LONG_UNALIGNED, 0, key);
        segment.set(ValueLayout.JAVA_LONG_UNALIGNED, 8, version);
        segment.set(ValueLayout.JAVA_LONG_UNALIGNED, 16, length);
        segment.set(ValueLayout.JAVA_LONG_UNALIGNED, 24, compressible ? 1 : 0);
        fillBody(segment, key, version, length, compressible);
        return segment;
    }

    private static void fillBody(final MemorySegment segment, final long key, final long version, final long length, final boolean compressible)
    {
        final SplittableRandom random = new SplittableRandom(key * 1_000_003L + version);
        for (long i = HEADER; i < length; i++)
        {
            segment.set(ValueLayout.JAVA_BYTE, i, (byte) (compressible ? (key + version + i / 97) : random.nextInt()));
        }
    }

    /** Checks a value read for {@code key}: null when it is whole, else what is wrong. */
    static String check(final long key, final MemorySegment read)
    {
        if (read.byteSize() < HEADER)
        {
            return "key " + key + ": " + read.byteSize() + " bytes, shorter than the header";
        }
        final long readKey = read.get(ValueLayout.JAVA_LONG_UNALIGNED, 0);
        final long version = read.get(ValueLayout.JAVA_LONG_UNALIGNED, 8);
        final long length = read.get(ValueLayout.JAVA_LONG_UNALIGNED, 16);
        final long kind = read.get(ValueLayout.JAVA_LONG_UNALIGNED, 24);
        if (readKey != key || length != read.byteSize() || kind != ((version & 1) ^ 1))
        {
            return "key " + key + ": the header says key " + readKey + " v" + version + " length " + length + " kind " + kind;
        }
        final long mismatch = read.mismatch(value(key, version, length));
        return mismatch == -1 ? null : "key " + key + " v" + version + ": bytes differ from offset " + mismatch;
    }

    static long versionOf(final MemorySegment read)
    {
        return read.get(ValueLayout.JAVA_LONG_UNALIGNED, 8);
    }
}
