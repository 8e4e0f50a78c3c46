package dev.tiercache.config;

import dev.tiercache.SettingsException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.tomlj.Toml;
import org.tomlj.TomlParseError;
import org.tomlj.TomlParseResult;
import org.tomlj.TomlTable;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * Our TOML subset against a full TOML 1.0 reader (tomlj, test scope only): every settings file we
 * document, and several hundred generated ones, read to the same keys and values; what the subset
 * does not support is refused with a message that names the line; and on mutated files, whatever
 * the subset accepts the full reader accepts with the same values.
 *
 * <p>Generated cases print their seed; {@code -Dtiercache.seed=N} replays one, and a failing
 * mutated file is shrunk line by line before it is printed.
 */
class SettingsTomlDifferentialTest
{
    private static final String SEED_PROP_NAME = "tiercache.seed";
    private static final int CASES = 400;
    private static final int MUTATIONS_PER_CASE = 8;

    @Test
    void documentedFiles_readTheSameWithBothReaders() throws IOException
    {
        final List<String> documented = documentedFiles();
        assertTrue(documented.size() >= 2, "found the Javadoc and README examples: " + documented.size());
        for (final String text : documented)
        {
            final Map<String, SettingsTomlParser.Value> ours = SettingsTomlParser.parse(text, "documented");
            assertFalse(ours.isEmpty(), text);
            assertSameAsFullReader(text, ours);
            for (final String key : ours.keySet())
            {
                assertTrue(SettingsKey.byName(key) != null, "a documented file uses only known keys: " + key);
            }
        }
    }

    @Test
    void generatedFiles_readTheSameWithBothReaders()
    {
        final long base = seed();
        final int cases = System.getProperty(SEED_PROP_NAME) != null ? 1 : CASES;
        for (int i = 0; i < cases; i++)
        {
            final long seed = base + i;
            final String text = new Generator(new SplittableRandom(seed)).document();
            try
            {
                assertSameAsFullReader(text, SettingsTomlParser.parse(text, "generated"));
            }
            catch (final AssertionError | RuntimeException ex)
            {
                fail("seed " + seed + " (replay: -D" + SEED_PROP_NAME + "=" + seed + "):\n" + text, ex);
            }
        }
    }

    @Test
    void mutatedFiles_whatTheSubsetAccepts_theFullReaderReadsTheSame()
    {
        final long base = seed();
        final int cases = System.getProperty(SEED_PROP_NAME) != null ? 1 : CASES;
        int refusedByBoth = 0;
        int refusedByUsOnly = 0;
        int acceptedByBoth = 0;
        for (int i = 0; i < cases; i++)
        {
            final long seed = base + i;
            final SplittableRandom random = new SplittableRandom(seed);
            final String valid = new Generator(random).document();
            for (int m = 0; m < MUTATIONS_PER_CASE; m++)
            {
                final String text = mutate(valid, random);
                final String problem = disagreement(text);
                if (problem != null)
                {
                    final String shrunk = shrink(text);
                    fail("seed " + seed + " (replay: -D" + SEED_PROP_NAME + "=" + seed + "): " + disagreement(shrunk) +
                        "\nshrunk file:\n" + shrunk + "\noriginal file:\n" + text);
                }
                final boolean oursAccepts = accepts(text);
                final TomlParseResult parsed = fullParse(text);
                final boolean fullAccepts = parsed != null && !parsed.hasErrors();
                if (oursAccepts)
                {
                    acceptedByBoth++;
                }
                else if (fullAccepts)
                {
                    refusedByUsOnly++;
                }
                else
                {
                    refusedByBoth++;
                }
            }
        }
        System.out.println("mutated files (seed " + base + "): accepted by both " + acceptedByBoth + ", refused by both " + refusedByBoth +
            ", refused by the subset only " + refusedByUsOnly);
        assertTrue(acceptedByBoth > 0 && refusedByBoth > 0, "the mutations reach both outcomes");
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiter = '|', quoteCharacter = '~', value = {
        "arrays | [cache]\\nsizes = [1, 2]\\n | 2 | arrays are not used by tiercache settings",
        "inline tables | [cache]\\nx = { a = 1 }\\n | 2 | inline tables are not used by tiercache settings",
        "arrays of tables | [[cache]]\\nname = \"a\"\\n | 1 | arrays of tables ([[...]]) are not used by tiercache settings",
        "multi-line basic strings | [cache]\\nname = \"\"\"x\"\"\"\\n | 2 | multi-line strings are not used by tiercache settings",
        "multi-line literal strings | [cache]\\nname = '''x'''\\n | 2 | multi-line strings are not used by tiercache settings",
        "dates | [cache]\\nttl = 1979-05-27\\n | 2 | '1979-05-27' is not supported in tiercache settings",
        "date-times | \\n[cache]\\nttl = 1979-05-27T07:32:00Z\\n | 3 | is not supported in tiercache settings",
        "times | [cache]\\nttl = 07:32:00\\n | 2 | is not supported in tiercache settings",
        "hexadecimal integers | [cache]\\nmax_items = 0xff\\n | 2 | '0xff' is not supported in tiercache settings",
        "octal integers | [cache]\\nmax_items = 0o17\\n | 2 | is not supported in tiercache settings",
        "binary integers | [cache]\\nmax_items = 0b11\\n | 2 | is not supported in tiercache settings",
        "infinity | [cache]\\neviction_threshold = inf\\n | 2 | 'inf' is not supported in tiercache settings",
        "not a number | [cache]\\neviction_threshold = nan\\n | 2 | 'nan' is not supported in tiercache settings"})
    void unsupportedToml_isRefusedNamingTheLine(final String feature, final String text, final int line, final String problem)
    {
        final String file = text.replace("\\n", "\n");
        final TomlParseResult full = Toml.parse(file);
        assertFalse(full.hasErrors(), feature + " is valid TOML: " + full.errors());
        try
        {
            SettingsTomlParser.parse(file, "f.toml");
            fail(feature + " was accepted");
        }
        catch (final SettingsException ex)
        {
            assertTrue(ex.getMessage().contains(problem), ex.getMessage());
            assertTrue(ex.getMessage().endsWith("(file f.toml line " + line + ")"), ex.getMessage());
        }
    }

    private static long seed()
    {
        final String replay = System.getProperty(SEED_PROP_NAME);
        final long seed = replay != null ? Long.parseLong(replay) : System.nanoTime();
        System.out.println(SettingsTomlDifferentialTest.class.getSimpleName() + " seed " + seed + " (replay: -D" + SEED_PROP_NAME + "=" + seed + ")");
        return seed;
    }

    /** The settings files the Javadoc of {@code TierCacheConfig} and the README show. */
    private static List<String> documentedFiles() throws IOException
    {
        final List<String> files = new ArrayList<>();
        final String javadoc = Files.readString(Path.of("src/main/java/dev/tiercache/TierCacheConfig.java"));
        final Matcher pre = Pattern.compile("(?s)<pre>(.*?)</pre>").matcher(javadoc);
        while (pre.find())
        {
            files.add(pre.group(1).replaceAll("(?m)^ \\* ?", "").replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&"));
        }
        final String readme = Files.readString(Path.of("../README.md"));
        final Matcher fenced = Pattern.compile("(?s)```toml\\n(.*?)```").matcher(readme);
        while (fenced.find())
        {
            files.add(fenced.group(1));
        }
        return files;
    }

    private static boolean accepts(final String text)
    {
        try
        {
            SettingsTomlParser.parse(text, "m");
            return true;
        }
        catch (final SettingsException ex)
        {
            return false;
        }
    }

    /**
     * What is wrong with the subset's reading of a file, or {@code null}: it accepted a file the
     * full reader refuses or reads otherwise, or it failed with anything but a
     * {@link SettingsException} that names a line.
     */
    private static String disagreement(final String text)
    {
        final Map<String, SettingsTomlParser.Value> ours;
        try
        {
            ours = SettingsTomlParser.parse(text, "m");
        }
        catch (final SettingsException ex)
        {
            return ex.getMessage().matches("(?s).*\\(file m line \\d+\\)") ? null : "no line in the error: " + ex.getMessage();
        }
        catch (final RuntimeException ex)
        {
            return "not a SettingsException: " + ex;
        }
        try
        {
            assertSameAsFullReader(text, ours);
            return null;
        }
        catch (final AssertionError ex)
        {
            return "the subset accepted it, the full reader differs: " + ex.getMessage();
        }
    }

    private static String shrink(final String text)
    {
        List<String> lines = new ArrayList<>(List.of(text.split("\n", -1)));
        boolean progress = true;
        while (progress)
        {
            progress = false;
            for (int i = 0; i < lines.size(); i++)
            {
                final List<String> fewer = new ArrayList<>(lines);
                fewer.remove(i);
                if (disagreement(String.join("\n", fewer)) != null)
                {
                    lines = fewer;
                    progress = true;
                    break;
                }
            }
        }
        return String.join("\n", lines);
    }

    /**
     * The full reader's result, or {@code null} where it fails instead of reporting an error: tomlj
     * 1.1.1 asserts on some malformed escapes (the tests run with {@code -ea}) and throws a
     * {@code TomlParseError} on a malformed escape in a table header's quoted key
     * ({@code [cache."k\o"]}). Either way it refuses the file.
     */
    private static TomlParseResult fullParse(final String text)
    {
        try
        {
            return Toml.parse(text);
        }
        catch (final AssertionError | TomlParseError ex)
        {
            return null;
        }
    }

    @Test
    void aMalformedEscapeInAHeadersQuotedKey_isRefusedByBoth()
    {
        final String text = "[cache.\"k\\o\"]\nx = 1\n";
        assertFalse(accepts(text), "the subset accepted " + text);
        final TomlParseResult full = fullParse(text);
        assertTrue(full == null || full.hasErrors(), "the full reader accepted " + text);
    }

    private static void assertSameAsFullReader(final String text, final Map<String, SettingsTomlParser.Value> ours)
    {
        final TomlParseResult full = fullParse(text);
        assertTrue(full != null, "the full reader fails on what the subset accepted");
        assertTrue(full.errors().isEmpty(), "the full reader refuses what the subset accepted: " + full.errors());
        final Map<String, Object> leaves = new LinkedHashMap<>();
        flatten(full, List.of(), leaves);
        assertEquals(leaves.keySet(), ours.keySet(), "the same keys");
        for (final Map.Entry<String, Object> leaf : leaves.entrySet())
        {
            final SettingsTomlParser.Value value = ours.get(leaf.getKey());
            final Object expected = leaf.getValue();
            final String key = leaf.getKey();
            switch (expected)
            {
                case String s ->
                {
                    assertTrue(value.quoted(), key);
                    assertEquals(s, value.text(), key);
                }
                case Long l ->
                {
                    assertFalse(value.quoted(), key);
                    assertEquals(l, Long.parseLong(value.text().replace("_", "")), key);
                }
                case Double d ->
                {
                    assertFalse(value.quoted(), key);
                    assertEquals(d, Double.parseDouble(value.text().replace("_", "")), key);
                }
                case Boolean b ->
                {
                    assertFalse(value.quoted(), key);
                    assertEquals(b.toString(), value.text(), key);
                }
                default -> fail(key + " has a value the subset does not take: " + expected);
            }
        }
    }

    private static void flatten(final TomlTable table, final List<String> path, final Map<String, Object> leaves)
    {
        for (final String key : table.keySet())
        {
            final Object value = table.get(List.of(key));
            final List<String> full = new ArrayList<>(path);
            full.add(key);
            if (value instanceof TomlTable inner)
            {
                flatten(inner, full, leaves);
            }
            else
            {
                leaves.put(String.join(".", full), value);
            }
        }
    }

    private static String mutate(final String text, final SplittableRandom random)
    {
        final String significant = "[]=\"'#.\\ \t\n_-+eE0123456789{},:xtrufalse";
        final StringBuilder sb = new StringBuilder(text);
        final int edits = 1 + random.nextInt(3);
        for (int i = 0; i < edits && !sb.isEmpty(); i++)
        {
            final int at = random.nextInt(sb.length());
            switch (random.nextInt(4))
            {
                case 0 -> sb.deleteCharAt(at);
                case 1 -> sb.insert(at, significant.charAt(random.nextInt(significant.length())));
                case 2 -> sb.setCharAt(at, significant.charAt(random.nextInt(significant.length())));
                default ->
                {
                    final int lineEnd = sb.indexOf("\n", at) < 0 ? sb.length() : sb.indexOf("\n", at);
                    final int lineStart = at == 0 ? 0 : sb.lastIndexOf("\n", lineEnd - 1) + 1;
                    sb.insert(lineEnd, "\n" + sb.substring(lineStart, lineEnd));
                }
            }
        }
        return sb.toString();
    }

    /** Valid TOML within the subset: tables, dotted and quoted keys, strings with escapes, numbers, booleans, comments. */
    private static final class Generator
    {
        private static final String[] TABLE_PARTS = {"cache", "device", "memory", "disk", "t-1", "T_2"};
        private static final String[] KEY_PARTS = {"size", "max_items", "policy", "k", "a-b", "x_1", "Name", "9"};

        private final SplittableRandom random;
        private final Set<String> keys = new HashSet<>();
        private final Set<String> tables = new HashSet<>();

        Generator(final SplittableRandom random)
        {
            this.random = random;
        }

        String document()
        {
            final StringBuilder sb = new StringBuilder();
            final String eol = random.nextInt(5) == 0 ? "\r\n" : "\n";
            String table = "";
            final int lines = 1 + random.nextInt(14);
            for (int i = 0; i < lines; i++)
            {
                switch (random.nextInt(8))
                {
                    case 0 -> sb.append(spaces()).append("# ").append(text(false)).append(eol);
                    case 1 -> sb.append(eol);
                    case 2 ->
                    {
                        final List<String> parts = new ArrayList<>();
                        final int depth = 1 + random.nextInt(3);
                        for (int d = 0; d < depth; d++)
                        {
                            parts.add(TABLE_PARTS[random.nextInt(TABLE_PARTS.length)]);
                        }
                        final String name = String.join(".", parts);
                        if (tables.add(name))
                        {
                            table = name;
                            sb.append(spaces()).append('[').append(spaces()).append(String.join(spaces() + "." + spaces(), parts))
                                .append(spaces()).append(']').append(comment()).append(eol);
                        }
                    }
                    default ->
                    {
                        final List<String> parts = new ArrayList<>();
                        final List<String> written = new ArrayList<>();
                        final int depth = 1 + random.nextInt(2);
                        for (int d = 0; d < depth; d++)
                        {
                            final String part = KEY_PARTS[random.nextInt(KEY_PARTS.length)];
                            parts.add(part);
                            written.add(switch (random.nextInt(4))
                            {
                                case 0 -> "\"" + part + "\"";
                                case 1 -> "'" + part + "'";
                                default -> part;
                            });
                        }
                        final String full = (table.isEmpty() ? "" : table + ".") + String.join(".", parts);
                        if (conflicts(full))
                        {
                            continue;
                        }
                        keys.add(full);
                        sb.append(spaces()).append(String.join(".", written)).append(spaces()).append('=').append(spaces())
                            .append(value()).append(comment()).append(eol);
                    }
                }
            }
            return sb.toString();
        }

        private boolean conflicts(final String full)
        {
            if (keys.contains(full) || tables.contains(full))
            {
                return true;
            }
            for (final String key : keys)
            {
                if (key.startsWith(full + ".") || full.startsWith(key + "."))
                {
                    return true;
                }
            }
            for (final String table : tables)
            {
                if (table.startsWith(full + "."))
                {
                    return true;
                }
            }
            return false;
        }

        private String value()
        {
            return switch (random.nextInt(6))
            {
                case 0 -> "\"" + text(true) + "\"";
                case 1 -> "'" + text(false).replace("'", "") + "'";
                case 2 -> integer();
                case 3 -> floating();
                case 4 -> random.nextBoolean() ? "true" : "false";
                default -> "\"" + (1 + random.nextInt(999)) + new String[] {"MB", "GiB", "B", "%", "ms", "s", ""}[random.nextInt(7)] + "\"";
            };
        }

        private String integer()
        {
            final String sign = new String[] {"", "", "+", "-"}[random.nextInt(4)];
            if (random.nextInt(6) == 0)
            {
                return sign + "0";
            }
            return sign + digits();
        }

        /** Digits with no leading zero and single underscores between digits. */
        private String digits()
        {
            final StringBuilder sb = new StringBuilder().append((char)('1' + random.nextInt(9)));
            final int more = random.nextInt(8);
            for (int i = 0; i < more; i++)
            {
                if (random.nextInt(4) == 0)
                {
                    sb.append('_');
                }
                sb.append((char)('0' + random.nextInt(10)));
            }
            return sb.toString();
        }

        private String floating()
        {
            final StringBuilder sb = new StringBuilder(random.nextBoolean() ? "0" : digits());
            final boolean fraction = random.nextInt(3) != 0;
            if (fraction)
            {
                sb.append('.').append((char)('0' + random.nextInt(10)));
                if (random.nextBoolean())
                {
                    sb.append(random.nextBoolean() ? "_" : "").append((char)('0' + random.nextInt(10)));
                }
            }
            if (!fraction || random.nextInt(3) == 0)
            {
                sb.append(random.nextBoolean() ? 'e' : 'E').append(new String[] {"", "+", "-"}[random.nextInt(3)])
                    .append((char)('0' + random.nextInt(10)));
            }
            return (random.nextInt(4) == 0 ? "-" : "") + sb;
        }

        private String text(final boolean escapes)
        {
            final StringBuilder sb = new StringBuilder();
            final int length = random.nextInt(12);
            for (int i = 0; i < length; i++)
            {
                final int pick = random.nextInt(escapes ? 12 : 8);
                sb.append(switch (pick)
                {
                    case 0 -> " ";
                    case 1 -> "#";
                    case 2 -> "\u00e9";
                    case 3 -> "=";
                    case 4 -> "/";
                    case 5 -> ".";
                    case 8 -> "\\t";
                    case 9 -> "\\\"";
                    case 10 -> "\\\\";
                    case 11 -> random.nextBoolean() ? "\\u00e9" : "\\U0001F600";
                    default -> String.valueOf((char)('a' + random.nextInt(26)));
                });
            }
            return sb.toString();
        }

        private String spaces()
        {
            return switch (random.nextInt(6))
            {
                case 0 -> " ";
                case 1 -> "\t";
                default -> "";
            };
        }

        private String comment()
        {
            return random.nextInt(4) == 0 ? spaces() + " # " + text(false) : "";
        }
    }
}
