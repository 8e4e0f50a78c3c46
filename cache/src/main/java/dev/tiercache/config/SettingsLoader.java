package dev.tiercache.config;

import dev.tiercache.SettingsException;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * Reads the two text sources of a configuration, each into one layer of typed values with the
 * source of each: a TOML file and the environment. {@link #merge} stacks the layers under the
 * builder's own values (builder over environment over file); {@code TierCacheConfig} then fills
 * what is left from the hardware profile and its defaults and validates the whole.
 *
 * <h2>Failure</h2>
 * The first problem ends loading with a {@link SettingsException} that names the key, the value
 * as written, what is allowed and where the value came from. Unknown keys in the file are errors
 * (a misspelt key silently ignored is the worst kind of configuration bug), with the closest
 * known key suggested. In the environment only the names this class reads are looked at; other
 * {@code CACHE_*} variables belong to other programs.
 */
public final class SettingsLoader
{
    /**
     * The longest edit distance at which an unknown {@code CACHE_*} variable is taken for a
     * misspelling of one of ours rather than another program's variable.
     */
    static final int ENVIRONMENT_MISSPELLING_DISTANCE = 2;

    /**
     * One value and where it came from.
     *
     * @param value   the typed value.
     * @param written the value as written, for messages.
     * @param source  e.g. {@code "file tiercache.toml line 3"}, {@code "environment CACHE_TTL"},
     *                {@code "builder hostBytes"}.
     */
    public record Setting(Object value, String written, String source)
    {
    }

    private SettingsLoader()
    {
    }

    /**
     * Stacks the layers, highest first: the builder's values, the environment, the file.
     *
     * @param explicit    the builder's values.
     * @param file        a TOML file, or {@code null} for none.
     * @param environment variables, or {@code null} for none.
     * @return every key some source set, with its value and source.
     * @throws SettingsException naming the first bad key, its value, what is allowed and its source.
     */
    public static EnumMap<SettingsKey, Setting> merge(
        final Map<SettingsKey, Setting> explicit,
        final Path file,
        final Map<String, String> environment)
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
        return merged;
    }

    /**
     * Reads a TOML settings file.
     *
     * @param file the file.
     * @return its settings.
     * @throws SettingsException for a file that is missing or not a file, a syntax error, an
     *                           unknown key or a bad value, naming the line.
     */
    public static Map<SettingsKey, Setting> fileLayer(final Path file)
    {
        if (Files.isDirectory(file))
        {
            throw new SettingsException(null, null, "is a directory; the settings file must be a TOML file", "file " + file);
        }
        if (!Files.exists(file))
        {
            throw new SettingsException(null, null, "does not exist; the settings file must be an existing TOML file", "file " + file);
        }
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
                    " Known keys: " + keys(), source);
            }
            if (namedAs.containsKey(key))
            {
                throw new SettingsException(name, written, "the same setting as " + namedAs.get(key) + ", which is also set", source);
            }
            namedAs.put(key, name);
            // TOML's 1_000 is 1000; inside a string an underscore is the user's own text
            final String scalar = value.quoted() ? value.text() : value.text().replace("_", "");
            layer.put(key, new Setting(parse(key, name, scalar, written, source), written, source));
        }
        return layer;
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
     * Reads the variables tiercache defines from an environment. Other {@code CACHE_*}
     * variables belong to other programs and are left alone, except one within
     * {@value #ENVIRONMENT_MISSPELLING_DISTANCE} edits of ours, which is taken for a misspelling.
     *
     * @param environment the variables, e.g. {@code System.getenv()}.
     * @return their settings.
     * @throws SettingsException for a bad value, a misspelt name or two names of one setting
     *                           that disagree.
     */
    public static Map<SettingsKey, Setting> environmentLayer(final Map<String, String> environment)
    {
        checkMisspellings(environment);
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

    private static void checkMisspellings(final Map<String, String> environment)
    {
        for (final Map.Entry<String, String> entry : new TreeMap<>(environment).entrySet())
        {
            final String name = entry.getKey();
            if (!name.startsWith("CACHE_") || isKnownEnvironmentName(name))
            {
                continue;
            }
            final String closest = SettingsKey.closestEnvironmentName(name, ENVIRONMENT_MISSPELLING_DISTANCE);
            if (closest != null)
            {
                throw new SettingsException(name, entry.getValue(), "unknown variable; did you mean " + closest + "?",
                    "environment " + name);
            }
        }
    }

    private static boolean isKnownEnvironmentName(final String name)
    {
        for (final SettingsKey key : SettingsKey.values())
        {
            if (key.environmentNames.contains(name))
            {
                return true;
            }
        }
        return false;
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

    /**
     * Parses one value as written.
     *
     * @param key     the setting.
     * @param name    the name it was written under, for messages.
     * @param text    the value's text.
     * @param written the value as written, for messages.
     * @param source  where it came from.
     * @return the typed value.
     * @throws SettingsException naming the name, the value, what is allowed and the source.
     */
    public static Object parse(final SettingsKey key, final String name, final String text, final String written, final String source)
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
}
