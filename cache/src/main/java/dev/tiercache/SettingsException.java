package dev.tiercache;

/**
 * A setting that cannot be used: an unknown key, a value of the wrong form, or values that
 * contradict each other. The message names the key, the value, what is allowed and where the
 * value came from, e.g. {@code cache.memory.max_items = -3: must be a positive integer (file
 * tiercache.toml line 7)}.
 */
public final class SettingsException extends IllegalArgumentException
{
    private static final long serialVersionUID = 1L;

    /** The key as written, e.g. {@code cache.memory.max_items}. */
    private final String key;
    /** The value as written, {@code null} when the problem is not one value. */
    private final String value;
    /** Where the value came from, e.g. {@code environment CACHE_MEMORY_SIZE}. */
    private final String source;

    /**
     * A problem with one value.
     *
     * @param key     the key, or {@code null} for a syntax error that precedes any key.
     * @param value   the value as written, or {@code null}; a URI's password is shown as {@code ***}.
     * @param problem what is wrong and what is allowed, e.g. {@code "must be a positive integer"};
     *                a URI's password in it is shown as {@code ***} too.
     * @param source  where the value came from.
     */
    public SettingsException(final String key, final String value, final String problem, final String source)
    {
        super((key == null ? "" : key + (value == null ? "" : " = " + RemoteSettings.redact(value)) + ": ") + RemoteSettings.redact(problem) +
            " (" + source + ")");
        this.key = key;
        this.value = RemoteSettings.redact(value);
        this.source = source;
    }

    /**
     * The key as written.
     *
     * @return e.g. {@code cache.memory.max_items}; {@code null} for a syntax error before any key.
     */
    public String key()
    {
        return key;
    }

    /**
     * The value as written.
     *
     * @return the value, or {@code null} when the problem is not one value.
     */
    public String value()
    {
        return value;
    }

    /**
     * Where the value came from.
     *
     * @return e.g. {@code "environment CACHE_MEMORY_SIZE"}, {@code "file tiercache.toml line 7"},
     *         {@code "builder"}.
     */
    public String source()
    {
        return source;
    }
}
