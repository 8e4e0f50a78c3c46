package dev.tiercache;

import dev.tiercache.profile.HardwareProfile;

import java.math.BigDecimal;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * Every setting of a cache, resolved and validated: immutable, and the one thing
 * {@code TierCache.Builder} needs from a configuration.
 *
 * <h2>Sources and precedence</h2>
 * Highest first: values set on the {@link Builder}, the environment, a TOML file, then the
 * {@link HardwareProfile}'s recommendations for the level sizes, then defaults. Each value
 * remembers its source ({@link #sourceOf(String)}).
 *
 * <h2>Keys</h2>
 * The file uses the seed systems' names, in a {@code [cache]} table:
 * <pre>
 * [cache]
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
 * [cache.remote]                 # L4, shared (off without a uri; see RemoteSettings)
 * uri = "redis-cluster://10.0.0.5:7000,10.0.0.6:7000"   # redis://, rediss://; user:password@ allowed
 * namespace = "imagenet-train.v3" # required with a uri: the dataset's name and version
 * ttl = 0                        # expiry of the values written; 0 never
 * queue_size = "64MB"            # write-behind bound; a write that does not fit is dropped
 * timeout = "250ms"              # bound of every call; past it L4 turns off until the server answers
 * write_on_put = true
 * write_on_eviction = false      # also write entries that L3 drops
 * </pre>
 * The environment variable of {@code cache.a.b} is {@code CACHE_A_B} (so {@code CACHE_MEMORY_SIZE},
 * {@code CACHE_DISK_SIZE}, {@code CACHE_POLICY}, {@code CACHE_DISK_PATH} ...), and
 * {@code CACHE_VRAM_SIZE} sets the L1 size. Sizes are binary: {@code GB} means GiB (see
 * {@link SettingsUnits}). Without {@code cache.disk.path} from any source, L3 is off unless a
 * size is given, in which case the file goes to {@code java.io.tmpdir}.
 */
public final class CacheSettings
{
    private final EnumMap<SettingsKey, Object> values;
    private final EnumMap<SettingsKey, String> sources;
    private final HardwareProfile profile;

    CacheSettings(final EnumMap<SettingsKey, Object> values, final EnumMap<SettingsKey, String> sources, final HardwareProfile profile)
    {
        this.values = new EnumMap<>(values);
        this.sources = new EnumMap<>(sources);
        this.profile = profile;
    }

    /**
     * Loads settings from a file, an environment and a profile, with nothing set explicitly.
     *
     * @param tomlOrNull  a TOML file, or {@code null} for none.
     * @param environment variables, e.g. {@code System.getenv()}; {@code null} for none.
     * @param profile     the machine the sizes are recommended for; {@code null} to detect it
     *                    (for the L3 path's file system).
     * @return the settings.
     * @throws SettingsException naming the first bad key, its value, what is allowed and its source.
     */
    public static CacheSettings load(final Path tomlOrNull, final Map<String, String> environment, final HardwareProfile profile)
    {
        return builder().file(tomlOrNull).environment(environment).profile(profile).build();
    }

    /**
     * Loads settings from a file and this process's environment, for this machine.
     *
     * @param tomlOrNull a TOML file, or {@code null} for none.
     * @return the settings.
     * @throws SettingsException naming the first bad key.
     */
    public static CacheSettings fromSystem(final Path tomlOrNull)
    {
        return load(tomlOrNull, System.getenv(), null);
    }

    /**
     * A builder whose setters take precedence over every other source.
     *
     * @return a new builder.
     */
    public static Builder builder()
    {
        return new Builder();
    }

    /**
     * The keys a file may set, each under its main name.
     *
     * @return e.g. {@code cache.memory_size}, {@code cache.device.vram_limit} ...
     */
    public static List<String> keys()
    {
        final List<String> keys = new ArrayList<>();
        for (final SettingsKey key : SettingsKey.values())
        {
            keys.add(key.key);
        }
        return keys;
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
        final SettingsKey key = SettingsKey.byName(name);
        if (key == null)
        {
            throw new IllegalArgumentException("unknown key '" + name + "', known: " + keys());
        }
        return key;
    }

    /**
     * Where a value came from.
     *
     * @param key a key's name or alias.
     * @return {@code "builder"}, {@code "environment CACHE_..."}, {@code "file F line N"},
     *         {@code "profile NAME"}, {@code "rule of the profile"} or {@code "default"};
     *         {@code null} for {@code cache.policy} when nothing set it.
     * @throws IllegalArgumentException for an unknown key.
     */
    public String sourceOf(final String key)
    {
        return sources.get(known(key));
    }

    /**
     * The profile the level sizes were recommended for.
     *
     * @return the profile given to the loader, or the one it detected.
     */
    public HardwareProfile profile()
    {
        return profile;
    }

    /**
     * The cache's name for JMX and logs ({@code cache.name}).
     *
     * @return default {@code "tiercache"}.
     */
    public String name()
    {
        return (String)values.get(SettingsKey.NAME);
    }

    /**
     * Whether L1 may be used at all ({@code cache.device.enabled}).
     *
     * @return default true; L1 is off anyway when no GPU is usable.
     */
    public boolean deviceEnabled()
    {
        return (Boolean)values.get(SettingsKey.DEVICE_ENABLED);
    }

    /**
     * The GPU that holds L1 ({@code cache.device.ordinal}).
     *
     * @return default 0.
     */
    public int deviceOrdinal()
    {
        return (int)(long)(Long)values.get(SettingsKey.DEVICE_ORDINAL);
    }

    /**
     * L1 size ({@code cache.device.size}, {@code CACHE_VRAM_SIZE}); default
     * {@link HardwareProfile#recommendedDeviceBytes(double, long)} with this headroom and limit.
     *
     * @return bytes; 0 turns L1 off.
     */
    public long deviceBytes()
    {
        return (Long)values.get(SettingsKey.DEVICE_SIZE);
    }

    /**
     * Hard cap on L1 ({@code cache.device.vram_limit}).
     *
     * @return bytes; 0 for none (default).
     */
    public long vramLimitBytes()
    {
        return (Long)values.get(SettingsKey.VRAM_LIMIT);
    }

    /**
     * Share of the device's total memory L1 never takes ({@code cache.device.headroom}).
     *
     * @return in [0, 1), default 0.25.
     */
    public double deviceHeadroom()
    {
        return (Double)values.get(SettingsKey.HEADROOM);
    }

    /**
     * L2 size ({@code cache.memory_size}, {@code CACHE_MEMORY_SIZE}); default
     * {@link HardwareProfile#recommendedHostBytes()}.
     *
     * @return bytes, positive.
     */
    public long hostBytes()
    {
        return (Long)values.get(SettingsKey.HOST_SIZE);
    }

    /**
     * L3 size ({@code cache.disk_size}, {@code CACHE_DISK_SIZE}); default
     * {@link TierCache.Builder#FILE_BYTES_DEFAULT} (4 GiB), at most
     * {@link HardwareProfile#recommendedFileBytes()}, when a path is set, else 0.
     *
     * @return bytes; 0 turns L3 off.
     */
    public long fileBytes()
    {
        return (Long)values.get(SettingsKey.FILE_SIZE);
    }

    /**
     * The L3 file ({@code cache.disk.path}): the path itself, or {@code tiercache.l3} inside it
     * when it names a directory (an existing one, or one written with a trailing slash).
     *
     * @return the file's path.
     */
    public Path filePath()
    {
        return (Path)values.get(SettingsKey.FILE_PATH);
    }

    /**
     * Whether L3 is read through a memory mapping ({@code cache.disk.use_mmap}).
     *
     * @return default true.
     */
    public boolean useMmap()
    {
        return (Boolean)values.get(SettingsKey.USE_MMAP);
    }

    /**
     * Size of an L3 region, the unit of reclaim ({@code cache.disk.region_size}).
     *
     * @return bytes, default 64 MiB.
     */
    public long fileRegionBytes()
    {
        return (Long)values.get(SettingsKey.FILE_REGION_SIZE);
    }

    /**
     * Whether L3 stores LZ4 where it saves space ({@code cache.disk.compression}).
     *
     * @return default true.
     */
    public boolean compression()
    {
        return (Boolean)values.get(SettingsKey.COMPRESSION);
    }

    /**
     * Least saving for LZ4 to be stored ({@code cache.disk.min_compression_savings}).
     *
     * @return in [0, 1), default 0.05.
     */
    public double minCompressionSavings()
    {
        return (Double)values.get(SettingsKey.MIN_COMPRESSION_SAVINGS);
    }

    /**
     * Whether closing writes L1 and L2 to L3 ({@code cache.disk.persist_on_close}).
     *
     * @return default true.
     */
    public boolean persistOnClose()
    {
        return (Boolean)values.get(SettingsKey.PERSIST_ON_CLOSE);
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
        return (String)values.get(switch (tier)
        {
            case DEVICE -> SettingsKey.DEVICE_POLICY;
            case HOST -> SettingsKey.HOST_POLICY;
            case FILE -> SettingsKey.FILE_POLICY;
        });
    }

    /**
     * Accesses after which an entry is promoted to L1 ({@code cache.device.cache_hit_threshold},
     * alias {@code promotion_threshold}).
     *
     * @return default 4.
     */
    public int promoteToDeviceAfter()
    {
        return (int)(long)(Long)values.get(SettingsKey.DEVICE_PROMOTION_THRESHOLD);
    }

    /**
     * Accesses after which an L3 entry is read into L2 ({@code cache.memory.promotion_threshold}).
     *
     * @return default 2.
     */
    public int promoteToHostAfter()
    {
        return (int)(long)(Long)values.get(SettingsKey.HOST_PROMOTION_THRESHOLD);
    }

    /**
     * Largest entry a level takes ({@code cache.device.max_entry_size} ...); default the
     * profile's rule ({@link HardwareProfile#maxEntryBytes(Tier, long)}) applied to this level's
     * size, and at most one region for L3.
     *
     * @param tier the level.
     * @return bytes; 0 when the level is off.
     */
    public long maxEntryBytes(final Tier tier)
    {
        return (Long)values.get(switch (tier)
        {
            case DEVICE -> SettingsKey.DEVICE_MAX_ENTRY_SIZE;
            case HOST -> SettingsKey.HOST_MAX_ENTRY_SIZE;
            case FILE -> SettingsKey.FILE_MAX_ENTRY_SIZE;
        });
    }

    /**
     * A level's size.
     *
     * @param tier the level.
     * @return {@link #deviceBytes()}, {@link #hostBytes()} or {@link #fileBytes()}.
     */
    public long levelBytes(final Tier tier)
    {
        return switch (tier)
        {
            case DEVICE -> deviceBytes();
            case HOST -> hostBytes();
            case FILE -> fileBytes();
        };
    }

    /**
     * Most entries over all levels ({@code cache.memory.max_items}).
     *
     * @return default 65536.
     */
    public int maxItems()
    {
        return (int)(long)(Long)values.get(SettingsKey.MAX_ITEMS);
    }

    /**
     * Fill that starts eviction ({@code cache.eviction_threshold}).
     *
     * @return in (0, 1], default 0.95.
     */
    public double evictionThreshold()
    {
        return (Double)values.get(SettingsKey.EVICTION_THRESHOLD);
    }

    /**
     * Fill that eviction brings a level down to ({@code cache.eviction_target}).
     *
     * @return in (0, {@link #evictionThreshold()}], default 0.90 or the threshold if lower.
     */
    public double evictionTarget()
    {
        return (Double)values.get(SettingsKey.EVICTION_TARGET);
    }

    /**
     * How often the mover checks idle, expired and over-full levels
     * ({@code cache.memory.cleanup_interval}).
     *
     * @return positive, default 1 s.
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
     * L4 ({@code [cache.remote]}: {@code uri}, {@code namespace}, {@code ttl}, {@code queue_size},
     * {@code timeout}, {@code write_on_put}, {@code write_on_eviction}).
     *
     * @return the settings, or {@code null} when no {@code cache.remote.uri} is set.
     */
    public RemoteSettings remote()
    {
        return remote(values);
    }

    static RemoteSettings remote(final Map<SettingsKey, Object> values)
    {
        final String uri = (String)values.get(SettingsKey.REMOTE_URI);
        return uri == null ? null : new RemoteSettings(uri, (String)values.get(SettingsKey.REMOTE_NAMESPACE),
            (Duration)values.get(SettingsKey.REMOTE_TTL), (Long)values.get(SettingsKey.REMOTE_QUEUE_SIZE),
            (Duration)values.get(SettingsKey.REMOTE_TIMEOUT), (Boolean)values.get(SettingsKey.REMOTE_WRITE_ON_PUT),
            (Boolean)values.get(SettingsKey.REMOTE_WRITE_ON_EVICTION));
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
                "\"" + new BigDecimal(((Duration)value).toNanos()).movePointLeft(9).stripTrailingZeros().toPlainString() + "s\"";
            case TEXT, POLICY, FILE_POLICY, PATH -> quote(value.toString());
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

    /**
     * Sets values explicitly and names the other sources. Every setter takes precedence over the
     * environment, the file and the profile; each checks its value at once and
     * {@link #build()} checks them together.
     */
    public static final class Builder
    {
        private static final String BUILDER = "builder";

        private final EnumMap<SettingsKey, SettingsLoader.Setting> explicit = new EnumMap<>(SettingsKey.class);
        private Path file;
        private Map<String, String> environment;
        private HardwareProfile profile;

        private Builder()
        {
        }

        /**
         * The TOML file to read.
         *
         * @param tomlOrNull the file, or {@code null} for none (default).
         * @return this.
         */
        public Builder file(final Path tomlOrNull)
        {
            this.file = tomlOrNull;
            return this;
        }

        /**
         * The environment to read, e.g. {@code System.getenv()}.
         *
         * @param environmentOrNull the variables, or {@code null} for none (default).
         * @return this.
         */
        public Builder environment(final Map<String, String> environmentOrNull)
        {
            this.environment = environmentOrNull == null ? null : Map.copyOf(environmentOrNull);
            return this;
        }

        /**
         * The machine the level sizes are recommended for.
         *
         * @param profileOrNull the profile, or {@code null} to detect this machine (default).
         * @return this.
         */
        public Builder profile(final HardwareProfile profileOrNull)
        {
            this.profile = profileOrNull;
            return this;
        }

        /**
         * Sets any key from its text, as a file would.
         *
         * @param key   a key's name or alias, e.g. {@code cache.memory.max_items}.
         * @param value its text, e.g. {@code "1000"} or {@code "4GB"}.
         * @return this.
         * @throws SettingsException for an unknown key or a bad value.
         */
        public Builder set(final String key, final String value)
        {
            final SettingsKey known = SettingsKey.byName(key);
            if (known == null)
            {
                final String closest = SettingsKey.closest(key);
                throw new SettingsException(key, value, "unknown key" + (closest == null ? "" : "; did you mean " + closest + "?"), BUILDER);
            }
            explicit.put(known, new SettingsLoader.Setting(SettingsLoader.parse(known, key, value, value, BUILDER), value, BUILDER));
            return this;
        }

        private Builder put(final SettingsKey key, final Object value)
        {
            final String written = String.valueOf(value);
            try
            {
                key.checked(value, null);
            }
            catch (final IllegalArgumentException ex)
            {
                throw new SettingsException(key.key, written, ex.getMessage(), BUILDER);
            }
            explicit.put(key, new SettingsLoader.Setting(value, written, BUILDER));
            return this;
        }

        /**
         * L1 size.
         *
         * @param bytes non-negative; 0 turns L1 off.
         * @return this.
         */
        public Builder deviceBytes(final long bytes)
        {
            return put(SettingsKey.DEVICE_SIZE, bytes);
        }

        /**
         * Hard cap on L1.
         *
         * @param bytes non-negative; 0 for none.
         * @return this.
         */
        public Builder vramLimitBytes(final long bytes)
        {
            return put(SettingsKey.VRAM_LIMIT, bytes);
        }

        /**
         * Share of device memory left free.
         *
         * @param fraction in [0, 1).
         * @return this.
         */
        public Builder deviceHeadroom(final double fraction)
        {
            return put(SettingsKey.HEADROOM, fraction);
        }

        /**
         * L2 size.
         *
         * @param bytes positive.
         * @return this.
         */
        public Builder hostBytes(final long bytes)
        {
            return put(SettingsKey.HOST_SIZE, bytes);
        }

        /**
         * L3 size.
         *
         * @param bytes non-negative; 0 turns L3 off.
         * @return this.
         */
        public Builder fileBytes(final long bytes)
        {
            return put(SettingsKey.FILE_SIZE, bytes);
        }

        /**
         * The L3 file or its directory.
         *
         * @param path a file, or a directory for {@code tiercache.l3} inside it.
         * @return this.
         */
        public Builder filePath(final Path path)
        {
            return put(SettingsKey.FILE_PATH, Objects.requireNonNull(path, "path"));
        }

        /**
         * A level's eviction policy.
         *
         * @param tier   the level.
         * @param policy a name from {@code EvictionPolicies.names()} ({@code fifo} only for L3).
         * @return this.
         */
        public Builder policy(final Tier tier, final String policy)
        {
            return put(switch (tier)
            {
                case DEVICE -> SettingsKey.DEVICE_POLICY;
                case HOST -> SettingsKey.HOST_POLICY;
                case FILE -> SettingsKey.FILE_POLICY;
            }, policy);
        }

        /**
         * Accesses before promotion to L1.
         *
         * @param accesses positive.
         * @return this.
         */
        public Builder promoteToDeviceAfter(final int accesses)
        {
            return put(SettingsKey.DEVICE_PROMOTION_THRESHOLD, (long)accesses);
        }

        /**
         * Accesses before an L3 entry is read into L2.
         *
         * @param accesses positive.
         * @return this.
         */
        public Builder promoteToHostAfter(final int accesses)
        {
            return put(SettingsKey.HOST_PROMOTION_THRESHOLD, (long)accesses);
        }

        /**
         * Largest entry a level takes.
         *
         * @param tier  the level.
         * @param bytes non-negative; 0 only for a level that is off.
         * @return this.
         */
        public Builder maxEntryBytes(final Tier tier, final long bytes)
        {
            return put(switch (tier)
            {
                case DEVICE -> SettingsKey.DEVICE_MAX_ENTRY_SIZE;
                case HOST -> SettingsKey.HOST_MAX_ENTRY_SIZE;
                case FILE -> SettingsKey.FILE_MAX_ENTRY_SIZE;
            }, bytes);
        }

        /**
         * Most entries over all levels.
         *
         * @param items positive.
         * @return this.
         */
        public Builder maxItems(final int items)
        {
            return put(SettingsKey.MAX_ITEMS, (long)items);
        }

        /**
         * Fill that starts eviction.
         *
         * @param fraction in (0, 1].
         * @return this.
         */
        public Builder evictionThreshold(final double fraction)
        {
            return put(SettingsKey.EVICTION_THRESHOLD, fraction);
        }

        /**
         * Fill that eviction brings a level down to.
         *
         * @param fraction in (0, threshold].
         * @return this.
         */
        public Builder evictionTarget(final double fraction)
        {
            return put(SettingsKey.EVICTION_TARGET, fraction);
        }

        /**
         * Time between the mover's sweeps.
         *
         * @param interval positive.
         * @return this.
         */
        public Builder cleanupInterval(final Duration interval)
        {
            return put(SettingsKey.CLEANUP_INTERVAL, interval);
        }

        /**
         * Idle time before demotion.
         *
         * @param idle non-negative; zero never.
         * @return this.
         */
        public Builder idleDemotion(final Duration idle)
        {
            return put(SettingsKey.IDLE_DEMOTION, idle);
        }

        /**
         * Time to live after a put.
         *
         * @param ttl non-negative; zero none.
         * @return this.
         */
        public Builder ttl(final Duration ttl)
        {
            return put(SettingsKey.TTL, ttl);
        }

        /**
         * Whether L3 is read through a memory mapping.
         *
         * @param on the choice.
         * @return this.
         */
        public Builder useMmap(final boolean on)
        {
            return put(SettingsKey.USE_MMAP, on);
        }

        /**
         * Loads the other sources and resolves everything.
         *
         * @return the settings.
         * @throws SettingsException naming the first bad key, its value, what is allowed and its source.
         */
        public CacheSettings build()
        {
            return SettingsLoader.load(explicit, file, environment, profile);
        }
    }
}
