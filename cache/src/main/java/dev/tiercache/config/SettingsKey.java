package dev.tiercache.config;

import dev.tiercache.SettingsUnits;
import dev.tiercache.index.IndexSlotDescriptor;
import dev.tiercache.policy.EvictionPolicies;
import dev.tiercache.policy.FifoPolicy;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * Every setting of a cache: its name as written in TOML, other names the seed systems use for it,
 * the environment variables that set it, and the form its value takes. The environment name of
 * {@code cache.a.b} is {@code CACHE_A_B}; aliases give more. The builder, the file and the
 * environment all go through {@link #parse} or {@link #checked}, so a value is judged by one rule
 * whichever source gave it.
 */
public enum SettingsKey
{
    NAME("cache.name", Kind.TEXT),
    POLICY("cache.policy", Kind.POLICY),
    EVICTION_THRESHOLD("cache.eviction_threshold", Kind.FRACTION),
    EVICTION_TARGET("cache.eviction_target", Kind.FRACTION),
    IDLE_DEMOTION("cache.idle_demotion", Kind.DURATION),
    TTL("cache.ttl", Kind.DURATION),

    DEVICE_ENABLED("cache.device.enabled", Kind.BOOLEAN),
    DEVICE_ORDINAL("cache.device.ordinal", Kind.NON_NEGATIVE_INT),
    DEVICE_SIZE("cache.device.size", Kind.SIZE, "cache.vram_size"),
    VRAM_LIMIT("cache.device.vram_limit", Kind.SIZE),
    HEADROOM("cache.device.headroom", Kind.HEADROOM),
    DEVICE_POLICY("cache.device.policy", Kind.POLICY),
    DEVICE_PROMOTION_THRESHOLD("cache.device.promotion_threshold", Kind.POSITIVE_INT, "cache.device.cache_hit_threshold"),
    DEVICE_MAX_ENTRY_SIZE("cache.device.max_entry_size", Kind.ENTRY_SIZE),

    HOST_SIZE("cache.memory_size", Kind.POSITIVE_SIZE, "cache.memory.size"),
    HOST_POLICY("cache.memory.policy", Kind.POLICY),
    HOST_PROMOTION_THRESHOLD("cache.memory.promotion_threshold", Kind.POSITIVE_INT),
    HOST_MAX_ENTRY_SIZE("cache.memory.max_entry_size", Kind.ENTRY_SIZE),
    MAX_ITEMS("cache.memory.max_items", Kind.POSITIVE_INT, "cache.max_items"),
    CLEANUP_INTERVAL("cache.memory.cleanup_interval", Kind.POSITIVE_DURATION, "cache.cleanup_interval"),

    FILE_SIZE("cache.disk_size", Kind.SIZE, "cache.disk.size"),
    FILE_PATH("cache.disk.path", Kind.PATH),
    USE_MMAP("cache.disk.use_mmap", Kind.BOOLEAN),
    FILE_POLICY("cache.disk.policy", Kind.FILE_POLICY),
    FILE_MAX_ENTRY_SIZE("cache.disk.max_entry_size", Kind.ENTRY_SIZE),
    FILE_REGION_SIZE("cache.disk.region_size", Kind.POSITIVE_SIZE),
    COMPRESSION("cache.disk.compression", Kind.BOOLEAN),
    MIN_COMPRESSION_SAVINGS("cache.disk.min_compression_savings", Kind.HEADROOM),
    PERSIST_ON_CLOSE("cache.disk.persist_on_close", Kind.BOOLEAN),

    REMOTE_URI("cache.remote.uri", Kind.SECRET_URI),
    REMOTE_NAMESPACE("cache.remote.namespace", Kind.NAMESPACE),
    REMOTE_TTL("cache.remote.ttl", Kind.DURATION),
    REMOTE_QUEUE_SIZE("cache.remote.queue_size", Kind.SIZE),
    REMOTE_TIMEOUT("cache.remote.timeout", Kind.POSITIVE_DURATION),
    REMOTE_WRITE_ON_PUT("cache.remote.write_on_put", Kind.BOOLEAN),
    REMOTE_WRITE_ON_EVICTION("cache.remote.write_on_eviction", Kind.BOOLEAN),
    REMOTE_TLS_CA_FILE("cache.remote.tls_ca_file", Kind.PATH);

    /** The forms values take: how their text is written, and the range a typed value must fall in. */
    public enum Kind
    {
        TEXT("a string", "not blank"),
        SIZE(SettingsUnits.SIZE_FORMS, "at least 0 bytes; 0 turns the level off"),
        POSITIVE_SIZE(SettingsUnits.SIZE_FORMS, "more than 0 bytes"),
        ENTRY_SIZE(SettingsUnits.SIZE_FORMS, "at least 0 bytes; 0 only for a level that is off"),
        POSITIVE_INT("an integer", "in [1, " + Integer.MAX_VALUE + "]"),
        NON_NEGATIVE_INT("an integer", "in [0, " + Integer.MAX_VALUE + "]"),
        FRACTION("a fraction like 0.9 or \"90%\"", "in (0, 1]"),
        HEADROOM("a fraction like 0.25 or \"25%\"", "in [0, 1)"),
        DURATION(SettingsUnits.DURATION_FORMS, "0 (off) or at least 1 ms (less is taken for a mistaken unit)"),
        POSITIVE_DURATION(SettingsUnits.DURATION_FORMS, "at least 1 ms"),
        BOOLEAN("true or false", "true or false"),
        POLICY("one of " + EvictionPolicies.names(), "one of " + EvictionPolicies.names()),
        FILE_POLICY(FifoPolicy.NAME + ": L3 reclaims whole regions in the order they were written",
            FifoPolicy.NAME + ": L3 reclaims whole regions in the order they were written"),
        PATH("a path", "not empty"),
        SECRET_URI("a URI such as redis://host:6379", "a URI with a scheme, such as redis://host:6379 (its password is never printed)"),
        NAMESPACE("a string", "1 to " + NAMESPACE_MAX_LENGTH + " letters, digits, '.', '_' or '-', e.g. imagenet-train.v3");

        /** How the value is written, e.g. {@code a size like "512MB" ...}. */
        final String forms;
        /** The range a typed value must fall in, e.g. {@code in (0, 1]}. */
        final String rule;

        Kind(final String forms, final String rule)
        {
            this.forms = forms;
            this.rule = rule;
        }

        /**
         * What a written value must be, for messages about text from a file or the environment.
         *
         * @return e.g. {@code must be a fraction like 0.9 or "90%", in (0, 1]}.
         */
        public String allowed()
        {
            return forms.equals(rule) ? "must be " + rule : "must be " + forms + ", " + rule;
        }

        /**
         * What a typed value must be, for messages about a builder's argument.
         *
         * @return e.g. {@code must be in (0, 1]}.
         */
        public String rule()
        {
            return "must be " + rule;
        }
    }

    /** The longest L4 namespace. */
    public static final int NAMESPACE_MAX_LENGTH = 128;
    private static final java.util.regex.Pattern NAMESPACE_FORM = java.util.regex.Pattern.compile("[A-Za-z0-9._-]{1," + NAMESPACE_MAX_LENGTH + "}");
    private static final java.util.regex.Pattern URI_FORM = java.util.regex.Pattern.compile("[a-z][a-z0-9+.-]*://\\S+");

    /**
     * The shortest interval the mover sweeps at, and the shortest idle time or time to live: a
     * cache entry that lives less than a millisecond is a unit mistake (nanoseconds given for
     * milliseconds), not a configuration.
     */
    public static final Duration MIN_POSITIVE_DURATION = Duration.ofMillis(1);

    /** The main name, as written in TOML, e.g. {@code cache.memory_size}. */
    public final String key;
    /** The form of the value. */
    public final Kind kind;
    /** The main name, then the aliases. */
    public final List<String> names;
    /** The environment variables that set it, e.g. {@code [CACHE_DEVICE_SIZE, CACHE_VRAM_SIZE]}. */
    public final List<String> environmentNames;

    SettingsKey(final String key, final Kind kind, final String... aliases)
    {
        this.key = key;
        this.kind = kind;
        final List<String> all = new ArrayList<>();
        all.add(key);
        all.addAll(List.of(aliases));
        this.names = List.copyOf(all);
        final List<String> env = new ArrayList<>();
        for (final String name : all)
        {
            final String envName = name.toUpperCase(Locale.ROOT).replace('.', '_');
            if (!env.contains(envName))
            {
                env.add(envName);
            }
        }
        this.environmentNames = List.copyOf(env);
    }

    /**
     * The key of a name or alias as written in TOML.
     *
     * @param name e.g. {@code cache.vram_size}.
     * @return the key, or {@code null} for an unknown name.
     */
    public static SettingsKey byName(final String name)
    {
        for (final SettingsKey key : values())
        {
            if (key.names.contains(name))
            {
                return key;
            }
        }
        return null;
    }

    /**
     * The known name closest to a misspelt one.
     *
     * @param name a name that is not known.
     * @return the closest name at an edit distance of at most 3, or {@code null}.
     */
    public static String closest(final String name)
    {
        return closest(name, false, 3);
    }

    /**
     * The known environment variable closest to a misspelt one.
     *
     * @param name        a variable that is not known.
     * @param maxDistance the largest edit distance that counts as a misspelling.
     * @return the closest variable, or {@code null}.
     */
    public static String closestEnvironmentName(final String name, final int maxDistance)
    {
        return closest(name, true, maxDistance);
    }

    private static String closest(final String name, final boolean environment, final int maxDistance)
    {
        String best = null;
        int bestDistance = maxDistance + 1;
        for (final SettingsKey key : values())
        {
            for (final String candidate : environment ? key.environmentNames : key.names)
            {
                final int distance = editDistance(name, candidate);
                if (distance < bestDistance)
                {
                    bestDistance = distance;
                    best = candidate;
                }
            }
        }
        return best;
    }

    private static int editDistance(final String a, final String b)
    {
        int[] previous = new int[b.length() + 1];
        int[] current = new int[b.length() + 1];
        for (int j = 0; j <= b.length(); j++)
        {
            previous[j] = j;
        }
        for (int i = 1; i <= a.length(); i++)
        {
            current[0] = i;
            for (int j = 1; j <= b.length(); j++)
            {
                final int substitute = previous[j - 1] + (a.charAt(i - 1) == b.charAt(j - 1) ? 0 : 1);
                current[j] = Math.min(substitute, Math.min(previous[j], current[j - 1]) + 1);
            }
            final int[] swap = previous;
            previous = current;
            current = swap;
        }
        return previous[b.length()];
    }

    /**
     * Parses a value as written (TOML scalars arrive as their text) into its typed form: Long
     * for sizes and integers, Double for fractions, Duration, Boolean, String, Path.
     *
     * @param raw the text as written.
     * @return the typed value, checked by {@link #checked}.
     * @throws IllegalArgumentException with the message {@link Kind#allowed()} or a more precise one.
     */
    public Object parse(final String raw)
    {
        try
        {
            return parseText(raw.trim());
        }
        catch (final IllegalArgumentException ex)
        {
            if (ex.getMessage().equals(kind.rule()))
            {
                throw new IllegalArgumentException(kind.allowed(), ex);
            }
            throw ex;
        }
    }

    private Object parseText(final String text)
    {
        return switch (kind)
        {
            case TEXT, SECRET_URI, NAMESPACE -> checked(text, !text.isEmpty());
            case PATH -> checked(Path.of(text), !text.isEmpty());
            case SIZE, POSITIVE_SIZE, ENTRY_SIZE -> checked(parseSize(text), null);
            case POSITIVE_INT, NON_NEGATIVE_INT -> checked(parseInt(text), null);
            case FRACTION, HEADROOM -> checked(parseFraction(text), null);
            case DURATION, POSITIVE_DURATION -> checked(parseDuration(text), null);
            case BOOLEAN -> parseBoolean(text);
            case POLICY, FILE_POLICY -> checked(text.toLowerCase(Locale.ROOT), null);
        };
    }

    /**
     * Checks a typed value, from the builder or from {@link #parse}.
     *
     * @param value    a Long, Double, Duration, Boolean, String or Path, as the kind takes.
     * @param parsedOk {@code false} when parsing already found the text wrong; {@code null} otherwise.
     * @return the value.
     * @throws IllegalArgumentException with the message {@link Kind#rule()}.
     */
    public Object checked(final Object value, final Boolean parsedOk)
    {
        final boolean ok = switch (kind)
        {
            case TEXT -> value instanceof String s && !s.isBlank();
            case SECRET_URI -> value instanceof String s && URI_FORM.matcher(s).matches();
            case NAMESPACE -> value instanceof String s && NAMESPACE_FORM.matcher(s).matches();
            case PATH -> value instanceof Path p && !p.toString().isEmpty();
            case SIZE, ENTRY_SIZE -> value instanceof Long l && l >= 0;
            case NON_NEGATIVE_INT -> value instanceof Long l && l >= 0 && l <= Integer.MAX_VALUE;
            case POSITIVE_SIZE -> value instanceof Long l && l > 0;
            case POSITIVE_INT -> value instanceof Long l && l > 0 && l <= Integer.MAX_VALUE &&
                (this != MAX_ITEMS || l <= IndexSlotDescriptor.MAX_CAPACITY);
            case FRACTION -> value instanceof Double d && d > 0 && d <= 1;
            case HEADROOM -> value instanceof Double d && d >= 0 && d < 1;
            case DURATION -> value instanceof Duration d && (d.isZero() || d.compareTo(MIN_POSITIVE_DURATION) >= 0);
            case POSITIVE_DURATION -> value instanceof Duration d && d.compareTo(MIN_POSITIVE_DURATION) >= 0;
            case BOOLEAN -> value instanceof Boolean;
            case POLICY -> value instanceof String s && EvictionPolicies.names().contains(s);
            case FILE_POLICY -> FifoPolicy.NAME.equals(value);
        };
        if (!ok || Boolean.FALSE.equals(parsedOk))
        {
            if (this == MAX_ITEMS && value instanceof Long l && l > IndexSlotDescriptor.MAX_CAPACITY)
            {
                throw new IllegalArgumentException("must be in [1, " + IndexSlotDescriptor.MAX_CAPACITY + "] (the index's capacity)");
            }
            throw new IllegalArgumentException(kind.rule());
        }
        return value;
    }

    private Long parseSize(final String text)
    {
        if (text.startsWith("-"))
        {
            throw new IllegalArgumentException("must not be negative; " + kind.allowed());
        }
        try
        {
            return SettingsUnits.parseBytes(text);
        }
        catch (final IllegalArgumentException ex)
        {
            throw new IllegalArgumentException(ex.getMessage().startsWith("must be") ? kind.allowed() : ex.getMessage() + "; " + kind.allowed(), ex);
        }
    }

    private Long parseInt(final String text)
    {
        try
        {
            return Long.parseLong(text.replace("_", ""));
        }
        catch (final NumberFormatException ex)
        {
            throw new IllegalArgumentException(kind.allowed(), ex);
        }
    }

    private Double parseFraction(final String text)
    {
        try
        {
            if (text.endsWith("%"))
            {
                return Double.parseDouble(text.substring(0, text.length() - 1).trim()) / 100.0;
            }
            final double value = Double.parseDouble(text);
            if (!Double.isFinite(value))
            {
                throw new IllegalArgumentException(kind.allowed());
            }
            return value;
        }
        catch (final NumberFormatException ex)
        {
            throw new IllegalArgumentException(kind.allowed(), ex);
        }
    }

    private Duration parseDuration(final String text)
    {
        if (text.startsWith("-"))
        {
            throw new IllegalArgumentException("must not be negative; " + kind.allowed());
        }
        try
        {
            return SettingsUnits.parseDuration(text);
        }
        catch (final IllegalArgumentException ex)
        {
            throw new IllegalArgumentException(kind.allowed(), ex);
        }
    }

    private Boolean parseBoolean(final String text)
    {
        return switch (text.toLowerCase(Locale.ROOT))
        {
            case "true", "yes", "on", "1" -> Boolean.TRUE;
            case "false", "no", "off", "0" -> Boolean.FALSE;
            default -> throw new IllegalArgumentException(kind.allowed());
        };
    }
}
