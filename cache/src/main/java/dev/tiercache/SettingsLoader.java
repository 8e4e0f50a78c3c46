package dev.tiercache;

import dev.tiercache.policy.EvictionPolicies;
import dev.tiercache.policy.FifoPolicy;
import dev.tiercache.profile.HardwareProfile;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.EnumMap;
import java.util.Map;

/**
 * Merges the sources of {@link CacheSettings}, highest first: the builder's explicit values, the
 * environment, the TOML file, then the hardware profile's recommendations and the defaults.
 *
 * <h2>Failure</h2>
 * The first problem ends loading with a {@link SettingsException} that names the key, the value
 * as written, what is allowed and where the value came from. Unknown keys in the file are errors
 * (a misspelt key silently ignored is the worst kind of configuration bug), with the closest
 * known key suggested. In the environment only the names this class reads are looked at; other
 * {@code CACHE_*} variables belong to other programs.
 */
final class SettingsLoader
{
    /** The L3 file's name when {@code cache.disk.path} names a directory. */
    static final String FILE_NAME = "tiercache.l3";

    static final double DEFAULT_EVICTION_THRESHOLD = 0.95;
    static final double DEFAULT_EVICTION_TARGET = 0.90;
    static final Duration DEFAULT_IDLE_DEMOTION = Duration.ofSeconds(600);
    static final Duration DEFAULT_CLEANUP_INTERVAL = Duration.ofSeconds(1);
    static final long DEFAULT_MAX_ITEMS = 1 << 16;
    static final long DEFAULT_REGION_BYTES = 64 * SettingsUnits.MIB;
    static final long MIN_REGION_BYTES = 4096;
    static final double DEFAULT_MIN_COMPRESSION_SAVINGS = 0.05;
    static final int DEFAULT_DEVICE_PROMOTION_THRESHOLD = 4;
    static final int DEFAULT_HOST_PROMOTION_THRESHOLD = 2;

    /** One value and where it came from. */
    record Setting(Object value, String written, String source)
    {
    }

    private SettingsLoader()
    {
    }

    static CacheSettings load(
        final Map<SettingsKey, Setting> explicit,
        final Path file,
        final Map<String, String> environment,
        final HardwareProfile givenProfile)
    {
        final EnumMap<SettingsKey, Setting> merged = new EnumMap<>(SettingsKey.class);
        if (file != null)
        {
            merged.putAll(fileLayer(file));
        }
        if (environment != null)
        {
            merged.putAll(environmentLayer(environment));
        }
        merged.putAll(explicit);
        return resolve(merged, givenProfile);
    }

    private static Map<SettingsKey, Setting> fileLayer(final Path file)
    {
        final String text;
        try
        {
            text = Files.readString(file, StandardCharsets.UTF_8);
        }
        catch (final IOException ex)
        {
            throw new SettingsException(null, null, "cannot read the settings file: " + ex, "file " + file);
        }
        final EnumMap<SettingsKey, Setting> layer = new EnumMap<>(SettingsKey.class);
        final Map<SettingsKey, String> namedAs = new EnumMap<>(SettingsKey.class);
        for (final Map.Entry<String, SettingsTomlParser.Value> entry : SettingsTomlParser.parse(text, file.toString()).entrySet())
        {
            final String name = entry.getKey();
            final SettingsTomlParser.Value value = entry.getValue();
            final String written = value.quoted() ? "\"" + value.text() + "\"" : value.text();
            final String source = "file " + file + " line " + value.line();
            final SettingsKey key = SettingsKey.byName(name);
            if (key == null)
            {
                final String closest = SettingsKey.closest(name);
                throw new SettingsException(name, written, "unknown key" + (closest == null ? "" : "; did you mean " + closest + "?") +
                    " Known keys: " + CacheSettings.keys(), source);
            }
            if (namedAs.containsKey(key))
            {
                throw new SettingsException(name, written, "the same setting as " + namedAs.get(key) + ", which is also set", source);
            }
            namedAs.put(key, name);
            layer.put(key, new Setting(parse(key, name, value.text(), written, source), written, source));
        }
        return layer;
    }

    private static Map<SettingsKey, Setting> environmentLayer(final Map<String, String> environment)
    {
        final EnumMap<SettingsKey, Setting> layer = new EnumMap<>(SettingsKey.class);
        for (final SettingsKey key : SettingsKey.values())
        {
            for (final String name : key.environmentNames)
            {
                final String raw = environment.get(name);
                if (raw == null)
                {
                    continue;
                }
                final String source = "environment " + name;
                checkNoControlCharacters(key, raw, source);
                final Setting earlier = layer.get(key);
                if (earlier != null && !earlier.written().equals(raw))
                {
                    throw new SettingsException(key.key, raw, "contradicts " + earlier.source() + " = " + earlier.written() +
                        ", which sets the same setting", source);
                }
                layer.put(key, new Setting(parse(key, key.key, raw, raw, source), raw, source));
            }
        }
        return layer;
    }

    /**
     * Refuses an environment value with a control character (a NUL, a newline, a tab...): such a
     * value was made by a broken script, and trimming it would act on something nobody wrote.
     */
    private static void checkNoControlCharacters(final SettingsKey key, final String raw, final String source)
    {
        for (int i = 0; i < raw.length(); i++)
        {
            final char c = raw.charAt(i);
            if (Character.isISOControl(c))
            {
                final StringBuilder shown = new StringBuilder();
                raw.chars().forEach(ch -> shown.append(Character.isISOControl(ch) ? String.format("\\u%04x", ch) : String.valueOf((char)ch)));
                throw new SettingsException(key.key, shown.toString(), String.format(
                    "contains the control character U+%04X at index %d; environment values are taken as written, never trimmed", (int)c, i),
                    source);
            }
        }
    }

    static Object parse(final SettingsKey key, final String name, final String text, final String written, final String source)
    {
        try
        {
            return key.parse(text);
        }
        catch (final IllegalArgumentException ex)
        {
            throw new SettingsException(name, written, ex.getMessage(), source);
        }
    }

    private static CacheSettings resolve(final EnumMap<SettingsKey, Setting> merged, final HardwareProfile givenProfile)
    {
        final EnumMap<SettingsKey, Object> values = new EnumMap<>(SettingsKey.class);
        final EnumMap<SettingsKey, String> sources = new EnumMap<>(SettingsKey.class);
        for (final Map.Entry<SettingsKey, Setting> entry : merged.entrySet())
        {
            values.put(entry.getKey(), entry.getValue().value());
            sources.put(entry.getKey(), entry.getValue().source());
        }

        final boolean pathGiven = values.containsKey(SettingsKey.FILE_PATH);
        Path path = pathGiven ? (Path)values.get(SettingsKey.FILE_PATH) : Path.of(System.getProperty("java.io.tmpdir"), "tiercache");
        final String writtenPath = pathGiven ? merged.get(SettingsKey.FILE_PATH).written() : "";
        if (!pathGiven || Files.isDirectory(path) || writtenPath.endsWith("/") || writtenPath.endsWith("/\""))
        {
            path = path.resolve(FILE_NAME);
        }
        values.put(SettingsKey.FILE_PATH, path);
        sources.putIfAbsent(SettingsKey.FILE_PATH, "default");

        final HardwareProfile profile = givenProfile != null ? givenProfile :
            HardwareProfile.detect(path.toAbsolutePath().getParent() == null ? path.toAbsolutePath() : path.toAbsolutePath().getParent());
        final String fromProfile = "profile " + profile.name();

        fill(values, sources, SettingsKey.NAME, "tiercache", "default");
        final Object policy = values.get(SettingsKey.POLICY);
        fill(values, sources, SettingsKey.DEVICE_POLICY, policy != null ? policy : EvictionPolicies.DEFAULT,
            policy != null ? sources.get(SettingsKey.POLICY) : "default");
        fill(values, sources, SettingsKey.HOST_POLICY, policy != null ? policy : EvictionPolicies.DEFAULT,
            policy != null ? sources.get(SettingsKey.POLICY) : "default");
        fill(values, sources, SettingsKey.FILE_POLICY, FifoPolicy.NAME, "default");
        fill(values, sources, SettingsKey.EVICTION_THRESHOLD, DEFAULT_EVICTION_THRESHOLD, "default");
        fill(values, sources, SettingsKey.EVICTION_TARGET,
            Math.min(DEFAULT_EVICTION_TARGET, (Double)values.get(SettingsKey.EVICTION_THRESHOLD)), "default");
        fill(values, sources, SettingsKey.IDLE_DEMOTION, DEFAULT_IDLE_DEMOTION, "default");
        fill(values, sources, SettingsKey.TTL, Duration.ZERO, "default");

        fill(values, sources, SettingsKey.DEVICE_ENABLED, Boolean.TRUE, "default");
        fill(values, sources, SettingsKey.DEVICE_ORDINAL, 0L, "default");
        fill(values, sources, SettingsKey.VRAM_LIMIT, 0L, "default");
        fill(values, sources, SettingsKey.HEADROOM, HardwareProfile.DEFAULT_HEADROOM_FRACTION, "default");
        fill(values, sources, SettingsKey.DEVICE_SIZE,
            profile.recommendedDeviceBytes((Double)values.get(SettingsKey.HEADROOM), (Long)values.get(SettingsKey.VRAM_LIMIT)), fromProfile);
        fill(values, sources, SettingsKey.DEVICE_PROMOTION_THRESHOLD, (long)DEFAULT_DEVICE_PROMOTION_THRESHOLD, "default");

        fill(values, sources, SettingsKey.HOST_SIZE, profile.recommendedHostBytes(), fromProfile);
        fill(values, sources, SettingsKey.HOST_PROMOTION_THRESHOLD, (long)DEFAULT_HOST_PROMOTION_THRESHOLD, "default");
        fill(values, sources, SettingsKey.MAX_ITEMS, DEFAULT_MAX_ITEMS, "default");
        fill(values, sources, SettingsKey.CLEANUP_INTERVAL, DEFAULT_CLEANUP_INTERVAL, "default");

        // a library never preallocates tens of GiB where nobody asked it to: without a path, L3 is off
        fill(values, sources, SettingsKey.FILE_SIZE,
            pathGiven ? Math.min(TierCache.Builder.FILE_BYTES_DEFAULT, profile.recommendedFileBytes()) : 0L,
            pathGiven ? "default (" + SettingsUnits.formatBytes(TierCache.Builder.FILE_BYTES_DEFAULT) +
                ", at most the share of the free disk of " + fromProfile + ")" : "default (no cache.disk.path)");
        fill(values, sources, SettingsKey.USE_MMAP, Boolean.TRUE, "default");
        fill(values, sources, SettingsKey.FILE_REGION_SIZE, DEFAULT_REGION_BYTES, "default");
        fill(values, sources, SettingsKey.COMPRESSION, Boolean.TRUE, "default");
        fill(values, sources, SettingsKey.MIN_COMPRESSION_SAVINGS, DEFAULT_MIN_COMPRESSION_SAVINGS, "default");
        fill(values, sources, SettingsKey.PERSIST_ON_CLOSE, Boolean.TRUE, "default");

        fill(values, sources, SettingsKey.DEVICE_MAX_ENTRY_SIZE,
            HardwareProfile.maxEntryBytes(Tier.DEVICE, (Long)values.get(SettingsKey.DEVICE_SIZE)), "rule of the profile");
        fill(values, sources, SettingsKey.HOST_MAX_ENTRY_SIZE,
            HardwareProfile.maxEntryBytes(Tier.HOST, (Long)values.get(SettingsKey.HOST_SIZE)), "rule of the profile");
        fill(values, sources, SettingsKey.FILE_MAX_ENTRY_SIZE,
            Math.min(HardwareProfile.maxEntryBytes(Tier.FILE, (Long)values.get(SettingsKey.FILE_SIZE)),
                (Long)values.get(SettingsKey.FILE_REGION_SIZE)), "rule of the profile");

        if (values.get(SettingsKey.REMOTE_URI) != null)
        {
            fill(values, sources, SettingsKey.REMOTE_TTL, Duration.ZERO, "default");
            fill(values, sources, SettingsKey.REMOTE_QUEUE_SIZE, RemoteSettings.QUEUE_BYTES_DEFAULT, "default");
            fill(values, sources, SettingsKey.REMOTE_TIMEOUT, RemoteSettings.TIMEOUT_DEFAULT, "default");
            fill(values, sources, SettingsKey.REMOTE_WRITE_ON_PUT, Boolean.TRUE, "default");
            fill(values, sources, SettingsKey.REMOTE_WRITE_ON_EVICTION, Boolean.FALSE, "default");
            if (values.get(SettingsKey.REMOTE_NAMESPACE) == null)
            {
                throw new SettingsException(SettingsKey.REMOTE_NAMESPACE.key, null,
                    "must be set with " + SettingsKey.REMOTE_URI.key + ": the dataset's name and version, so two datasets never share entries",
                    sources.get(SettingsKey.REMOTE_URI));
            }
            try
            {
                CacheSettings.remote(values);
            }
            catch (final IllegalArgumentException ex)
            {
                throw new SettingsException(SettingsKey.REMOTE_URI.key, null, ex.getMessage(), sources.get(SettingsKey.REMOTE_URI));
            }
        }
        checkConsistent(values, sources, merged);
        return new CacheSettings(values, sources, profile);
    }

    private static void fill(
        final EnumMap<SettingsKey, Object> values,
        final EnumMap<SettingsKey, String> sources,
        final SettingsKey key,
        final Object value,
        final String source)
    {
        if (!values.containsKey(key))
        {
            values.put(key, value);
            sources.put(key, source);
        }
    }

    private static void checkConsistent(
        final EnumMap<SettingsKey, Object> values,
        final EnumMap<SettingsKey, String> sources,
        final EnumMap<SettingsKey, Setting> merged)
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
        checkEntryFits(SettingsKey.DEVICE_MAX_ENTRY_SIZE, SettingsKey.DEVICE_SIZE, values, sources, merged);
        checkEntryFits(SettingsKey.HOST_MAX_ENTRY_SIZE, SettingsKey.HOST_SIZE, values, sources, merged);
        checkEntryFits(SettingsKey.FILE_MAX_ENTRY_SIZE, SettingsKey.FILE_SIZE, values, sources, merged);
        final long region = (Long)values.get(SettingsKey.FILE_REGION_SIZE);
        if (region < MIN_REGION_BYTES)
        {
            throw contradiction(SettingsKey.FILE_REGION_SIZE, values, sources, merged, "must be at least " + MIN_REGION_BYTES + " bytes (a page)");
        }
        final long fileBytes = (Long)values.get(SettingsKey.FILE_SIZE);
        if (fileBytes > 0 && fileBytes < region)
        {
            throw contradiction(SettingsKey.FILE_SIZE, values, sources, merged,
                "smaller than one region (" + SettingsKey.FILE_REGION_SIZE.key + " = " + SettingsUnits.formatBytes(region) + "); 0 turns L3 off");
        }
        if ((Long)values.get(SettingsKey.FILE_MAX_ENTRY_SIZE) > region)
        {
            throw contradiction(SettingsKey.FILE_MAX_ENTRY_SIZE, values, sources, merged,
                "larger than one region (" + SettingsKey.FILE_REGION_SIZE.key + " = " + SettingsUnits.formatBytes(region) +
                    "): an L3 entry lives in one region");
        }
    }

    private static void checkEntryFits(
        final SettingsKey entryKey,
        final SettingsKey levelKey,
        final EnumMap<SettingsKey, Object> values,
        final EnumMap<SettingsKey, String> sources,
        final EnumMap<SettingsKey, Setting> merged)
    {
        final long level = (Long)values.get(levelKey);
        if (level > 0 && (Long)values.get(entryKey) == 0)
        {
            throw contradiction(entryKey, values, sources, merged, "0 only for a level that is off, and " + levelKey.key + " = " +
                SettingsUnits.formatBytes(level) + " (" + sources.get(levelKey) + ")");
        }
        if (level > 0 && (Long)values.get(entryKey) > level)
        {
            throw contradiction(entryKey, values, sources, merged, "larger than the level (" + levelKey.key + " = " +
                SettingsUnits.formatBytes(level) + ", " + sources.get(levelKey) + ")");
        }
    }

    private static SettingsException contradiction(
        final SettingsKey key,
        final EnumMap<SettingsKey, Object> values,
        final EnumMap<SettingsKey, String> sources,
        final EnumMap<SettingsKey, Setting> merged,
        final String problem)
    {
        return new SettingsException(key.key, written(key, values, merged), problem, sources.get(key));
    }

    private static String written(final SettingsKey key, final EnumMap<SettingsKey, Object> values, final EnumMap<SettingsKey, Setting> merged)
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
}
