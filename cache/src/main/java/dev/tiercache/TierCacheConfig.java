package dev.tiercache;

import dev.tiercache.config.SettingsKey;
import dev.tiercache.config.SettingsLoader;
import dev.tiercache.config.SettingsLoader.Setting;
import dev.tiercache.index.IndexSlotDescriptor;
import dev.tiercache.policy.EvictionPolicies;
import dev.tiercache.policy.FifoPolicy;
import dev.tiercache.policy.PromotionRule;
import dev.tiercache.profile.HardwareProfile;
import dev.tiercache.store.FileStoreConfig;

import java.math.BigDecimal;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.EnumMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * Every setting of a cache, resolved and validated: immutable, the one configuration a
 * {@link TierCache} is built from. {@link TierCache.Builder#config()} makes one without opening a
 * cache; {@link TierCache#config()} returns the one a cache was built from. Immutable, so safe to
 * share between threads.
 *
 * <h2>Sources and precedence</h2>
 * Highest first: values set on the {@link TierCache.Builder}, the environment
 * ({@link TierCache.Builder#environment}), a TOML file ({@link TierCache.Builder#settingsFile}),
 * then the {@link HardwareProfile}'s recommendations for the level sizes (and the entry-size rule
 * that follows from them), then the {@code *_DEFAULT} constants of this class, each defined here
 * and nowhere else. Every value remembers its source ({@link #sourceOf(String)}). Whichever source
 * gave a value, one rule judges it, once, when the configuration is concluded; a bad value fails
 * with a {@link SettingsException} that names the key, the value as written, what is allowed
 * and where it came from.
 *
 * <h2>Keys</h2>
 * The file uses the seed systems' names, in a {@code [cache]} table:
 * <pre>
 * [cache]
 * name = "train-cache"           # for JMX and logs; default tiercache-N
 * memory_size = "2GB"            # L2 (alias cache.memory.size); a bare number is MiB
 * disk_size = "40GB"             # L3 (alias cache.disk.size); 0 turns L3 off
 * policy = "lru"                 # L1 and L2 eviction policy unless a level names its own
 * eviction_threshold = 0.95      # fill that starts eviction (high-water mark)
 * eviction_target = 0.90         # fill eviction brings a level down to
 * idle_demotion = "10m"          # demote after this idle time; 0 never
 * ttl = 0                        # expire after a put; 0 never
 *
 * [cache.device]                 # L1
 * size = "512MB"                 # alias cache.vram_size; default from the profile
 * vram_limit = "1GB"             # never crossed; 0 none
 * headroom = 0.25                # share of device memory left free
 * cache_hit_threshold = 4        # accesses before promotion to L1 (alias promotion_threshold)
 * policy = "default"
 * max_entry_size = "64MB"
 * enabled = true
 * ordinal = 0
 *
 * [cache.memory]                 # L2
 * max_items = 65536              # entries over all levels
 * cleanup_interval = 1           # seconds between the mover's sweeps
 * promotion_threshold = 2        # accesses before an L3 entry is read into L2
 * policy = "default"
 * max_entry_size = "256MB"
 *
 * [cache.disk]                   # L3
 * path = "/var/cache/tiercache"  # a directory (the file is tiercache.l3 in it) or a file
 * use_mmap = true
 * policy = "fifo"
 * region_size = "64MB"
 * max_entry_size = "64MB"
 * compression = true
 * min_compression_savings = 0.05
 * persist_on_close = true
 *
 * [cache.remote]                 # L4, shared (off without a uri; decision record 0020)
 * uri = "redis-cluster://10.0.0.5:7000,10.0.0.6:7000"   # redis://, rediss://; user:password@ allowed
 * namespace = "imagenet-train.v3" # required with a uri: the dataset's name and version
 * ttl = 0                        # expiry of the values written; 0 never
 * queue_size = "64MB"            # write-behind bound; a write that does not fit is dropped
 * timeout = "250ms"              # bound of every call; past it L4 turns off until the server answers
 * write_on_put = true
 * write_on_eviction = false      # also write entries that L3 drops
 * tls_ca_file = "/etc/redis/ca.pem" # rediss:// only: trust these CA certificates (PEM), not the JVM's
 * </pre>
 * The environment variable of {@code cache.a.b} is {@code CACHE_A_B} (so {@code CACHE_MEMORY_SIZE},
 * {@code CACHE_DISK_SIZE}, {@code CACHE_POLICY}, {@code CACHE_DISK_PATH} ...), and
 * {@code CACHE_VRAM_SIZE} sets the L1 size. Sizes are binary: {@code GB} means GiB (see
 * {@link SettingsUnits}). Without {@code cache.disk.path} from any source, L3 is off unless a
 * size is given, in which case the file goes to {@code java.io.tmpdir}.
 */
public final class TierCacheConfig
{
    /** The cache's name when none is given: {@code null}, so the cache names itself {@code tiercache-N}. */
    public static final String NAME_DEFAULT = null;
    /** Whether L1 may be used; it is off anyway when no GPU is usable. */
    public static final boolean DEVICE_ENABLED_DEFAULT = true;
    /** The GPU that holds L1. */
    public static final int DEVICE_ORDINAL_DEFAULT = 0;
    /** L1 size when neither the builder nor a profile says. */
    public static final long DEVICE_BYTES_DEFAULT = 512 * SettingsUnits.MIB;
    /** Hard cap on L1; 0 for none. */
    public static final long VRAM_LIMIT_BYTES_DEFAULT = 0;
    /** Share of the device's total memory L1 never takes. */
    public static final double DEVICE_HEADROOM_DEFAULT = HardwareProfile.DEFAULT_HEADROOM_FRACTION;
    /** L2 size when neither the builder nor a profile says. */
    public static final long HOST_BYTES_DEFAULT = 256 * SettingsUnits.MIB;
    /**
     * L3 size when a file is given without one: 4 GiB, or less where the profile's share of the
     * free disk ({@link HardwareProfile#recommendedFileBytes()}) is less. A library does not
     * take half of someone's disk unasked; a larger L3 is one setting away.
     */
    public static final long FILE_BYTES_DEFAULT = 4L << 30;
    /** Size of an L3 region, the unit of reclaim. */
    public static final long FILE_REGION_BYTES_DEFAULT = 64 * SettingsUnits.MIB;
    /** Whether L3 stores LZ4 where it saves space. */
    public static final boolean COMPRESSION_DEFAULT = true;
    /** Least saving, as a share of the raw length, for LZ4 to be stored. */
    public static final double MIN_COMPRESSION_SAVINGS_DEFAULT = 0.05;
    /** Whether closing writes L1 and L2 to L3. */
    public static final boolean PERSIST_ON_CLOSE_DEFAULT = true;
    /** Whether L3 is read through a memory mapping (it always is; {@code false} is reported and ignored). */
    public static final boolean USE_MMAP_DEFAULT = true;
    /** Eviction policy of L1 and L2. */
    public static final String POLICY_DEFAULT = EvictionPolicies.DEFAULT;
    /** Eviction policy of L3: whole regions in the order they were written. */
    public static final String FILE_POLICY_DEFAULT = FifoPolicy.NAME;
    /** Accesses after which an entry is promoted to L1 (also read as {@code cache_hit_threshold}). */
    public static final int PROMOTE_TO_DEVICE_AFTER_DEFAULT = 4;
    /** Accesses after which an L3 entry is read into L2. */
    public static final int PROMOTE_TO_HOST_AFTER_DEFAULT = 2;
    /** Idle time after which an entry is demoted one level: 600 s. */
    public static final long IDLE_DEMOTION_NANOS_DEFAULT = 600_000_000_000L;
    /** Fill that starts eviction (the high-water mark). */
    public static final double EVICTION_THRESHOLD_DEFAULT = 0.95;
    /** Fill eviction brings a level down to, or the threshold where that is lower. */
    public static final double EVICTION_TARGET_DEFAULT = 0.90;
    /** Time to live after a put; 0 for none. */
    public static final long TTL_NANOS_DEFAULT = 0;
    /** Largest L1 entry without a profile. */
    public static final long DEVICE_MAX_ENTRY_BYTES_DEFAULT = 64 * SettingsUnits.MIB;
    /** Largest L2 entry without a profile. */
    public static final long HOST_MAX_ENTRY_BYTES_DEFAULT = 256 * SettingsUnits.MIB;
    /** Largest L3 entry without a profile: any, up to one region. */
    public static final long FILE_MAX_ENTRY_BYTES_DEFAULT = Long.MAX_VALUE;
    /** Most entries over all levels; sizes the off-heap index. */
    public static final int MAX_ENTRIES_DEFAULT = 1 << 16;
    /** Time between the mover's sweeps of idle, expired and over-full levels: 1 s. */
    public static final long CLEANUP_INTERVAL_NANOS_DEFAULT = 1_000_000_000L;
    /** The L3 file's name when {@code cache.disk.path} names a directory. */
    public static final String FILE_NAME = "tiercache.l3";
    /** L4's URI when none is given: {@code null}, L4 off. */
    public static final String REMOTE_URI_DEFAULT = null;
    /** L4's namespace when none is given: {@code null}; a URI needs one. */
    public static final String REMOTE_NAMESPACE_DEFAULT = null;
    /** Time to live of the values written to L4: 0, none. */
    public static final long REMOTE_TTL_NANOS_DEFAULT = 0;
    /** Bound of L4's write-behind queue: 64 MiB (also its bound on the heap). */
    public static final long REMOTE_QUEUE_BYTES_DEFAULT = 64 * SettingsUnits.MIB;
    /** Bound of every call to L4: 250 ms. */
    public static final long REMOTE_TIMEOUT_NANOS_DEFAULT = 250_000_000L;
    /** Whether a put is written behind to L4. */
    public static final boolean REMOTE_WRITE_ON_PUT_DEFAULT = true;
    /** Whether an entry that L3 drops is written behind to L4. */
    public static final boolean REMOTE_WRITE_ON_EVICTION_DEFAULT = false;

    private static final String DEFAULT = "default";
    private static final String RULE = "rule of the profile";

    private final EnumMap<SettingsKey, Object> values;
    private final EnumMap<SettingsKey, String> sources;

    // read by the cache's parts, under the names they have always had
    final String name;
    final boolean useGpu;
    final int deviceOrdinal;
    final HardwareProfile profile;
    final long deviceBytes;
    final double deviceHeadroom;
    final long vramLimitBytes;
    final long hostBytes;
    final long fileBytes;
    final Path filePath;
    final long fileRegionBytes;
    final boolean compression;
    final double minCompressionSavings;
    final boolean persistOnClose;
    final boolean useMmap;
    final String devicePolicy;
    final String hostPolicy;
    final int promoteToDeviceAfter;
    final int promoteToHostAfter;
    final long demoteAfterIdleNanos;
    final double highWaterMark;
    final double evictToFraction;
    final long ttlNanos;
    final long deviceMaxEntryBytes;
    final long hostMaxEntryBytes;
    final long fileMaxEntryBytes;
    final int maxEntries;
    final long cleanupIntervalNanos;
    /** L4, or {@code null} without a {@code cache.remote.uri}. */
    final RemoteSettings remote;

    private TierCacheConfig(final EnumMap<SettingsKey, Object> values, final EnumMap<SettingsKey, String> sources, final HardwareProfile profile)
    {
        this.values = values;
        this.sources = sources;
        this.profile = profile;
        this.name = (String)values.get(SettingsKey.NAME);
        this.useGpu = bool(SettingsKey.DEVICE_ENABLED);
        this.deviceOrdinal = integer(SettingsKey.DEVICE_ORDINAL);
        this.deviceBytes = bytes(SettingsKey.DEVICE_SIZE);
        this.deviceHeadroom = fraction(SettingsKey.HEADROOM);
        this.vramLimitBytes = bytes(SettingsKey.VRAM_LIMIT);
        this.hostBytes = bytes(SettingsKey.HOST_SIZE);
        this.fileBytes = bytes(SettingsKey.FILE_SIZE);
        this.filePath = (Path)values.get(SettingsKey.FILE_PATH);
        this.fileRegionBytes = bytes(SettingsKey.FILE_REGION_SIZE);
        this.compression = bool(SettingsKey.COMPRESSION);
        this.minCompressionSavings = fraction(SettingsKey.MIN_COMPRESSION_SAVINGS);
        this.persistOnClose = bool(SettingsKey.PERSIST_ON_CLOSE);
        this.useMmap = bool(SettingsKey.USE_MMAP);
        this.devicePolicy = (String)values.get(SettingsKey.DEVICE_POLICY);
        this.hostPolicy = (String)values.get(SettingsKey.HOST_POLICY);
        this.promoteToDeviceAfter = integer(SettingsKey.DEVICE_PROMOTION_THRESHOLD);
        this.promoteToHostAfter = integer(SettingsKey.HOST_PROMOTION_THRESHOLD);
        this.demoteAfterIdleNanos = nanos(SettingsKey.IDLE_DEMOTION);
        this.highWaterMark = fraction(SettingsKey.EVICTION_THRESHOLD);
        this.evictToFraction = fraction(SettingsKey.EVICTION_TARGET);
        this.ttlNanos = nanos(SettingsKey.TTL);
        this.deviceMaxEntryBytes = bytes(SettingsKey.DEVICE_MAX_ENTRY_SIZE);
        this.hostMaxEntryBytes = bytes(SettingsKey.HOST_MAX_ENTRY_SIZE);
        this.fileMaxEntryBytes = bytes(SettingsKey.FILE_MAX_ENTRY_SIZE);
        this.maxEntries = integer(SettingsKey.MAX_ITEMS);
        this.cleanupIntervalNanos = nanos(SettingsKey.CLEANUP_INTERVAL);
        this.remote = values.get(SettingsKey.REMOTE_URI) == null ? null : new RemoteSettings((String)values.get(SettingsKey.REMOTE_URI),
            (String)values.get(SettingsKey.REMOTE_NAMESPACE), (Duration)values.get(SettingsKey.REMOTE_TTL), bytes(SettingsKey.REMOTE_QUEUE_SIZE),
            (Duration)values.get(SettingsKey.REMOTE_TIMEOUT), bool(SettingsKey.REMOTE_WRITE_ON_PUT), bool(SettingsKey.REMOTE_WRITE_ON_EVICTION),
            (Path)values.get(SettingsKey.REMOTE_TLS_CA_FILE));
    }

    private long bytes(final SettingsKey key)
    {
        return (Long)values.get(key);
    }

    private int integer(final SettingsKey key)
    {
        return Math.toIntExact((Long)values.get(key));
    }

    private double fraction(final SettingsKey key)
    {
        return (Double)values.get(key);
    }

    private boolean bool(final SettingsKey key)
    {
        return (Boolean)values.get(key);
    }

    private long nanos(final SettingsKey key)
    {
        final Duration duration = (Duration)values.get(key);
        return duration.compareTo(Duration.ofNanos(Long.MAX_VALUE)) >= 0 ? Long.MAX_VALUE : duration.toNanos();
    }

    /**
     * Fills what no source set and validates everything: the {@code conclude()} of the
     * configuration, run once per configuration.
     *
     * @param merged  every value some source set, with its source (builder over environment over file).
     * @param profile the machine the level sizes are recommended for, or {@code null} for the
     *                fixed defaults.
     * @return the configuration.
     * @throws SettingsException naming the first bad key, its value, what is allowed and its source.
     */
    static TierCacheConfig conclude(final Map<SettingsKey, Setting> merged, final HardwareProfile profile)
    {
        final EnumMap<SettingsKey, Object> values = new EnumMap<>(SettingsKey.class);
        final EnumMap<SettingsKey, String> sources = new EnumMap<>(SettingsKey.class);
        for (final Map.Entry<SettingsKey, Setting> entry : merged.entrySet())
        {
            final SettingsKey key = entry.getKey();
            final Setting setting = entry.getValue();
            try
            {
                key.checked(setting.value(), null);
            }
            catch (final IllegalArgumentException ex)
            {
                throw new SettingsException(key.key, setting.written(), ex.getMessage(), setting.source());
            }
            values.put(key, setting.value());
            sources.put(key, setting.source());
        }

        final Path path = resolvePath(values, merged);
        if (path != null)
        {
            values.put(SettingsKey.FILE_PATH, path);
            sources.putIfAbsent(SettingsKey.FILE_PATH, DEFAULT + " (java.io.tmpdir)");
        }
        final String fromProfile = profile == null ? DEFAULT : "profile " + profile.name();

        fill(values, sources, SettingsKey.NAME, NAME_DEFAULT, DEFAULT);
        final Object policy = values.get(SettingsKey.POLICY);
        fill(values, sources, SettingsKey.DEVICE_POLICY, policy != null ? policy : POLICY_DEFAULT,
            policy != null ? sources.get(SettingsKey.POLICY) : DEFAULT);
        fill(values, sources, SettingsKey.HOST_POLICY, policy != null ? policy : POLICY_DEFAULT,
            policy != null ? sources.get(SettingsKey.POLICY) : DEFAULT);
        fill(values, sources, SettingsKey.FILE_POLICY, FILE_POLICY_DEFAULT, DEFAULT);
        fill(values, sources, SettingsKey.EVICTION_THRESHOLD, EVICTION_THRESHOLD_DEFAULT, DEFAULT);
        fill(values, sources, SettingsKey.EVICTION_TARGET,
            Math.min(EVICTION_TARGET_DEFAULT, (Double)values.get(SettingsKey.EVICTION_THRESHOLD)), DEFAULT);
        fill(values, sources, SettingsKey.IDLE_DEMOTION, Duration.ofNanos(IDLE_DEMOTION_NANOS_DEFAULT), DEFAULT);
        fill(values, sources, SettingsKey.TTL, Duration.ofNanos(TTL_NANOS_DEFAULT), DEFAULT);

        fill(values, sources, SettingsKey.DEVICE_ENABLED, DEVICE_ENABLED_DEFAULT, DEFAULT);
        fill(values, sources, SettingsKey.DEVICE_ORDINAL, (long)DEVICE_ORDINAL_DEFAULT, DEFAULT);
        fill(values, sources, SettingsKey.VRAM_LIMIT, VRAM_LIMIT_BYTES_DEFAULT, DEFAULT);
        fill(values, sources, SettingsKey.HEADROOM, DEVICE_HEADROOM_DEFAULT, DEFAULT);
        final long vramLimit = (Long)values.get(SettingsKey.VRAM_LIMIT);
        // a default never contradicts a limit the user set: it stays under it
        fill(values, sources, SettingsKey.DEVICE_SIZE, profile != null ?
            profile.recommendedDeviceBytes((Double)values.get(SettingsKey.HEADROOM), vramLimit) :
            vramLimit > 0 ? Math.min(DEVICE_BYTES_DEFAULT, vramLimit) : DEVICE_BYTES_DEFAULT, fromProfile);
        fill(values, sources, SettingsKey.DEVICE_PROMOTION_THRESHOLD, (long)PROMOTE_TO_DEVICE_AFTER_DEFAULT, DEFAULT);

        fill(values, sources, SettingsKey.HOST_SIZE, profile != null ? profile.recommendedHostBytes() : HOST_BYTES_DEFAULT, fromProfile);
        fill(values, sources, SettingsKey.HOST_PROMOTION_THRESHOLD, (long)PROMOTE_TO_HOST_AFTER_DEFAULT, DEFAULT);
        fill(values, sources, SettingsKey.MAX_ITEMS, (long)MAX_ENTRIES_DEFAULT, DEFAULT);
        fill(values, sources, SettingsKey.CLEANUP_INTERVAL, Duration.ofNanos(CLEANUP_INTERVAL_NANOS_DEFAULT), DEFAULT);

        // a library never preallocates tens of GiB where nobody asked it to: without a path, L3 is off
        final boolean pathGiven = merged.containsKey(SettingsKey.FILE_PATH);
        fill(values, sources, SettingsKey.FILE_SIZE,
            !pathGiven ? 0L : profile != null ? Math.min(FILE_BYTES_DEFAULT, profile.recommendedFileBytes()) : FILE_BYTES_DEFAULT,
            !pathGiven ? DEFAULT + " (no cache.disk.path)" : DEFAULT + " (" + SettingsUnits.formatBytes(FILE_BYTES_DEFAULT) +
                (profile != null ? ", at most the share of the free disk of " + fromProfile : "") + ")");
        fill(values, sources, SettingsKey.USE_MMAP, USE_MMAP_DEFAULT, DEFAULT);
        fill(values, sources, SettingsKey.FILE_REGION_SIZE, FILE_REGION_BYTES_DEFAULT, DEFAULT);
        fill(values, sources, SettingsKey.COMPRESSION, COMPRESSION_DEFAULT, DEFAULT);
        fill(values, sources, SettingsKey.MIN_COMPRESSION_SAVINGS, MIN_COMPRESSION_SAVINGS_DEFAULT, DEFAULT);
        fill(values, sources, SettingsKey.PERSIST_ON_CLOSE, PERSIST_ON_CLOSE_DEFAULT, DEFAULT);

        fillEntrySize(values, sources, profile, SettingsKey.DEVICE_MAX_ENTRY_SIZE, Tier.DEVICE, SettingsKey.DEVICE_SIZE,
            DEVICE_MAX_ENTRY_BYTES_DEFAULT);
        fillEntrySize(values, sources, profile, SettingsKey.HOST_MAX_ENTRY_SIZE, Tier.HOST, SettingsKey.HOST_SIZE,
            HOST_MAX_ENTRY_BYTES_DEFAULT);
        fillEntrySize(values, sources, profile, SettingsKey.FILE_MAX_ENTRY_SIZE, Tier.FILE, SettingsKey.FILE_SIZE,
            FILE_MAX_ENTRY_BYTES_DEFAULT);
        if (!merged.containsKey(SettingsKey.FILE_MAX_ENTRY_SIZE))
        {
            // an L3 entry lives in one region
            values.put(SettingsKey.FILE_MAX_ENTRY_SIZE, Math.min((Long)values.get(SettingsKey.FILE_MAX_ENTRY_SIZE),
                (Long)values.get(SettingsKey.FILE_REGION_SIZE)));
        }

        if (values.get(SettingsKey.REMOTE_URI) != null)
        {
            // L4's settings are filled only with L4: without a URI, they are not part of the configuration
            fill(values, sources, SettingsKey.REMOTE_TTL, Duration.ofNanos(REMOTE_TTL_NANOS_DEFAULT), DEFAULT);
            fill(values, sources, SettingsKey.REMOTE_QUEUE_SIZE, REMOTE_QUEUE_BYTES_DEFAULT, DEFAULT);
            fill(values, sources, SettingsKey.REMOTE_TIMEOUT, Duration.ofNanos(REMOTE_TIMEOUT_NANOS_DEFAULT), DEFAULT);
            fill(values, sources, SettingsKey.REMOTE_WRITE_ON_PUT, REMOTE_WRITE_ON_PUT_DEFAULT, DEFAULT);
            fill(values, sources, SettingsKey.REMOTE_WRITE_ON_EVICTION, REMOTE_WRITE_ON_EVICTION_DEFAULT, DEFAULT);
        }

        checkConsistent(values, sources, merged);
        if (!(Boolean)values.get(SettingsKey.USE_MMAP))
        {
            System.getLogger(TierCacheConfig.class.getName()).log(System.Logger.Level.WARNING,
                SettingsKey.USE_MMAP.key + " = false is ignored: the L3 file is always memory-mapped (" + sources.get(SettingsKey.USE_MMAP) + ")");
        }
        return new TierCacheConfig(values, sources, profile);
    }

    /**
     * The L3 file: the path as given, or {@code tiercache.l3} inside it when it names a directory
     * (an existing one, or one written with a trailing slash); in {@code java.io.tmpdir} when only
     * a size is given; {@code null} when neither is.
     */
    private static Path resolvePath(final EnumMap<SettingsKey, Object> values, final Map<SettingsKey, Setting> merged)
    {
        final Setting given = merged.get(SettingsKey.FILE_PATH);
        if (given == null)
        {
            final Object size = values.get(SettingsKey.FILE_SIZE);
            return size != null && (Long)size > 0 ? Path.of(System.getProperty("java.io.tmpdir"), FILE_NAME) : null;
        }
        final Path path = (Path)values.get(SettingsKey.FILE_PATH);
        final String written = given.written();
        return Files.isDirectory(path) || written.endsWith("/") || written.endsWith("/\"") ? path.resolve(FILE_NAME) : path;
    }

    private static void fill(
        final EnumMap<SettingsKey, Object> values,
        final EnumMap<SettingsKey, String> sources,
        final SettingsKey key,
        final Object value,
        final String source)
    {
        if (!values.containsKey(key) && value != null)
        {
            values.put(key, value);
            sources.put(key, source);
        }
    }

    private static void fillEntrySize(
        final EnumMap<SettingsKey, Object> values,
        final EnumMap<SettingsKey, String> sources,
        final HardwareProfile profile,
        final SettingsKey key,
        final Tier tier,
        final SettingsKey levelKey,
        final long fallback)
    {
        if (profile != null)
        {
            fill(values, sources, key, HardwareProfile.maxEntryBytes(tier, (Long)values.get(levelKey)), RULE);
        }
        else
        {
            fill(values, sources, key, fallback, DEFAULT);
        }
    }

    private static void checkConsistent(
        final EnumMap<SettingsKey, Object> values,
        final EnumMap<SettingsKey, String> sources,
        final Map<SettingsKey, Setting> merged)
    {
        final long deviceBytes = (Long)values.get(SettingsKey.DEVICE_SIZE);
        final long vramLimit = (Long)values.get(SettingsKey.VRAM_LIMIT);
        if (vramLimit > 0 && deviceBytes > vramLimit)
        {
            throw contradiction(SettingsKey.DEVICE_SIZE, values, sources, merged,
                "more than " + SettingsKey.VRAM_LIMIT.key + " = " + written(SettingsKey.VRAM_LIMIT, values, merged) +
                    " (" + sources.get(SettingsKey.VRAM_LIMIT) + "), which is never crossed");
        }
        final double threshold = (Double)values.get(SettingsKey.EVICTION_THRESHOLD);
        if ((Double)values.get(SettingsKey.EVICTION_TARGET) > threshold)
        {
            throw contradiction(SettingsKey.EVICTION_TARGET, values, sources, merged,
                "must be at most " + SettingsKey.EVICTION_THRESHOLD.key + " = " + threshold + ": eviction brings a level down below its threshold");
        }
        final long region = (Long)values.get(SettingsKey.FILE_REGION_SIZE);
        if (region < FileStoreConfig.MIN_REGION_SIZE_BYTES || region > FileStoreConfig.MAX_REGION_SIZE_BYTES ||
            region % FileStoreConfig.REGION_SIZE_ALIGNMENT != 0)
        {
            throw contradiction(SettingsKey.FILE_REGION_SIZE, values, sources, merged, "must be a multiple of " +
                FileStoreConfig.REGION_SIZE_ALIGNMENT + " bytes in [" + SettingsUnits.formatBytes(FileStoreConfig.MIN_REGION_SIZE_BYTES) +
                ", " + SettingsUnits.formatBytes(FileStoreConfig.MAX_REGION_SIZE_BYTES) + "]");
        }
        final long fileBytes = (Long)values.get(SettingsKey.FILE_SIZE);
        if (fileBytes > 0 && fileBytes < region)
        {
            throw contradiction(SettingsKey.FILE_SIZE, values, sources, merged,
                "smaller than one region (" + SettingsKey.FILE_REGION_SIZE.key + " = " + SettingsUnits.formatBytes(region) + "); 0 turns L3 off");
        }
        if (fileBytes > 0 && (long)Integer.MAX_VALUE * region < fileBytes)
        {
            throw contradiction(SettingsKey.FILE_SIZE, values, sources, merged,
                "more than " + Integer.MAX_VALUE + " regions of " + SettingsUnits.formatBytes(region));
        }
        // device and host sizes are bounded far below this by the machine's memory, checked at build()
        if (fileBytes > IndexSlotDescriptor.MAX_LOCATION + 1)
        {
            throw contradiction(SettingsKey.FILE_SIZE, values, sources, merged,
                "more than the " + SettingsUnits.formatBytes(IndexSlotDescriptor.MAX_LOCATION + 1) + " an index slot's location addresses");
        }
        checkEntryFits(SettingsKey.DEVICE_MAX_ENTRY_SIZE, SettingsKey.DEVICE_SIZE, values, sources, merged);
        checkEntryFits(SettingsKey.HOST_MAX_ENTRY_SIZE, SettingsKey.HOST_SIZE, values, sources, merged);
        checkEntryFits(SettingsKey.FILE_MAX_ENTRY_SIZE, SettingsKey.FILE_SIZE, values, sources, merged);
        if (merged.containsKey(SettingsKey.FILE_MAX_ENTRY_SIZE) && fileBytes > 0 && (Long)values.get(SettingsKey.FILE_MAX_ENTRY_SIZE) > region)
        {
            throw contradiction(SettingsKey.FILE_MAX_ENTRY_SIZE, values, sources, merged,
                "larger than one region (" + SettingsKey.FILE_REGION_SIZE.key + " = " + SettingsUnits.formatBytes(region) +
                    "): an L3 entry lives in one region");
        }
        if (values.get(SettingsKey.REMOTE_URI) != null)
        {
            if (values.get(SettingsKey.REMOTE_NAMESPACE) == null)
            {
                throw new SettingsException(SettingsKey.REMOTE_NAMESPACE.key, null, "must be set with " + SettingsKey.REMOTE_URI.key +
                    ": the dataset's name and version, so two datasets never share entries", sources.get(SettingsKey.REMOTE_URI));
            }
            final Duration ttl = (Duration)values.get(SettingsKey.REMOTE_TTL); // 0 or at least 1 ms, as the server counts them: checked by its kind
            try
            {
                new RemoteSettings((String)values.get(SettingsKey.REMOTE_URI), (String)values.get(SettingsKey.REMOTE_NAMESPACE), ttl,
                    (Long)values.get(SettingsKey.REMOTE_QUEUE_SIZE), (Duration)values.get(SettingsKey.REMOTE_TIMEOUT), true, false);
            }
            catch (final IllegalArgumentException ex)
            {
                throw new SettingsException(SettingsKey.REMOTE_URI.key, written(SettingsKey.REMOTE_URI, values, merged),
                    ex.getMessage().substring(ex.getMessage().indexOf(": ") + 2), sources.get(SettingsKey.REMOTE_URI));
            }
            final Path caFile = (Path)values.get(SettingsKey.REMOTE_TLS_CA_FILE);
            if (caFile != null && !(Files.isRegularFile(caFile) && Files.isReadable(caFile)))
            {
                throw contradiction(SettingsKey.REMOTE_TLS_CA_FILE, values, sources, merged, Files.isDirectory(caFile)
                    ? "must be a readable file of PEM CA certificates, not a directory" : "must be a readable file of PEM CA certificates: there is none");
            }
        }
        else if (values.get(SettingsKey.REMOTE_TLS_CA_FILE) != null)
        {
            throw contradiction(SettingsKey.REMOTE_TLS_CA_FILE, values, sources, merged,
                "needs " + SettingsKey.REMOTE_URI.key + " (a rediss:// or rediss-cluster:// URI)");
        }
    }

    /** A limit the user set must fit its level; a default or the profile's rule is only a ceiling. */
    private static void checkEntryFits(
        final SettingsKey entryKey,
        final SettingsKey levelKey,
        final EnumMap<SettingsKey, Object> values,
        final EnumMap<SettingsKey, String> sources,
        final Map<SettingsKey, Setting> merged)
    {
        final long level = (Long)values.get(levelKey);
        final long entry = (Long)values.get(entryKey);
        if (level > 0 && entry == 0)
        {
            throw contradiction(entryKey, values, sources, merged, "0 only for a level that is off, and " + levelKey.key + " = " +
                SettingsUnits.formatBytes(level) + " (" + sources.get(levelKey) + ")");
        }
        if (merged.containsKey(entryKey) && level > 0 && entry > level)
        {
            throw contradiction(entryKey, values, sources, merged, "larger than the level (" + levelKey.key + " = " +
                SettingsUnits.formatBytes(level) + ", " + sources.get(levelKey) + ")");
        }
    }

    /**
     * Checks the L3 path against this machine: its folder must exist. Not part of
     * {@link #conclude}, so that a file written for another machine still loads here.
     *
     * @throws SettingsException naming {@code cache.disk.path}, its value and its source.
     */
    void checkPathsExist()
    {
        if (fileBytes == 0 || filePath == null)
        {
            return;
        }
        final Path folder = filePath.toAbsolutePath().getParent();
        final String written = String.valueOf(values.get(SettingsKey.FILE_PATH));
        final String source = sources.get(SettingsKey.FILE_PATH);
        if (folder == null || !Files.isDirectory(folder))
        {
            throw new SettingsException(SettingsKey.FILE_PATH.key, written, "the folder " + folder +
                (folder != null && Files.exists(folder) ? " is not a directory" : " does not exist") +
                "; must be a file in an existing directory, or an existing directory", source);
        }
        if (Files.exists(filePath) && !Files.isRegularFile(filePath))
        {
            throw new SettingsException(SettingsKey.FILE_PATH.key, written,
                "exists and is not a regular file; must be a file in an existing directory, or an existing directory", source);
        }
    }

    private static SettingsException contradiction(
        final SettingsKey key,
        final EnumMap<SettingsKey, Object> values,
        final EnumMap<SettingsKey, String> sources,
        final Map<SettingsKey, Setting> merged,
        final String problem)
    {
        return new SettingsException(key.key, written(key, values, merged), problem, sources.get(key));
    }

    private static String written(final SettingsKey key, final EnumMap<SettingsKey, Object> values, final Map<SettingsKey, Setting> merged)
    {
        final Setting setting = merged.get(key);
        if (setting != null)
        {
            return setting.written();
        }
        final Object value = values.get(key);
        return key.kind == SettingsKey.Kind.SIZE || key.kind == SettingsKey.Kind.POSITIVE_SIZE || key.kind == SettingsKey.Kind.ENTRY_SIZE ?
            SettingsUnits.formatBytes((Long)value) : String.valueOf(value);
    }

    /**
     * The keys a file may set, each under its main name.
     *
     * @return e.g. {@code cache.memory_size}, {@code cache.device.vram_limit} ...
     */
    public static List<String> keys()
    {
        return SettingsLoader.keys();
    }

    /**
     * The environment variables that set a key.
     *
     * @param key a key's name or alias.
     * @return e.g. {@code [CACHE_DEVICE_SIZE, CACHE_VRAM_SIZE]}.
     * @throws IllegalArgumentException for an unknown key.
     */
    public static List<String> environmentNames(final String key)
    {
        return known(key).environmentNames;
    }

    private static SettingsKey known(final String name)
    {
        Objects.requireNonNull(name, "key is null");
        final SettingsKey key = SettingsKey.byName(name);
        if (key == null)
        {
            final String closest = SettingsKey.closest(name);
            throw new IllegalArgumentException("unknown key '" + name + "'" + (closest == null ? "" : "; did you mean " + closest + "?") +
                " Known keys: " + keys());
        }
        return key;
    }

    /**
     * Where a value came from.
     *
     * @param key a key's name or alias.
     * @return {@code "builder METHOD"}, {@code "environment CACHE_..."}, {@code "file F line N"},
     *         {@code "profile NAME"}, {@code "rule of the profile"} or {@code "default"};
     *         {@code null} for a key that has no value ({@code cache.policy} or
     *         {@code cache.name} when nothing set them, {@code cache.disk.path} when L3 is off).
     * @throws IllegalArgumentException for an unknown key.
     */
    public String sourceOf(final String key)
    {
        return sources.get(known(key));
    }

    /**
     * The profile the level sizes were recommended for.
     *
     * @return the profile given to the builder, or {@code null} for the fixed defaults.
     */
    public HardwareProfile profile()
    {
        return profile;
    }

    /**
     * The cache's name for JMX and logs ({@code cache.name}).
     *
     * @return the name, or {@code null} when the cache names itself ({@code tiercache-N}).
     */
    public String name()
    {
        return name;
    }

    /**
     * Whether L1 may be used at all ({@code cache.device.enabled}).
     *
     * @return default true; L1 is off anyway when no GPU is usable.
     */
    public boolean deviceEnabled()
    {
        return useGpu;
    }

    /**
     * The GPU that holds L1 ({@code cache.device.ordinal}).
     *
     * @return default 0.
     */
    public int deviceOrdinal()
    {
        return deviceOrdinal;
    }

    /**
     * L1 size ({@code cache.device.size}, {@code CACHE_VRAM_SIZE}); default
     * {@link HardwareProfile#recommendedDeviceBytes(double, long)} with this headroom and limit,
     * or {@link #DEVICE_BYTES_DEFAULT} without a profile. The cache caps it by the free device
     * memory less the headroom.
     *
     * @return bytes; 0 turns L1 off.
     */
    public long deviceBytes()
    {
        return deviceBytes;
    }

    /**
     * Hard cap on L1 ({@code cache.device.vram_limit}).
     *
     * @return bytes; 0 for none (default).
     */
    public long vramLimitBytes()
    {
        return vramLimitBytes;
    }

    /**
     * Share of the device's total memory L1 never takes ({@code cache.device.headroom}).
     *
     * @return in [0, 1), default 0.25.
     */
    public double deviceHeadroom()
    {
        return deviceHeadroom;
    }

    /**
     * L2 size ({@code cache.memory_size}, {@code CACHE_MEMORY_SIZE}); default
     * {@link HardwareProfile#recommendedHostBytes()}, or {@link #HOST_BYTES_DEFAULT} without a profile.
     *
     * @return bytes, positive.
     */
    public long hostBytes()
    {
        return hostBytes;
    }

    /**
     * L3 size ({@code cache.disk_size}, {@code CACHE_DISK_SIZE}); default
     * {@link #FILE_BYTES_DEFAULT} (4 GiB), at most {@link HardwareProfile#recommendedFileBytes()},
     * when a path is set, else 0.
     *
     * @return bytes; 0 turns L3 off.
     */
    public long fileBytes()
    {
        return fileBytes;
    }

    /**
     * The L3 file ({@code cache.disk.path}): the path itself, or {@code tiercache.l3} inside it
     * when it names a directory (an existing one, or one written with a trailing slash).
     *
     * @return the file's path; {@code null} when neither a path nor a size was given.
     */
    public Path filePath()
    {
        return filePath;
    }

    /**
     * Whether L3 is read through a memory mapping ({@code cache.disk.use_mmap}).
     *
     * @return default true; false is reported and ignored.
     */
    public boolean useMmap()
    {
        return useMmap;
    }

    /**
     * Size of an L3 region, the unit of reclaim ({@code cache.disk.region_size}).
     *
     * @return bytes, default 64 MiB.
     */
    public long fileRegionBytes()
    {
        return fileRegionBytes;
    }

    /**
     * Whether L3 stores LZ4 where it saves space ({@code cache.disk.compression}).
     *
     * @return default true.
     */
    public boolean compression()
    {
        return compression;
    }

    /**
     * Least saving for LZ4 to be stored ({@code cache.disk.min_compression_savings}).
     *
     * @return in [0, 1), default 0.05.
     */
    public double minCompressionSavings()
    {
        return minCompressionSavings;
    }

    /**
     * Whether closing writes L1 and L2 to L3 ({@code cache.disk.persist_on_close}).
     *
     * @return default true.
     */
    public boolean persistOnClose()
    {
        return persistOnClose;
    }

    /**
     * A level's eviction policy ({@code cache.device.policy}, {@code cache.memory.policy},
     * {@code cache.disk.policy}; {@code cache.policy} for L1 and L2 when they name none).
     *
     * @param tier the level.
     * @return a name from {@code EvictionPolicies.names()}; always {@code fifo} for L3.
     */
    public String policy(final Tier tier)
    {
        return switch (Objects.requireNonNull(tier, "tier is null"))
        {
            case DEVICE -> devicePolicy;
            case HOST -> hostPolicy;
            case FILE -> (String)values.get(SettingsKey.FILE_POLICY);
        };
    }

    /**
     * Accesses after which an entry is promoted to L1 ({@code cache.device.cache_hit_threshold},
     * alias {@code promotion_threshold}).
     *
     * @return default 4.
     */
    public int promoteToDeviceAfter()
    {
        return promoteToDeviceAfter;
    }

    /**
     * Accesses after which an L3 entry is read into L2 ({@code cache.memory.promotion_threshold}).
     *
     * @return default 2.
     */
    public int promoteToHostAfter()
    {
        return promoteToHostAfter;
    }

    /**
     * Largest entry a level takes ({@code cache.device.max_entry_size} ...); default the
     * profile's rule ({@link HardwareProfile#maxEntryBytes(Tier, long)}) applied to this level's
     * size, or the {@code *_MAX_ENTRY_BYTES_DEFAULT} without a profile; at most one region for L3.
     *
     * @param tier the level.
     * @return bytes.
     */
    public long maxEntryBytes(final Tier tier)
    {
        return switch (Objects.requireNonNull(tier, "tier is null"))
        {
            case DEVICE -> deviceMaxEntryBytes;
            case HOST -> hostMaxEntryBytes;
            case FILE -> fileMaxEntryBytes;
        };
    }

    /**
     * A level's size.
     *
     * @param tier the level.
     * @return {@link #deviceBytes()}, {@link #hostBytes()} or {@link #fileBytes()}.
     */
    public long levelBytes(final Tier tier)
    {
        return switch (Objects.requireNonNull(tier, "tier is null"))
        {
            case DEVICE -> deviceBytes;
            case HOST -> hostBytes;
            case FILE -> fileBytes;
        };
    }

    /**
     * Most entries over all levels ({@code cache.memory.max_items}).
     *
     * @return default 65536.
     */
    public int maxItems()
    {
        return maxEntries;
    }

    /**
     * Fill that starts eviction ({@code cache.eviction_threshold}).
     *
     * @return in (0, 1], default 0.95.
     */
    public double evictionThreshold()
    {
        return highWaterMark;
    }

    /**
     * Fill that eviction brings a level down to ({@code cache.eviction_target}).
     *
     * @return in (0, {@link #evictionThreshold()}], default 0.90 or the threshold if lower.
     */
    public double evictionTarget()
    {
        return evictToFraction;
    }

    /**
     * How often the mover checks idle, expired and over-full levels
     * ({@code cache.memory.cleanup_interval}).
     *
     * @return at least 1 ms, default 1 s.
     */
    public Duration cleanupInterval()
    {
        return (Duration)values.get(SettingsKey.CLEANUP_INTERVAL);
    }

    /**
     * Idle time after which an entry is demoted one level ({@code cache.idle_demotion}).
     *
     * @return default 600 s; zero never.
     */
    public Duration idleDemotion()
    {
        return (Duration)values.get(SettingsKey.IDLE_DEMOTION);
    }

    /**
     * Time to live after a put ({@code cache.ttl}).
     *
     * @return default zero: none.
     */
    public Duration ttl()
    {
        return (Duration)values.get(SettingsKey.TTL);
    }

    /**
     * L4's URI ({@code cache.remote.uri}), with its password replaced by {@code ***}.
     *
     * @return default {@code null}: no L4.
     */
    public String remoteUri()
    {
        return remote == null ? REMOTE_URI_DEFAULT : RemoteSettings.redact(remote.uri());
    }

    /**
     * L4's namespace ({@code cache.remote.namespace}): a dataset's name and version.
     *
     * @return default {@code null}; set whenever {@link #remoteUri()} is.
     */
    public String remoteNamespace()
    {
        return remote == null ? REMOTE_NAMESPACE_DEFAULT : remote.namespace();
    }

    /**
     * Time to live of the values written to L4 ({@code cache.remote.ttl}).
     *
     * @return default zero: none.
     */
    public Duration remoteTtl()
    {
        return remote == null ? Duration.ofNanos(REMOTE_TTL_NANOS_DEFAULT) : remote.ttl();
    }

    /**
     * Bound of L4's write-behind queue ({@code cache.remote.queue_size}).
     *
     * @return bytes; default {@value #REMOTE_QUEUE_BYTES_DEFAULT}.
     */
    public long remoteQueueBytes()
    {
        return remote == null ? REMOTE_QUEUE_BYTES_DEFAULT : remote.queueBytes();
    }

    /**
     * Bound of every call to L4 ({@code cache.remote.timeout}).
     *
     * @return default 250 ms.
     */
    public Duration remoteTimeout()
    {
        return remote == null ? Duration.ofNanos(REMOTE_TIMEOUT_NANOS_DEFAULT) : remote.timeout();
    }

    /**
     * Whether a put is written behind to L4 ({@code cache.remote.write_on_put}).
     *
     * @return default true.
     */
    public boolean remoteWriteOnPut()
    {
        return remote == null ? REMOTE_WRITE_ON_PUT_DEFAULT : remote.writeOnPut();
    }

    /**
     * Whether an entry that L3 drops is written behind to L4 ({@code cache.remote.write_on_eviction}).
     *
     * @return default false.
     */
    public boolean remoteWriteOnEviction()
    {
        return remote == null ? REMOTE_WRITE_ON_EVICTION_DEFAULT : remote.writeOnEviction();
    }

    /**
     * The PEM file of CA certificates that L4's TLS trusts ({@code cache.remote.tls_ca_file}).
     *
     * @return the file, or {@code null}: the JVM's trust store ({@code javax.net.ssl.trustStore}).
     */
    public Path remoteTlsCaFile()
    {
        return remote == null ? null : remote.tlsCaFile();
    }

    /**
     * L4's settings in one value ({@code [cache.remote]}); its {@code toString} hides the password.
     *
     * @return the settings, or {@code null} without a {@code cache.remote.uri}.
     */
    public RemoteSettings remote()
    {
        return remote;
    }

    /** The thresholds of the placement, in the policy's units. */
    PromotionRule promotionRule()
    {
        return PromotionRule.builder()
            .l1PromotionAccessCount(promoteToDeviceAfter)
            .l2PromotionAccessCount(promoteToHostAfter)
            .demoteAfterIdle(Duration.ofNanos(demoteAfterIdleNanos == 0 ? Long.MAX_VALUE : demoteAfterIdleNanos))
            .highWaterMarkPercent((int)Math.round(highWaterMark * 100))
            .evictionTargetPercent((int)Math.round(evictToFraction * 100))
            .ttl(Duration.ofNanos(ttlNanos))
            .maxEntryBytes(IndexSlotDescriptor.LEVEL_L1, deviceMaxEntryBytes)
            .maxEntryBytes(IndexSlotDescriptor.LEVEL_L2, hostMaxEntryBytes)
            .maxEntryBytes(IndexSlotDescriptor.LEVEL_L3, fileMaxEntryBytes)
            .build();
    }

    /**
     * The key/spec arena: room for a one-part entry with a 64-byte key per slot, plus slack for
     * longer ones, up to the 32 GiB a slot's meta field addresses.
     */
    long metaBytes()
    {
        return Math.min((long)maxEntries * 256 + (1L << 20), IndexSlotDescriptor.MAX_META_OFFSET);
    }

    /**
     * Native memory the index may come to use, whatever is stored: its slots (with the slack for
     * retired ones) with an extension each, its key table at its largest and the key/spec arena;
     * about 380 bytes per entry, most of it the arena. All of it is address space reserved at
     * {@code build()} and backed by the kernel only as it is touched, so this is a bound, not
     * what a cache of few or small entries uses.
     *
     * @return bytes.
     */
    long indexNativeBytes()
    {
        final long slotCount = Math.min(IndexSlotDescriptor.MAX_CAPACITY, maxEntries + Math.max(64L, maxEntries / 8L));
        final long tableCells = (long)Integer.highestOneBit((int)slotCount) << 2;
        return slotCount * (IndexSlotDescriptor.SLOT_LENGTH + IndexSlotDescriptor.EXTENSION_LENGTH) + tableCells * Integer.BYTES +
            metaBytes();
    }

    /**
     * The settings as a TOML file that loads back to the same values, each line commented with
     * its source.
     *
     * @return TOML text.
     */
    public String toToml()
    {
        final Map<String, StringBuilder> tables = new LinkedHashMap<>();
        for (final SettingsKey key : SettingsKey.values())
        {
            final Object value = values.get(key);
            if (value == null)
            {
                continue;
            }
            final int dot = key.key.lastIndexOf('.');
            tables.computeIfAbsent(key.key.substring(0, dot), table -> new StringBuilder())
                .append(key.key.substring(dot + 1)).append(" = ").append(tomlValue(key, value))
                .append("  # ").append(sources.get(key)).append('\n');
        }
        final StringBuilder sb = new StringBuilder();
        for (final Map.Entry<String, StringBuilder> table : tables.entrySet())
        {
            sb.append(sb.isEmpty() ? "" : "\n").append('[').append(table.getKey()).append("]\n").append(table.getValue());
        }
        return sb.toString();
    }

    private static String tomlValue(final SettingsKey key, final Object value)
    {
        return switch (key.kind)
        {
            case SIZE, POSITIVE_SIZE, ENTRY_SIZE -> "\"" + exactBytes((Long)value) + "\"";
            case DURATION, POSITIVE_DURATION ->
                "\"" + BigDecimal.valueOf(((Duration)value).getSeconds()).add(BigDecimal.valueOf(((Duration)value).getNano(), 9))
                    .stripTrailingZeros().toPlainString() + "s\"";
            case TEXT, NAMESPACE, POLICY, FILE_POLICY, PATH -> quote(value.toString());
            case SECRET_URI -> quote(RemoteSettings.redact(value.toString()));
            default -> value.toString();
        };
    }

    private static String exactBytes(final long bytes)
    {
        final String[] units = {"TiB", "GiB", "MiB", "KiB"};
        for (int i = 0; i < units.length; i++)
        {
            final long unit = 1L << (10 * (4 - i));
            if (bytes != 0 && bytes % unit == 0)
            {
                return bytes / unit + units[i];
            }
        }
        return bytes + "B";
    }

    private static String quote(final String text)
    {
        return "\"" + text.replace("\\", "\\\\").replace("\"", "\\\"") + "\"";
    }

    /**
     * Same as {@link #toToml()}.
     *
     * @return TOML text.
     */
    @Override
    public String toString()
    {
        return toToml();
    }
}
