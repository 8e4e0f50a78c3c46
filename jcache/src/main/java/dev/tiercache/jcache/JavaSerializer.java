package dev.tiercache.jcache;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.ObjectInputStream;
import java.io.ObjectOutputStream;
import java.io.ObjectStreamClass;

/**
 * Java serialization, classes resolved through the cache manager's class loader. The objects must
 * be {@link java.io.Serializable}. Deserializing bytes from an untrusted source through Java
 * serialization is unsafe; a cache only reads bytes it wrote itself.
 */
public final class JavaSerializer implements Serializer
{
    /** Creates the serializer (stateless). */
    public JavaSerializer()
    {
    }

    @Override
    public byte[] toBytes(final Object object)
    {
        final ByteArrayOutputStream bytes = new ByteArrayOutputStream(64);
        try (ObjectOutputStream out = new ObjectOutputStream(bytes))
        {
            out.writeObject(object);
        }
        catch (final IOException ex)
        {
            throw new IllegalArgumentException("cannot serialize " + object.getClass().getName() + ": " + ex, ex);
        }
        return bytes.toByteArray();
    }

    @Override
    public Object fromBytes(final byte[] bytes, final ClassLoader classLoader)
    {
        try (ObjectInputStream in = new LoaderObjectInputStream(new ByteArrayInputStream(bytes), classLoader))
        {
            return in.readObject();
        }
        catch (final IOException | ClassNotFoundException ex)
        {
            throw new IllegalArgumentException("cannot deserialize " + bytes.length + " bytes: " + ex, ex);
        }
    }

    private static final class LoaderObjectInputStream extends ObjectInputStream
    {
        private final ClassLoader classLoader;

        LoaderObjectInputStream(final InputStream in, final ClassLoader classLoader) throws IOException
        {
            super(in);
            this.classLoader = classLoader;
        }

        @Override
        protected Class<?> resolveClass(final ObjectStreamClass descriptor) throws IOException, ClassNotFoundException
        {
            try
            {
                return Class.forName(descriptor.getName(), false, classLoader);
            }
            catch (final ClassNotFoundException ex)
            {
                return super.resolveClass(descriptor);
            }
        }
    }
}
