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

    /** Runs a launch over host addresses already resolved from its device pointers. */
    static void run(final Launch launch, final long source, final long destination)
    {
        final long n = launch.count();
        final MemorySegment in = MemorySegment.ofAddress(source).reinterpret(n);
        final MemorySegment out = MemorySegment.ofAddress(destination).reinterpret(n * launch.outputBytes());
        // the elements in the grid-stride loop's order; the channel, the PTX's unsigned div and rem
        // of the index, is the same for a whole plane, so it is worked out once per plane
        int i = 0;
        while (Integer.compareUnsigned(i, launch.elements) < 0)
        {
            final int channel = Integer.remainderUnsigned(Integer.divideUnsigned(i, launch.plane), launch.channels);
            // the PTX starts from scale0/offset0 and moves in scale1..3 under predicates c == 1, 2, 3
            final int select = channel == 1 || channel == 2 || channel == 3 ? channel : 0;
            final float scale = launch.scale[select];
            final float offset = launch.offset[select];
            final long end = Math.min(n, (Integer.toUnsignedLong(Integer.divideUnsigned(i, launch.plane)) + 1) * Integer.toUnsignedLong(launch.plane));
            for (long e = Integer.toUnsignedLong(i); e < end; e++)
            {
                final float y = Math.fma((float)Byte.toUnsignedInt(in.get(ValueLayout.JAVA_BYTE, e)), scale, offset);
                if (launch.f16)
                {
                    out.set(ValueLayout.JAVA_SHORT_UNALIGNED, 2 * e, Float.floatToFloat16(y));
                }
                else
                {
                    out.set(ValueLayout.JAVA_FLOAT_UNALIGNED, 4 * e, y);
                }
            }
            i = (int)end;
        }
    }
}
