package dev.tiercache.jcache;

/**
 * Turns keys and values into the bytes a cache stores, and back. Implementations must be
 * thread-safe; {@link JavaSerializer} is the default.
 */
public interface Serializer
{
    /**
     * Serializes an object.
     *
     * @param object never {@code null}.
     * @return its bytes, at least one.
     * @throws IllegalArgumentException when the object cannot be serialized.
     */
    byte[] toBytes(Object object);

    /**
     * Reads back what {@link #toBytes} wrote.
     *
     * @param bytes       what {@link #toBytes} returned.
     * @param classLoader the cache manager's class loader, for the classes the bytes name.
     * @return an equal, independent object.
     * @throws IllegalArgumentException when the bytes cannot be read.
     */
    Object fromBytes(byte[] bytes, ClassLoader classLoader);
}
