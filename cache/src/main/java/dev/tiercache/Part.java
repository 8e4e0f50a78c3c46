package dev.tiercache;

import java.lang.foreign.MemorySegment;
import java.util.Objects;

/**
 * One part of an entry given to {@code put}: its spec and its bytes.
 *
 * @param spec  element type and shape.
 * @param bytes exactly {@code spec.byteSize()} bytes, native or heap; copied by {@code put}.
 */
public record Part(TensorSpec spec, MemorySegment bytes)
{
    /**
     * Checks that the bytes match the spec.
     *
     * @param spec  element type and shape.
     * @param bytes the bytes.
     */
    public Part
    {
        Objects.requireNonNull(spec, "spec");
        Objects.requireNonNull(bytes, "bytes");
        if (bytes.byteSize() != spec.byteSize())
        {
            throw new IllegalArgumentException("part " + spec + " needs " + spec.byteSize() + " bytes, got " + bytes.byteSize());
        }
    }

    /**
     * A part from a heap array.
     *
     * @param spec  element type and shape.
     * @param bytes the bytes.
     * @return the part.
     */
    public static Part of(final TensorSpec spec, final byte[] bytes)
    {
        return new Part(spec, MemorySegment.ofArray(java.util.Objects.requireNonNull(bytes, "bytes is null")));
    }

    /**
     * A plain blob part.
     *
     * @param bytes the bytes.
     * @return a one-dimensional {@code U8} part.
     */
    public static Part blob(final MemorySegment bytes)
    {
        return new Part(TensorSpec.bytes(java.util.Objects.requireNonNull(bytes, "bytes is null").byteSize()), bytes);
    }
}
