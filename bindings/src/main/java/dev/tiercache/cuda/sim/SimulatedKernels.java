package dev.tiercache.cuda.sim;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/**
 * The kernels the simulated device can run, with their semantics written out in Java, read from the
 * launch's parameter array as a device reads them. Written apart from the host reference
 * ({@code dev.tiercache.cuda.NormalizeKernel.runOnHost}), after the PTX, so that a test comparing the
 * two compares two readings of the kernel, not one routine with itself: the index arithmetic is the
 * PTX's 32-bit unsigned {@code div}/{@code rem}, the loop is the grid-stride loop's order.
 */
final class SimulatedKernels
{
    static final String U8_TO_F32 = "tiercache_u8_to_f32";
    static final String U8_TO_F16 = "tiercache_u8_to_f16";
    private static final int PARAMETERS = 13;
    private static final int CHANNEL_VALUES = 4;

    private SimulatedKernels()
    {
    }

    /**
     * One launch's parameters.
     *
     * @param f16 fp16 output.
     * @param source device address of the uint8 input.
     * @param destination device address of the output.
     * @param elements the element count, a u32.
     * @param plane elements per channel plane.
     * @param channels channels.
     * @param scale scale0..3.
     * @param offset offset0..3.
     */
    record Launch(boolean f16, long source, long destination, int elements, int plane, int channels, float[] scale, float[] offset)
    {
        long count()
        {
            return Integer.toUnsignedLong(elements);
        }

        long outputBytes()
        {
            return f16 ? 2 : 4;
        }
    }

    /** Whether the simulator runs an entry with that many parameters. */
    static boolean knows(final String entry, final int parameters)
    {
        return (U8_TO_F32.equals(entry) || U8_TO_F16.equals(entry)) && parameters == PARAMETERS;
    }

    /** Reads a launch's {@code void **kernelParams}. */
    static Launch read(final String entry, final MemorySegment parameters)
    {
        final MemorySegment pointers = parameters.reinterpret(ValueLayout.ADDRESS.byteSize() * PARAMETERS);
        final float[] scale = new float[CHANNEL_VALUES];
        final float[] offset = new float[CHANNEL_VALUES];
        for (int c = 0; c < CHANNEL_VALUES; c++)
        {
            scale[c] = value(pointers, 5 + c, Float.BYTES).get(ValueLayout.JAVA_FLOAT, 0);
            offset[c] = value(pointers, 9 + c, Float.BYTES).get(ValueLayout.JAVA_FLOAT, 0);
        }
        return new Launch(U8_TO_F16.equals(entry),
            value(pointers, 0, Long.BYTES).get(ValueLayout.JAVA_LONG, 0),
            value(pointers, 1, Long.BYTES).get(ValueLayout.JAVA_LONG, 0),
            value(pointers, 2, Integer.BYTES).get(ValueLayout.JAVA_INT, 0),
            value(pointers, 3, Integer.BYTES).get(ValueLayout.JAVA_INT, 0),
            value(pointers, 4, Integer.BYTES).get(ValueLayout.JAVA_INT, 0),
            scale, offset);
    }

    private static MemorySegment value(final MemorySegment pointers, final int index, final long bytes)
    {
        return pointers.getAtIndex(ValueLayout.ADDRESS, index).reinterpret(bytes);
    }

    /** Elements converted per pass through the scratch arrays (small enough to stay in L1/L2 caches). */
    private static final int CHUNK = 8192;

    /** Elements per direct f32 pass: the index of one slice stays an int. */
    private static final int DIRECT_CHUNK = 1 << 16;

    /** Scratch arrays of one thread running kernels. */
    private static final class Scratch
    {
        final byte[] in = new byte[CHUNK];
        final short[] f16 = new short[CHUNK];
    }

    private static final ThreadLocal<Scratch> SCRATCH = ThreadLocal.withInitial(Scratch::new);

    /**
     * Runs a launch over host addresses already resolved from its device pointers.
     *
     * <p>The result is the grid-stride loop's, element for element: each element is computed alone
     * from its own input byte, so the order the elements are visited in does not change a bit. The
     * elements are taken a channel plane at a time (the channel, the PTX's unsigned div and rem of
     * the index, is the same for a whole plane, so it is worked out once per plane), in chunks over
     * which the conversion is a counted int loop the JIT compiles to vector instructions: straight
     * from source to output for f32, through heap arrays for f16.
     */
    static void run(final Launch launch, final long source, final long destination)
    {
        final long n = launch.count();
        final MemorySegment in = MemorySegment.ofAddress(source).reinterpret(n);
        final MemorySegment out = MemorySegment.ofAddress(destination).reinterpret(n * launch.outputBytes());
        final long plane = Integer.toUnsignedLong(launch.plane);
        final long channels = Integer.toUnsignedLong(launch.channels);
        final Scratch scratch = SCRATCH.get();
        long i = 0;
        while (i < n)
        {
            // indices are below 2^32, so the long div and rem are the PTX's u32 div.u32 and rem.u32
            final long planeIndex = i / plane;
            final int channel = (int)(planeIndex % channels);
            // the PTX starts from scale0/offset0 and moves in scale1..3 under predicates c == 1, 2, 3
            final int select = channel == 1 || channel == 2 || channel == 3 ? channel : 0;
            final float scale = launch.scale[select];
            final float offset = launch.offset[select];
            final long end = Math.min(n, (planeIndex + 1) * plane);
            while (i < end)
            {
                if (launch.f16)
                {
                    final int length = (int)Math.min(CHUNK, end - i);
                    MemorySegment.copy(in, ValueLayout.JAVA_BYTE, i, scratch.in, 0, length);
                    toF16(scratch.in, scratch.f16, length, scale, offset);
                    MemorySegment.copy(scratch.f16, 0, out, ValueLayout.JAVA_SHORT_UNALIGNED, 2 * i, length);
                    i += length;
                }
                else
                {
                    // straight from the source to the output: a fifth faster than through the scratch arrays
                    final int length = (int)Math.min(DIRECT_CHUNK, end - i);
                    toF32(in.asSlice(i, length), out.asSlice(4 * i, 4L * length), length, scale, offset);
                    i += length;
                }
            }
        }
    }

    /**
     * {@code cvt.rn.f32.u16} of the byte, then {@code fma.rn.f32}: an int-indexed loop over slices
     * that start at 0, which C2 compiles to vector instructions.
     */
    private static void toF32(final MemorySegment in, final MemorySegment out, final int length, final float scale, final float offset)
    {
        for (int e = 0; e < length; e++)
        {
            out.setAtIndex(ValueLayout.JAVA_FLOAT_UNALIGNED, e, Math.fma((float)(in.get(ValueLayout.JAVA_BYTE, e) & 0xFF), scale, offset));
        }
    }

    /** As {@link #toF32}, then {@code cvt.rn.f16.f32} (round to nearest, ties to even). */
    private static void toF16(final byte[] in, final short[] out, final int length, final float scale, final float offset)
    {
        for (int e = 0; e < length; e++)
        {
            out[e] = Float.floatToFloat16(Math.fma((float)(in[e] & 0xFF), scale, offset));
        }
    }
}
