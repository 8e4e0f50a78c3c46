package dev.tiercache.store;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/**
 * A test-only codec (id 1, the id the LZ4 block codec takes in production) that compresses runs:
 * a control byte below 128 is followed by {@code control + 1} literal bytes; a control byte
 * {@code c >= 128} is followed by one byte repeated {@code c - 125} times. Enough to exercise the
 * store's compressed path and its raw fallback without depending on the real codecs.
 */
final class RunLengthCodec implements Codec
{
    private static final int MAX_LITERALS = 128;
    private static final int MIN_RUN = 3;
    private static final int MAX_RUN = 127 + MIN_RUN;

    @Override
    public int id()
    {
        return 1;
    }

    @Override
    public String name()
    {
        return "rle-test";
    }

    @Override
    public long maxCompressedLength(final long rawLength)
    {
        return rawLength + (rawLength + MAX_LITERALS - 1) / MAX_LITERALS;
    }

    @Override
    public long compress(final MemorySegment src, final MemorySegment dst)
    {
        final long length = src.byteSize();
        final long capacity = dst.byteSize();
        long in = 0;
        long out = 0;
        while (in < length)
        {
            final byte value = src.get(ValueLayout.JAVA_BYTE, in);
            long run = 1;
            while (in + run < length && run < MAX_RUN && src.get(ValueLayout.JAVA_BYTE, in + run) == value)
            {
                run++;
            }
            if (run >= MIN_RUN)
            {
                if (out + 2 > capacity)
                {
                    return INCOMPRESSIBLE;
                }
                dst.set(ValueLayout.JAVA_BYTE, out++, (byte)(128 + run - MIN_RUN));
                dst.set(ValueLayout.JAVA_BYTE, out++, value);
                in += run;
                continue;
            }
            final long start = in;
            long literals = 0;
            while (in < length && literals < MAX_LITERALS && !runStarts(src, in, length))
            {
                in++;
                literals++;
            }
            if (out + 1 + literals > capacity)
            {
                return INCOMPRESSIBLE;
            }
            dst.set(ValueLayout.JAVA_BYTE, out++, (byte)(literals - 1));
            MemorySegment.copy(src, start, dst, out, literals);
            out += literals;
        }
        return out;
    }

    @Override
    public long decompress(final MemorySegment src, final MemorySegment dst)
    {
        final long length = src.byteSize();
        final long capacity = dst.byteSize();
        long in = 0;
        long out = 0;
        while (in < length)
        {
            final int control = Byte.toUnsignedInt(src.get(ValueLayout.JAVA_BYTE, in++));
            if (control < 128)
            {
                final long literals = control + 1;
                if (in + literals > length || out + literals > capacity)
                {
                    return CORRUPT;
                }
                MemorySegment.copy(src, in, dst, out, literals);
                in += literals;
                out += literals;
            }
            else
            {
                final long run = control - 128 + MIN_RUN;
                if (in >= length || out + run > capacity)
                {
                    return CORRUPT;
                }
                dst.asSlice(out, run).fill(src.get(ValueLayout.JAVA_BYTE, in++));
                out += run;
            }
        }
        return out == capacity ? out : CORRUPT;
    }

    private static boolean runStarts(final MemorySegment src, final long at, final long length)
    {
        if (at + 2 >= length)
        {
            return false;
        }
        final byte value = src.get(ValueLayout.JAVA_BYTE, at);
        return src.get(ValueLayout.JAVA_BYTE, at + 1) == value && src.get(ValueLayout.JAVA_BYTE, at + 2) == value;
    }
}
