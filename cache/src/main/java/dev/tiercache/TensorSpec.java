package dev.tiercache;

import java.util.Arrays;
import java.util.Objects;

/**
 * The element type and shape of one part of an entry. Immutable.
 */
public final class TensorSpec
{
    /** Most dimensions a spec may have. */
    public static final int MAX_RANK = 8;

    private final DType dtype;
    private final long[] shape;
    private final long byteSize;

    private TensorSpec(final DType dtype, final long[] shape)
    {
        this.dtype = Objects.requireNonNull(dtype, "dtype");
        if (shape.length > MAX_RANK)
        {
            throw new IllegalArgumentException("rank=" + shape.length + " > MAX_RANK=" + MAX_RANK);
        }
        long elements = 1;
        for (final long dim : shape)
        {
            if (dim < 0)
            {
                throw new IllegalArgumentException("shape " + Arrays.toString(shape) + " has a negative dimension");
            }
            elements = Math.multiplyExact(elements, dim);
        }
        this.shape = shape.clone();
        this.byteSize = Math.multiplyExact(elements, dtype.byteSize());
    }

    /**
     * A spec.
     *
     * @param dtype the element type.
     * @param shape the dimensions, outermost first; none for a scalar.
     * @return the spec.
     */
    public static TensorSpec of(final DType dtype, final long... shape)
    {
        return new TensorSpec(dtype, shape);
    }

    /**
     * A plain blob: a one-dimensional {@code U8} tensor.
     *
     * @param bytes its length.
     * @return the spec.
     */
    public static TensorSpec bytes(final long bytes)
    {
        return new TensorSpec(DType.U8, new long[] {bytes});
    }

    /**
     * The element type.
     *
     * @return the dtype.
     */
    public DType dtype()
    {
        return dtype;
    }

    /**
     * The dimensions.
     *
     * @return a copy of the shape.
     */
    public long[] shape()
    {
        return shape.clone();
    }

    /**
     * Number of dimensions.
     *
     * @return the rank.
     */
    public int rank()
    {
        return shape.length;
    }

    /**
     * One dimension.
     *
     * @param axis 0 for the outermost.
     * @return its extent.
     */
    public long dim(final int axis)
    {
        return shape[axis];
    }

    /**
     * Number of elements.
     *
     * @return the product of the shape.
     */
    public long elementCount()
    {
        return byteSize / dtype.byteSize();
    }

    /**
     * Bytes of the part.
     *
     * @return element count times element size.
     */
    public long byteSize()
    {
        return byteSize;
    }

    @Override
    public boolean equals(final Object other)
    {
        return other instanceof TensorSpec that && dtype == that.dtype && Arrays.equals(shape, that.shape);
    }

    @Override
    public int hashCode()
    {
        return 31 * dtype.hashCode() + Arrays.hashCode(shape);
    }

    @Override
    public String toString()
    {
        return dtype.name().toLowerCase(java.util.Locale.ROOT) + Arrays.toString(shape);
    }
}
