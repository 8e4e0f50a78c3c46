package dev.tiercache.testing;

import java.lang.foreign.MemorySegment;
import java.lang.reflect.Array;
import java.lang.reflect.Field;
import java.lang.reflect.Modifier;
import java.util.IdentityHashMap;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLongArray;

/**
 * The heap arrays reachable from an object, found by reflection and sized by their lengths, so a
 * test can check a structure's own {@code heapBytes()} against what it really holds. Follows the
 * fields of the project's and Agrona's objects, the elements of object arrays, an
 * {@link AtomicLongArray}'s cells and a heap {@link MemorySegment}'s array; stops at the JDK's
 * other objects and at the packages given (the index, the stores: what is counted elsewhere). An
 * array costs a 16-byte header and its elements (a reference 4 bytes: compressed oops, the default
 * below 32 GiB of heap), rounded up to 8.
 */
public final class ReachableArrays
{
    private final String[] stopPackages;
    private final Map<Object, Boolean> seen = new IdentityHashMap<>();

    private ReachableArrays(final String... stopPackages)
    {
        this.stopPackages = stopPackages;
    }

    /**
     * The bytes of every array reachable from {@code root}.
     *
     * @param root         where to start.
     * @param stopPackages packages whose objects are not followed (their names, e.g.
     *                     {@code "dev.tiercache.index"}).
     * @return bytes.
     */
    public static long bytes(final Object root, final String... stopPackages)
    {
        try
        {
            return new ReachableArrays(stopPackages).walk(root);
        }
        catch (final IllegalAccessException ex)
        {
            throw new AssertionError(ex);
        }
    }

    private long walk(final Object object) throws IllegalAccessException
    {
        if (object == null || seen.put(object, Boolean.TRUE) != null)
        {
            return 0;
        }
        final Class<?> type = object.getClass();
        if (type.isArray())
        {
            final Class<?> element = type.getComponentType();
            final int length = Array.getLength(object);
            long bytes = array(length, element.isPrimitive() ? primitiveBytes(element) : 4);
            if (!element.isPrimitive())
            {
                for (int i = 0; i < length; i++)
                {
                    bytes += walk(Array.get(object, i));
                }
            }
            return bytes;
        }
        if (object instanceof AtomicLongArray cells)
        {
            return array(cells.length(), Long.BYTES);
        }
        if (object instanceof MemorySegment segment)
        {
            return segment.heapBase().isPresent() ? walk(segment.heapBase().get()) : 0;
        }
        final String name = type.getName();
        if (!(name.startsWith("dev.tiercache.") || name.startsWith("org.agrona.")) || stopped(type.getPackageName()))
        {
            return 0;
        }
        long bytes = 0;
        for (Class<?> c = type; c != null && c != Object.class; c = c.getSuperclass())
        {
            for (final Field field : c.getDeclaredFields())
            {
                if (Modifier.isStatic(field.getModifiers()) || field.getType().isPrimitive())
                {
                    continue;
                }
                field.setAccessible(true);
                bytes += walk(field.get(object));
            }
        }
        return bytes;
    }

    private boolean stopped(final String packageName)
    {
        for (final String stop : stopPackages)
        {
            if (packageName.equals(stop))
            {
                return true;
            }
        }
        return false;
    }

    private static int primitiveBytes(final Class<?> type)
    {
        if (type == long.class || type == double.class)
        {
            return 8;
        }
        if (type == int.class || type == float.class)
        {
            return 4;
        }
        return type == short.class || type == char.class ? 2 : 1;
    }

    private static long array(final int length, final int elementBytes)
    {
        return (16 + (long) length * elementBytes + 7) & -8L;
    }
}
