package dev.tiercache.jcache;

import javax.cache.configuration.CompleteConfiguration;
import javax.cache.configuration.Factory;
import javax.cache.configuration.FactoryBuilder;
import javax.cache.configuration.MutableConfiguration;
import java.io.Serial;
import java.nio.file.Path;
import java.util.Objects;

/**
 * A JCache configuration plus where a cache keeps its bytes: the size of its host-memory level,
 * an optional file level, the most entries it holds and the serializer. A plain
 * {@link MutableConfiguration} gets the defaults below.
 *
 * @param <K> the key type.
 * @param <V> the value type.
 */
public final class TierJCacheConfiguration<K, V> extends MutableConfiguration<K, V>
{
    /** Host-memory level size when the configuration does not say: 64 MiB. */
    public static final long HOST_BYTES_DEFAULT = 64L << 20;
    /** Most entries when the configuration does not say. */
    public static final int MAX_ENTRIES_DEFAULT = dev.tiercache.TierCacheConfig.MAX_ENTRIES_DEFAULT;

    @Serial
    private static final long serialVersionUID = 1L;

    /** Size of the cache's host-memory level, in bytes. */
    private long hostBytes = HOST_BYTES_DEFAULT;
    /** The cache's L3 file, or {@code null} for none. */
    private String filePath;
    /** Size of the L3 file, in bytes; 0 for none. */
    private long fileBytes;
    /** Most entries the cache holds. */
    private int maxEntries = MAX_ENTRIES_DEFAULT;
    /** Makes the serializer of keys and values. */
    private Factory<? extends Serializer> serializerFactory = FactoryBuilder.factoryOf(JavaSerializer.class);

    /** The defaults. */
    public TierJCacheConfiguration()
    {
    }

    /**
     * A copy of another configuration, with this class's settings when it has them.
     *
     * @param configuration what to copy.
     */
    public TierJCacheConfiguration(final CompleteConfiguration<K, V> configuration)
    {
        super(configuration);
        if (configuration instanceof TierJCacheConfiguration<K, V> tiered)
        {
            hostBytes = tiered.hostBytes;
            filePath = tiered.filePath;
            fileBytes = tiered.fileBytes;
            maxEntries = tiered.maxEntries;
            serializerFactory = tiered.serializerFactory;
        }
    }

    /**
     * Size of the host-memory level.
     *
     * @param bytes more than zero.
     * @return this.
     */
    public TierJCacheConfiguration<K, V> setHostBytes(final long bytes)
    {
        if (bytes <= 0)
        {
            throw new IllegalArgumentException("hostBytes=" + bytes + ": must be > 0");
        }
        this.hostBytes = bytes;
        return this;
    }

    /**
     * A file level below host memory: values that do not fit there go to the file. The file's
     * contents do not outlive the cache, since the keys live on the Java heap.
     *
     * @param path  the file; created or overwritten.
     * @param bytes its size.
     * @return this.
     */
    public TierJCacheConfiguration<K, V> setFile(final Path path, final long bytes)
    {
        Objects.requireNonNull(path, "path");
        if (bytes <= 0)
        {
            throw new IllegalArgumentException("fileBytes=" + bytes + ": must be > 0");
        }
        this.filePath = path.toString();
        this.fileBytes = bytes;
        return this;
    }

    /**
     * Most entries the cache holds; past it, the store drops entries as its levels do when full.
     *
     * @param entries more than zero.
     * @return this.
     */
    public TierJCacheConfiguration<K, V> setMaxEntries(final int entries)
    {
        if (entries <= 0)
        {
            throw new IllegalArgumentException("maxEntries=" + entries + ": must be > 0");
        }
        this.maxEntries = entries;
        return this;
    }

    /**
     * The serializer of keys and values.
     *
     * @param factory makes the serializer once per cache.
     * @return this.
     */
    public TierJCacheConfiguration<K, V> setSerializerFactory(final Factory<? extends Serializer> factory)
    {
        this.serializerFactory = Objects.requireNonNull(factory, "factory");
        return this;
    }

    /**
     * Size of the host-memory level.
     *
     * @return bytes.
     */
    public long getHostBytes()
    {
        return hostBytes;
    }

    /**
     * The file level.
     *
     * @return its path, or {@code null} when there is none.
     */
    public Path getFile()
    {
        return filePath == null ? null : Path.of(filePath);
    }

    /**
     * Size of the file level.
     *
     * @return bytes, 0 without a file.
     */
    public long getFileBytes()
    {
        return fileBytes;
    }

    /**
     * Most entries.
     *
     * @return the limit.
     */
    public int getMaxEntries()
    {
        return maxEntries;
    }

    /**
     * The serializer's factory.
     *
     * @return the factory.
     */
    public Factory<? extends Serializer> getSerializerFactory()
    {
        return serializerFactory;
    }
}
