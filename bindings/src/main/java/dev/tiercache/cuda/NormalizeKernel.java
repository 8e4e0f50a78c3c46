package dev.tiercache.cuda;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/**
 * The normalisation kernels, as PTX text, and their reference on the host.
 *
 * <h2>What they compute</h2>
 * For {@code count} uint8 elements of CHW images whose channel planes hold {@code plane} elements
 * each, element {@code i} is in channel {@code c = (i / plane) % channels} and becomes
 * {@code fma(value, scale[c], offset[c])} as float32 (one rounding), or that float rounded to the
 * nearest fp16, ties to even ({@code cvt.rn.f16.f32}, what {@link Float#floatToFloat16} does). The
 * host reference {@link #runOnHost} computes exactly this, so a device result can be compared bit for
 * bit.
 *
 * <h2>Why PTX text at sm_61</h2>
 * PTX is forward compatible: the driver JIT-compiles it for the GPU it runs on, so one text serves
 * Pascal (the target laptop's sm_61, which CUDA 13's nvcc can no longer target) and everything
 * newer. ISA 5.0 is the first with sm_61. Each kernel is a grid-stride loop, so any grid covers any
 * count; the scale and offset of up to {@value #MAX_CHANNELS} channels travel as by-value parameters
 * and are chosen per element with predicated moves (no constant memory to manage). Indices are
 * 32-bit: a launch covers at most {@value #MAX_ELEMENTS} elements.
 *
 * <h2>Parameters</h2>
 * Both entries take, in order: {@code .u64 src}, {@code .u64 dst}, {@code .u32 count},
 * {@code .u32 plane}, {@code .u32 channels}, {@code .f32 scale0..scale3}, {@code .f32 offset0..offset3}
 * (13 parameters; unused channels' values are ignored).
 */
public final class NormalizeKernel
{
    /** Most channels one launch normalises (grey, RGB, RGBA). */
    public static final int MAX_CHANNELS = 4;

    /** Most elements one launch covers (32-bit indices that cannot overflow with the stride added). */
    public static final long MAX_ELEMENTS = Integer.MAX_VALUE;

    /** Entry writing float32. */
    public static final String F32_ENTRY = "tiercache_u8_to_f32";

    /** Entry writing fp16. */
    public static final String F16_ENTRY = "tiercache_u8_to_f16";

    /** Parameters of each entry. */
    public static final int PARAMETER_COUNT = 13;

    /** Threads per block of a launch. */
    public static final int BLOCK_THREADS = 256;

    /** Most blocks of a launch; the grid-stride loop covers the rest. */
    public static final int MAX_BLOCKS = 4096;

    /** The module: both entries, PTX ISA 5.0, target sm_61, 64-bit addresses. */
    public static final String PTX = """
        //
        // tiercache normalisation kernels: uint8 CHW -> fma(v, scale[c], offset[c]) as f32 or f16.
        //
        .version 5.0
        .target sm_61
        .address_size 64

        .visible .entry tiercache_u8_to_f32(
            .param .u64 p_src, .param .u64 p_dst, .param .u32 p_count, .param .u32 p_plane, .param .u32 p_channels,
            .param .f32 p_s0, .param .f32 p_s1, .param .f32 p_s2, .param .f32 p_s3,
            .param .f32 p_o0, .param .f32 p_o1, .param .f32 p_o2, .param .f32 p_o3)
        {
            .reg .pred %p<5>;
            .reg .b16 %rs<2>;
            .reg .b32 %r<13>;
            .reg .f32 %f<13>;
            .reg .b64 %rd<7>;

            ld.param.u64 %rd1, [p_src];
            ld.param.u64 %rd2, [p_dst];
            cvta.to.global.u64 %rd1, %rd1;
            cvta.to.global.u64 %rd2, %rd2;
            ld.param.u32 %r1, [p_count];
            ld.param.u32 %r2, [p_plane];
            ld.param.u32 %r3, [p_channels];
            ld.param.f32 %f1, [p_s0];
            ld.param.f32 %f2, [p_s1];
            ld.param.f32 %f3, [p_s2];
            ld.param.f32 %f4, [p_s3];
            ld.param.f32 %f5, [p_o0];
            ld.param.f32 %f6, [p_o1];
            ld.param.f32 %f7, [p_o2];
            ld.param.f32 %f8, [p_o3];
            mov.u32 %r4, %ctaid.x;
            mov.u32 %r5, %ntid.x;
            mov.u32 %r6, %tid.x;
            mad.lo.u32 %r7, %r4, %r5, %r6;
            mov.u32 %r8, %nctaid.x;
            mul.lo.u32 %r9, %r8, %r5;
        F32_LOOP:
            setp.ge.u32 %p1, %r7, %r1;
            @%p1 bra F32_DONE;
            div.u32 %r10, %r7, %r2;
            rem.u32 %r11, %r10, %r3;
            setp.eq.u32 %p2, %r11, 1;
            setp.eq.u32 %p3, %r11, 2;
            setp.eq.u32 %p4, %r11, 3;
            mov.f32 %f9, %f1;
            mov.f32 %f10, %f5;
            @%p2 mov.f32 %f9, %f2;
            @%p2 mov.f32 %f10, %f6;
            @%p3 mov.f32 %f9, %f3;
            @%p3 mov.f32 %f10, %f7;
            @%p4 mov.f32 %f9, %f4;
            @%p4 mov.f32 %f10, %f8;
            cvt.u64.u32 %rd3, %r7;
            add.s64 %rd4, %rd1, %rd3;
            ld.global.u8 %rs1, [%rd4];
            cvt.rn.f32.u16 %f11, %rs1;
            fma.rn.f32 %f12, %f11, %f9, %f10;
            mul.wide.u32 %rd5, %r7, 4;
            add.s64 %rd6, %rd2, %rd5;
            st.global.f32 [%rd6], %f12;
            add.u32 %r7, %r7, %r9;
            bra F32_LOOP;
        F32_DONE:
            ret;
        }

        .visible .entry tiercache_u8_to_f16(
            .param .u64 p_src, .param .u64 p_dst, .param .u32 p_count, .param .u32 p_plane, .param .u32 p_channels,
            .param .f32 p_s0, .param .f32 p_s1, .param .f32 p_s2, .param .f32 p_s3,
            .param .f32 p_o0, .param .f32 p_o1, .param .f32 p_o2, .param .f32 p_o3)
        {
            .reg .pred %p<5>;
            .reg .b16 %rs<3>;
            .reg .b32 %r<13>;
            .reg .f32 %f<13>;
            .reg .b64 %rd<7>;

            ld.param.u64 %rd1, [p_src];
            ld.param.u64 %rd2, [p_dst];
            cvta.to.global.u64 %rd1, %rd1;
            cvta.to.global.u64 %rd2, %rd2;
            ld.param.u32 %r1, [p_count];
            ld.param.u32 %r2, [p_plane];
            ld.param.u32 %r3, [p_channels];
            ld.param.f32 %f1, [p_s0];
            ld.param.f32 %f2, [p_s1];
            ld.param.f32 %f3, [p_s2];
            ld.param.f32 %f4, [p_s3];
            ld.param.f32 %f5, [p_o0];
            ld.param.f32 %f6, [p_o1];
            ld.param.f32 %f7, [p_o2];
            ld.param.f32 %f8, [p_o3];
            mov.u32 %r4, %ctaid.x;
            mov.u32 %r5, %ntid.x;
            mov.u32 %r6, %tid.x;
            mad.lo.u32 %r7, %r4, %r5, %r6;
            mov.u32 %r8, %nctaid.x;
            mul.lo.u32 %r9, %r8, %r5;
        F16_LOOP:
            setp.ge.u32 %p1, %r7, %r1;
            @%p1 bra F16_DONE;
            div.u32 %r10, %r7, %r2;
            rem.u32 %r11, %r10, %r3;
            setp.eq.u32 %p2, %r11, 1;
            setp.eq.u32 %p3, %r11, 2;
            setp.eq.u32 %p4, %r11, 3;
            mov.f32 %f9, %f1;
            mov.f32 %f10, %f5;
            @%p2 mov.f32 %f9, %f2;
            @%p2 mov.f32 %f10, %f6;
            @%p3 mov.f32 %f9, %f3;
            @%p3 mov.f32 %f10, %f7;
            @%p4 mov.f32 %f9, %f4;
            @%p4 mov.f32 %f10, %f8;
            cvt.u64.u32 %rd3, %r7;
            add.s64 %rd4, %rd1, %rd3;
            ld.global.u8 %rs1, [%rd4];
            cvt.rn.f32.u16 %f11, %rs1;
            fma.rn.f32 %f12, %f11, %f9, %f10;
            cvt.rn.f16.f32 %rs2, %f12;
            mul.wide.u32 %rd5, %r7, 2;
            add.s64 %rd6, %rd2, %rd5;
            st.global.b16 [%rd6], %rs2;
            add.u32 %r7, %r7, %r9;
            bra F16_LOOP;
        F16_DONE:
            ret;
        }
        """;

    private NormalizeKernel()
    {
    }

    /**
     * Checks a launch's shape.
     *
     * @param count    elements.
     * @param plane    elements per channel plane, at least 1.
     * @param channels 1 to {@value #MAX_CHANNELS}.
     * @throws IllegalArgumentException naming the bad value.
     */
    public static void checkShape(final long count, final long plane, final int channels)
    {
        if (channels < 1 || channels > MAX_CHANNELS)
        {
            throw new IllegalArgumentException("channels=" + channels + " is not in [1, " + MAX_CHANNELS + "]");
        }
        if (plane < 1 || plane > MAX_ELEMENTS)
        {
            throw new IllegalArgumentException("plane=" + plane + " is not in [1, " + MAX_ELEMENTS + "]");
        }
        if (count < 0 || count > MAX_ELEMENTS)
        {
            throw new IllegalArgumentException("count=" + count + " is not in [0, " + MAX_ELEMENTS + "]");
        }
        if (count % (plane * channels) != 0)
        {
            throw new IllegalArgumentException("count=" + count + " is not a multiple of plane=" + plane + " x channels=" + channels);
        }
    }

    /**
     * The kernels' arithmetic on the host (the reference a device result is compared with).
     *
     * @param source      uint8 elements from offset 0.
     * @param destination float32 or fp16 elements from offset 0.
     * @param count       elements.
     * @param plane       elements per channel plane.
     * @param f16         fp16 output instead of float32.
     * @param scale       per channel.
     * @param offset      per channel.
     */
    public static void runOnHost(
        final MemorySegment source, final MemorySegment destination, final long count, final long plane, final boolean f16,
        final float[] scale, final float[] offset)
    {
        final int channels = scale.length;
        long i = 0;
        while (i < count)
        {
            final int c = (int)((i / plane) % channels);
            final float s = scale[c];
            final float o = offset[c];
            final long end = Math.min(count, (i / plane + 1) * plane);
            if (f16)
            {
                for (; i < end; i++)
                {
                    final float value = Math.fma((float)(source.get(ValueLayout.JAVA_BYTE, i) & 0xFF), s, o);
                    destination.setAtIndex(ValueLayout.JAVA_SHORT_UNALIGNED, i, Float.floatToFloat16(value));
                }
            }
            else
            {
                for (; i < end; i++)
                {
                    destination.setAtIndex(ValueLayout.JAVA_FLOAT_UNALIGNED, i,
                        Math.fma((float)(source.get(ValueLayout.JAVA_BYTE, i) & 0xFF), s, o));
                }
            }
        }
    }
}
