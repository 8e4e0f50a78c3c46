package dev.tiercache;

import java.util.Locale;

/**
 * Element types of tensor parts. Bytes are stored as given in every level: a {@code U8} image stays
 * one byte per element (4x smaller than {@code F32}); conversion happens on read, into the
 * caller's buffer.
 */
public enum DType
{
    /** Unsigned 8-bit integer. */
    U8(1),
    /** Signed 8-bit integer. */
    I8(1),
    /** Unsigned 16-bit integer. */
    U16(2),
    /** Signed 16-bit integer. */
    I16(2),
    /** IEEE 754 half precision. */
    F16(2),
    /** bfloat16. */
    BF16(2),
    /** IEEE 754 single precision. */
    F32(4),
    /** Signed 32-bit integer. */
    I32(4),
    /** Signed 64-bit integer. */
    I64(8),
    /** IEEE 754 double precision. */
    F64(8);

    private static final DType[] VALUES = values();

    private final int byteSize;

    DType(final int byteSize)
    {
        this.byteSize = byteSize;
    }

    /**
     * Bytes per element.
     *
     * @return 1, 2, 4 or 8.
     */
    public int byteSize()
    {
        return byteSize;
    }

    /**
     * The stable code stored with each entry.
     *
     * @return the ordinal.
     */
    public int code()
    {
        return ordinal();
    }

    /**
     * The type for a stored code.
     *
     * @param code from {@link #code()}.
     * @return the type.
     */
    public static DType fromCode(final int code)
    {
        if (code < 0 || code >= VALUES.length)
        {
            throw new IllegalArgumentException("dtype code=" + code + " is not in [0, " + VALUES.length + ")");
        }
        return VALUES[code];
    }

    /**
     * Parses a name as users write it ({@code u8}, {@code uint8}, {@code float32}, {@code fp16} …).
     *
     * @param name the name.
     * @return the type.
     */
    public static DType parse(final String name)
    {
        final String n = java.util.Objects.requireNonNull(name, "name is null").strip().toLowerCase(Locale.ROOT);
        return switch (n)
        {
            case "u8", "uint8" -> U8;
            case "i8", "int8" -> I8;
            case "u16", "uint16" -> U16;
            case "i16", "int16" -> I16;
            case "f16", "fp16", "float16", "half" -> F16;
            case "bf16", "bfloat16" -> BF16;
            case "f32", "fp32", "float32", "float" -> F32;
            case "i32", "int32", "int" -> I32;
            case "i64", "int64", "long" -> I64;
            case "f64", "fp64", "float64", "double" -> F64;
            default -> throw new IllegalArgumentException(
                "dtype '" + name + "' is not one of u8, i8, u16, i16, f16, bf16, f32, i32, i64, f64");
        };
    }
}
