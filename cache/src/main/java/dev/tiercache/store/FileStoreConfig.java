package dev.tiercache.store;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * Everything a {@link FileStore} needs, validated once by {@link Builder#build()}.
 *
 * <p>The geometry (region size and count) is written into the file; reopening with another
 * geometry is refused rather than reinterpreting the file.
 */
public final class FileStoreConfig
{
    /** Default region size: 64 MiB, large enough for big tensors, small enough to reclaim often. */
    public static final long REGION_SIZE_BYTES_DEFAULT = dev.tiercache.TierCacheConfig.FILE_REGION_BYTES_DEFAULT;

    /** Smallest region: two pages. */
    public static final long MIN_REGION_SIZE_BYTES = 8 * 1024;

    /** Largest region: 1 GiB, so every entry's stored bytes fit one {@code ByteBuffer} view. */
    public static final long MAX_REGION_SIZE_BYTES = 1L << 30;

    /** Region sizes are multiples of this. */
    public static final long REGION_SIZE_ALIGNMENT = 4096;

    /** Default minimum saving for a compressed form to be kept: 5 % of the raw length. */
    public static final double MIN_COMPRESSION_SAVINGS_DEFAULT = dev.tiercache.TierCacheConfig.MIN_COMPRESSION_SAVINGS_DEFAULT;

    private final Path path;
    private final long regionSizeBytes;
    private final int regionCount;
    private final Codec[] codecsById;
    private final double minCompressionSavings;
    private final FileStore.ReclaimListener reclaimListener;
    private final boolean verifyPayloadsOnOpen;

    private FileStoreConfig(final Builder builder, final int regionCount, final Codec[] codecsById)
    {
        this.path = builder.path;
        this.regionSizeBytes = builder.regionSizeBytes;
        this.regionCount = regionCount;
        this.codecsById = codecsById;
        this.minCompressionSavings = builder.minCompressionSavings;
        this.reclaimListener = builder.reclaimListener;
        this.verifyPayloadsOnOpen = builder.verifyPayloadsOnOpen;
    }

    /**
     * Starts a configuration for the file at {@code path}.
     *
     * @param path the store's file; created when missing, its folder must exist.
     * @return a builder with the defaults.
     */
    public static Builder builder(final Path path)
    {
        return new Builder(path);
    }

    /**
     * The store's file.
     *
     * @return the path.
     */
    public Path path()
    {
        return path;
    }

    /**
     * Bytes per region.
     *
     * @return the region size.
     */
    public long regionSizeBytes()
    {
        return regionSizeBytes;
    }

    /**
     * Regions in the file.
     *
     * @return the region count.
     */
    public int regionCount()
    {
        return regionCount;
    }

    /**
     * The whole file's length.
     *
     * @return header page plus regions, in bytes.
     */
    public long fileLengthBytes()
    {
        return FileHeaderDescriptor.fileLength(regionSizeBytes, regionCount);
    }

    /**
     * The codec registered under {@code id}.
     *
     * @param id 1 to 255.
     * @return the codec, or null when none is registered.
     */
    public Codec codec(final int id)
    {
        return id > 0 && id < codecsById.length ? codecsById[id] : null;
    }

    /**
     * The fraction of the raw length a compressed form must save to be stored.
     *
     * @return in {@code [0, 1)}.
     */
    public double minCompressionSavings()
    {
        return minCompressionSavings;
    }

    /**
     * Who hears about entries in reclaimed regions.
     *
     * @return the listener; a no-op by default.
     */
    public FileStore.ReclaimListener reclaimListener()
    {
        return reclaimListener;
    }

    /**
     * Whether opening verifies every payload checksum (a full read of the file) or only headers.
     *
     * @return true to verify payloads on open.
     */
    public boolean verifyPayloadsOnOpen()
    {
        return verifyPayloadsOnOpen;
    }

    @Override
    public String toString()
    {
        final List<String> codecs = new ArrayList<>();
        for (final Codec codec : codecsById)
        {
            if (codec != null)
            {
                codecs.add(codec.id() + ":" + codec.name());
            }
        }
        return "FileStoreConfig{path=" + path + ", regionSizeBytes=" + regionSizeBytes + ", regionCount=" + regionCount +
            ", codecs=" + codecs + ", minCompressionSavings=" + minCompressionSavings +
            ", verifyPayloadsOnOpen=" + verifyPayloadsOnOpen + "}";
    }

    /**
     * Collects settings; {@link #build()} validates them all and names the first wrong one.
     */
    public static final class Builder
    {
        private final Path path;
        private long regionSizeBytes = REGION_SIZE_BYTES_DEFAULT;
        private int regionCount = -1;
        private long capacityBytes = -1;
        private final List<Codec> codecs = new ArrayList<>();
        private double minCompressionSavings = MIN_COMPRESSION_SAVINGS_DEFAULT;
        private FileStore.ReclaimListener reclaimListener = (location, keyHash) -> { };
        private boolean verifyPayloadsOnOpen = true;

        private Builder(final Path path)
        {
            this.path = Objects.requireNonNull(path, "path");
        }

        /**
         * Bytes per region; an entry larger than a region (less its 64-byte header) never fits.
         *
         * @param regionSizeBytes a multiple of 4096 in {@code [8 KiB, 1 GiB]}; default 64 MiB.
         * @return this builder.
         */
        public Builder regionSizeBytes(final long regionSizeBytes)
        {
            this.regionSizeBytes = regionSizeBytes;
            return this;
        }

        /**
         * Regions in the file. Give this or {@link #capacityBytes(long)}.
         *
         * @param regionCount at least 1.
         * @return this builder.
         */
        public Builder regionCount(final int regionCount)
        {
            this.regionCount = regionCount;
            return this;
        }

        /**
         * Total region bytes; the region count is this divided by the region size, rounded down.
         *
         * @param capacityBytes at least one region.
         * @return this builder.
         */
        public Builder capacityBytes(final long capacityBytes)
        {
            this.capacityBytes = capacityBytes;
            return this;
        }

        /**
         * Registers codecs by {@link Codec#id()}, for reading entries back and for appends that
         * compress.
         *
         * @param codecs codecs with distinct ids in {@code [1, 255]}.
         * @return this builder.
         */
        public Builder codecs(final Codec... codecs)
        {
            for (final Codec codec : codecs)
            {
                this.codecs.add(Objects.requireNonNull(codec, "codec"));
            }
            return this;
        }

        /**
         * The fraction of the raw length that a compressed form must save to be stored instead
         * of the raw bytes.
         *
         * @param minCompressionSavings in {@code [0, 1)}; default 0.05.
         * @return this builder.
         */
        public Builder minCompressionSavings(final double minCompressionSavings)
        {
            this.minCompressionSavings = minCompressionSavings;
            return this;
        }

        /**
         * Who hears about entries in a region before it is overwritten.
         *
         * @param reclaimListener the listener (see {@link FileStore.ReclaimListener}).
         * @return this builder.
         */
        public Builder reclaimListener(final FileStore.ReclaimListener reclaimListener)
        {
            this.reclaimListener = Objects.requireNonNull(reclaimListener, "reclaimListener");
            return this;
        }

        /**
         * Whether opening verifies every payload checksum (reads the whole file) or only the
         * headers; reads verify payloads either way.
         *
         * @param verifyPayloadsOnOpen default true.
         * @return this builder.
         */
        public Builder verifyPayloadsOnOpen(final boolean verifyPayloadsOnOpen)
        {
            this.verifyPayloadsOnOpen = verifyPayloadsOnOpen;
            return this;
        }

        /**
         * Validates everything and fills the derived values.
         *
         * @return the configuration.
         * @throws IllegalArgumentException naming the first wrong setting and its value.
         */
        public FileStoreConfig build()
        {
            if (regionSizeBytes < MIN_REGION_SIZE_BYTES || regionSizeBytes > MAX_REGION_SIZE_BYTES ||
                regionSizeBytes % REGION_SIZE_ALIGNMENT != 0)
            {
                throw new IllegalArgumentException("regionSizeBytes=" + regionSizeBytes + " is not a multiple of " +
                    REGION_SIZE_ALIGNMENT + " in [" + MIN_REGION_SIZE_BYTES + ", " + MAX_REGION_SIZE_BYTES + "]");
            }
            int regionCount = this.regionCount;
            if (regionCount < 0 && capacityBytes >= 0)
            {
                final long count = capacityBytes / regionSizeBytes;
                if (count < 1 || count > Integer.MAX_VALUE)
                {
                    throw new IllegalArgumentException("capacityBytes=" + capacityBytes + " gives " + count +
                        " regions of regionSizeBytes=" + regionSizeBytes + "; need 1 to " + Integer.MAX_VALUE);
                }
                regionCount = (int)count;
            }
            if (regionCount < 1)
            {
                throw new IllegalArgumentException("regionCount=" + regionCount + " < 1 (set regionCount or capacityBytes)");
            }
            try
            {
                FileHeaderDescriptor.fileLength(regionSizeBytes, regionCount);
            }
            catch (final ArithmeticException ex)
            {
                throw new IllegalArgumentException(
                    "regionSizeBytes=" + regionSizeBytes + " * regionCount=" + regionCount + " overflows a file length", ex);
            }
            if (!(minCompressionSavings >= 0 && minCompressionSavings < 1))
            {
                throw new IllegalArgumentException("minCompressionSavings=" + minCompressionSavings + " not in [0, 1)");
            }
            final Codec[] byId = new Codec[256];
            for (final Codec codec : codecs)
            {
                final int id = codec.id();
                if (id < 1 || id > 255)
                {
                    throw new IllegalArgumentException("codec " + codec.name() + " id=" + id + " not in [1, 255]");
                }
                if (byId[id] != null && byId[id] != codec)
                {
                    throw new IllegalArgumentException("codecs " + byId[id].name() + " and " + codec.name() + " share id=" + id);
                }
                byId[id] = codec;
            }
            return new FileStoreConfig(this, regionCount, byId);
        }
    }
}
