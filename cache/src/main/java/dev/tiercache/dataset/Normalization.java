package dev.tiercache.dataset;

import dev.tiercache.DType;
import dev.tiercache.cuda.NormalizeKernel;

import java.lang.foreign.MemorySegment;
import java.util.Arrays;
import java.util.Locale;
import java.util.Objects;

/**
 * Per-channel normalisation of uint8 CHW image tensors into {@link DType#F32} or {@link DType#F16}:
 * element {@code i} of channel {@code c} becomes {@code fma(value, scale[c], offset[c])}, one
 * rounding, then (for fp16) rounded to nearest even. The same arithmetic runs on the host
 * ({@link #applyOnHost}) and in the device kernel ({@link NormalizeKernel}), so both give the same
 * bits; a test holds them to it.
 *
 * <p>ImageNet's mean and standard deviation, for example, are
 * {@code Normalization.meanStd(DType.F32, new float[] {0.485f, 0.456f, 0.406f}, new float[] {0.229f, 0.224f, 0.225f})}.
 */
public final class Normalization
{
    private final DType output;
    private final float[] scale;
    private final float[] offset;

    private Normalization(final DType output, final float[] scale, final float[] offset)
    {
        if (output != DType.F32 && output != DType.F16)
        {
            throw new IllegalArgumentException("output=" + output + ": normalisation writes F32 or F16");
        }
        if (scale.length != offset.length || scale.length < 1 || scale.length > NormalizeKernel.MAX_CHANNELS)
        {
            throw new IllegalArgumentException("scale.length=" + scale.length + ", offset.length=" + offset.length +
                ": must be equal and in [1, " + NormalizeKernel.MAX_CHANNELS + "]");
        }
        for (int c = 0; c < scale.length; c++)
        {
            if (!Float.isFinite(scale[c]) || !Float.isFinite(offset[c]))
            {
                throw new IllegalArgumentException("channel " + c + ": scale=" + scale[c] + ", offset=" + offset[c] + " must be finite");
            }
        }
        this.output = output;
        this.scale = scale.clone();
        this.offset = offset.clone();
    }

    /**
     * {@code value * scale[c] + offset[c]} per channel.
     *
     * @param output {@link DType#F32} or {@link DType#F16}.
     * @param scale  one per channel (1 to 4).
     * @param offset one per channel.
     * @return the normalisation.
     * @throws IllegalArgumentException naming the bad value.
     */
    public static Normalization of(final DType output, final float[] scale, final float[] offset)
    {
        return new Normalization(Objects.requireNonNull(output, "output"), scale.clone(), offset.clone());
    }

    /**
     * {@code (value / 255 - mean[c]) / std[c]} per channel, as torchvision's {@code Normalize}
     * after {@code ToTensor}, folded into one scale and offset per channel.
     *
     * @param output {@link DType#F32} or {@link DType#F16}.
     * @param mean   per channel, on the 0..1 scale.
     * @param std    per channel, positive.
     * @return the normalisation.
     */
    public static Normalization meanStd(final DType output, final float[] mean, final float[] std)
    {
        if (mean.length != std.length)
        {
            throw new IllegalArgumentException("mean.length=" + mean.length + " != std.length=" + std.length);
        }
        final float[] scale = new float[mean.length];
        final float[] offset = new float[mean.length];
        for (int c = 0; c < mean.length; c++)
        {
            if (!(std[c] > 0))
            {
                throw new IllegalArgumentException("std[" + c + "]=" + std[c] + " must be > 0");
            }
            scale[c] = (float)(1.0 / (255.0 * std[c]));
            offset[c] = (float)(-mean[c] / (double)std[c]);
        }
        return new Normalization(output, scale, offset);
    }

    /**
     * The element type written.
     *
     * @return F32 or F16.
     */
    public DType output()
    {
        return output;
    }

    /**
     * Channels this normalisation has values for.
     *
     * @return 1 to 4.
     */
    public int channels()
    {
        return scale.length;
    }

    /**
     * A copy of the scales.
     *
     * @return one per channel.
     */
    public float[] scale()
    {
        return scale.clone();
    }

    /**
     * A copy of the offsets.
     *
     * @return one per channel.
     */
    public float[] offset()
    {
        return offset.clone();
    }

    /**
     * Bytes written for {@code elements} input bytes.
     *
     * @param elements uint8 elements.
     * @return output bytes.
     */
    public long outputBytes(final long elements)
    {
        return elements * output.byteSize();
    }

    /**
     * Normalises {@code count} uint8 elements of CHW images on the host; the reference for the
     * device kernel. Allocates nothing.
     *
     * @param source      uint8 elements from offset 0.
     * @param destination {@link #outputBytes} bytes from offset 0.
     * @param count       elements; a multiple of {@code planeElements * channels()}.
     * @param planeElements elements of one channel of one image ({@code height * width}).
     */
    public void applyOnHost(final MemorySegment source, final MemorySegment destination, final long count, final long planeElements)
    {
        NormalizeKernel.checkShape(count, planeElements, scale.length);
        if (source.byteSize() < count || destination.byteSize() < outputBytes(count))
        {
            throw new IllegalArgumentException("source of " + source.byteSize() + " bytes, destination of " + destination.byteSize() +
                " bytes: need " + count + " and " + outputBytes(count));
        }
        NormalizeKernel.runOnHost(source, destination, count, planeElements, output == DType.F16, scale, offset);
    }

    @Override
    public String toString()
    {
        return String.format(Locale.ROOT, "Normalization[%s, scale=%s, offset=%s]", output, Arrays.toString(scale), Arrays.toString(offset));
    }
}
