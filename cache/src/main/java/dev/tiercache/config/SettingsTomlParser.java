package dev.tiercache.config;

import dev.tiercache.SettingsException;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * The subset of TOML 1.0 that settings files need: comments, {@code [table]} headers with bare
 * or quoted and dotted names, {@code key = value} lines with dotted keys, basic and literal
 * strings, integers (with {@code _} separators), floats and booleans. Arrays, inline tables,
 * multi-line strings, dates and {@code [[arrays of tables]]} are refused with the line that uses
 * them: no setting takes one, and a half-understood file is worse than a clear error.
 * See {@code docs/decisions/0007-configuration.md} for why this is not a library.
 *
 * <p>The result maps each full dotted key to its scalar's text (a string's contents without
 * quotes or escapes, a number or boolean as written) and line, in file order.
 */
public final class SettingsTomlParser
{
    /**
     * One scalar: its text and the line it is on.
     *
     * @param text   a string's contents, or a number or boolean as written.
     * @param quoted whether it was a string.
     * @param line   its line, from 1.
     */
    public record Value(String text, boolean quoted, int line)
    {
    }

    /**
     * A TOML decimal integer or float: no leading zeros, an underscore only between two digits,
     * a fraction or an exponent (or both) for a float.
     */
    private static final Pattern DECIMAL = Pattern.compile(
        "[+-]?(0|[1-9](_?[0-9])*)(\\.[0-9](_?[0-9])*)?([eE][+-]?[0-9](_?[0-9])*)?");

    private final String source;
    private final String text;
    private int pos;
    private int line = 1;

    private SettingsTomlParser(final String text, final String source)
    {
        this.text = text;
        this.source = source;
    }

    /**
     * Parses a settings file.
     *
     * @param text   the file's contents.
     * @param source the file's name, for messages.
     * @return full dotted key to value, in file order.
     * @throws SettingsException naming the line of the first syntax error.
     */
    public static Map<String, Value> parse(final String text, final String source)
    {
        return new SettingsTomlParser(text, source).document();
    }

    private Map<String, Value> document()
    {
        final Map<String, Value> values = new LinkedHashMap<>();
        final Set<String> tables = new HashSet<>();
        String table = "";
        while (true)
        {
            skipBlank();
            if (pos >= text.length())
            {
                return values;
            }
            final char c = text.charAt(pos);
            if (c == '\n')
            {
                pos++;
                line++;
                continue;
            }
            if (c == '[')
            {
                if (peek(1) == '[')
                {
                    throw error(null, "arrays of tables ([[...]]) are not used by tiercache settings");
                }
                pos++;
                skipSpaces();
                table = String.join(".", dottedKey());
                skipSpaces();
                expect(']', "']' to close the table header");
                if (!tables.add(table) || values.containsKey(table))
                {
                    throw error(table, "table [" + table + "] is defined twice");
                }
                endOfLine();
                continue;
            }
            final List<String> parts = dottedKey();
            final String key = table.isEmpty() ? String.join(".", parts) : table + "." + String.join(".", parts);
            skipSpaces();
            expect('=', "'=' after the key " + key);
            skipSpaces();
            final Value value = value(key);
            if (values.containsKey(key) || tables.contains(key))
            {
                throw error(key, "is set twice");
            }
            for (final String existing : values.keySet())
            {
                if (key.startsWith(existing + ".") || existing.startsWith(key + "."))
                {
                    throw error(key, "conflicts with " + existing + ": a key cannot be both a value and a table");
                }
            }
            values.put(key, value);
            endOfLine();
        }
    }

    private List<String> dottedKey()
    {
        final List<String> parts = new ArrayList<>();
        while (true)
        {
            skipSpaces();
            final char c = peek(0);
            if (c == '"')
            {
                parts.add(basicString(null));
            }
            else if (c == '\'')
            {
                parts.add(literalString(null));
            }
            else
            {
                final int start = pos;
                while (pos < text.length() && isBareKeyChar(text.charAt(pos)))
                {
                    pos++;
                }
                if (start == pos)
                {
                    throw error(null, "expected a key, found " + describe(c));
                }
                parts.add(text.substring(start, pos));
            }
            skipSpaces();
            if (peek(0) != '.')
            {
                return parts;
            }
            pos++;
        }
    }

    private Value value(final String key)
    {
        final char c = peek(0);
        final int valueLine = line;
        if (c == '"')
        {
            if (text.startsWith("\"\"\"", pos))
            {
                throw error(key, "multi-line strings are not used by tiercache settings");
            }
            return new Value(basicString(key), true, valueLine);
        }
        if (c == '\'')
        {
            if (text.startsWith("'''", pos))
            {
                throw error(key, "multi-line strings are not used by tiercache settings");
            }
            return new Value(literalString(key), true, valueLine);
        }
        if (c == '[')
        {
            throw error(key, "arrays are not used by tiercache settings");
        }
        if (c == '{')
        {
            throw error(key, "inline tables are not used by tiercache settings");
        }
        final int start = pos;
        while (pos < text.length() && " \t\r\n#".indexOf(text.charAt(pos)) < 0)
        {
            pos++;
        }
        final String token = text.substring(start, pos);
        if (token.isEmpty())
        {
            throw error(key, "expected a value after '='");
        }
        if (!token.equals("true") && !token.equals("false") && !DECIMAL.matcher(token).matches())
        {
            throw error(key, "'" + token + "' is not supported in tiercache settings: a value is a quoted string (e.g. \"4GB\"), " +
                "a decimal number or true/false; dates, times, hexadecimal, octal, binary, inf and nan are not used");
        }
        if (!token.equals("true") && !token.equals("false"))
        {
            checkRange(key, token);
        }
        return new Value(token, false, valueLine);
    }

    /** TOML integers are 64-bit, floats are doubles: anything larger is an error, not a rounding. */
    private void checkRange(final String key, final String token)
    {
        final String digits = token.replace("_", "");
        final boolean integer = digits.indexOf('.') < 0 && digits.indexOf('e') < 0 && digits.indexOf('E') < 0;
        try
        {
            if (integer)
            {
                Long.parseLong(digits);
            }
            else if (Double.isInfinite(Double.parseDouble(digits)))
            {
                throw error(key, "'" + token + "' is larger than a double");
            }
        }
        catch (final NumberFormatException ex)
        {
            throw error(key, "'" + token + "' does not fit in a 64-bit integer");
        }
    }

    private String basicString(final String key)
    {
        pos++;
        final StringBuilder sb = new StringBuilder();
        while (true)
        {
            if (pos >= text.length() || text.charAt(pos) == '\n')
            {
                throw error(key, "unterminated string");
            }
            final char c = text.charAt(pos++);
            if (c == '"')
            {
                return sb.toString();
            }
            checkNotControl(key, c, "a string");
            if (c != '\\')
            {
                sb.append(c);
                continue;
            }
            final char e = pos < text.length() ? text.charAt(pos++) : '\n';
            switch (e)
            {
                case 'b' -> sb.append('\b');
                case 't' -> sb.append('\t');
                case 'n' -> sb.append('\n');
                case 'f' -> sb.append('\f');
                case 'r' -> sb.append('\r');
                case '"' -> sb.append('"');
                case '\\' -> sb.append('\\');
                case 'u', 'U' ->
                {
                    final int digits = e == 'u' ? 4 : 8;
                    if (pos + digits > text.length())
                    {
                        throw error(key, "truncated \\" + e + " escape");
                    }
                    final String hex = text.substring(pos, pos + digits);
                    final long codePoint = hex.matches("[0-9a-fA-F]+") ? Long.parseLong(hex, 16) : -1;
                    if (codePoint < 0 || codePoint > Character.MAX_CODE_POINT || (codePoint >= 0xD800 && codePoint <= 0xDFFF))
                    {
                        throw error(key, "bad \\" + e + " escape '" + hex + "': must be the hexadecimal digits of a Unicode scalar value");
                    }
                    sb.appendCodePoint((int)codePoint);
                    pos += digits;
                }
                default -> throw error(key, "unknown escape \\" + e);
            }
        }
    }

    private String literalString(final String key)
    {
        pos++;
        final int start = pos;
        while (pos < text.length() && text.charAt(pos) != '\'' && text.charAt(pos) != '\n')
        {
            checkNotControl(key, text.charAt(pos), "a string");
            pos++;
        }
        if (pos >= text.length() || text.charAt(pos) != '\'')
        {
            throw error(key, "unterminated string");
        }
        return text.substring(start, pos++);
    }

    private void endOfLine()
    {
        skipSpaces();
        if (pos < text.length() && text.charAt(pos) == '#')
        {
            skipComment();
        }
        if (pos < text.length() && isLineBreakAt(pos))
        {
            pos++;
        }
        if (pos < text.length())
        {
            if (text.charAt(pos) != '\n')
            {
                throw error(null, "expected the end of the line, found " + describe(text.charAt(pos)));
            }
            pos++;
            line++;
        }
    }

    /** Skips spaces, tabs, carriage returns and comments, not line breaks. */
    private void skipBlank()
    {
        while (pos < text.length())
        {
            final char c = text.charAt(pos);
            if (c == ' ' || c == '\t' || (c == '\r' && isLineBreakAt(pos)))
            {
                pos++;
            }
            else if (c == '#')
            {
                skipComment();
            }
            else
            {
                return;
            }
        }
    }

    private void skipComment()
    {
        while (pos < text.length() && text.charAt(pos) != '\n')
        {
            if (!isLineBreakAt(pos))
            {
                checkNotControl(null, text.charAt(pos), "a comment");
            }
            else
            {
                return;
            }
            pos++;
        }
    }

    /** Whether a carriage return starts a CRLF line break here; a lone one is not TOML. */
    private boolean isLineBreakAt(final int at)
    {
        return text.charAt(at) == '\r' && at + 1 < text.length() && text.charAt(at + 1) == '\n';
    }

    /** TOML allows no control character but the tab in comments and strings. */
    private void checkNotControl(final String key, final char c, final String where)
    {
        if ((c < 0x20 && c != '\t') || c == 0x7f)
        {
            throw error(key, String.format("the control character U+%04X is not allowed in %s", (int)c, where));
        }
    }

    private void skipSpaces()
    {
        while (pos < text.length() && (text.charAt(pos) == ' ' || text.charAt(pos) == '\t'))
        {
            pos++;
        }
    }

    private void expect(final char c, final String what)
    {
        if (peek(0) != c)
        {
            throw error(null, "expected " + what + ", found " + describe(peek(0)));
        }
        pos++;
    }

    private char peek(final int ahead)
    {
        return pos + ahead < text.length() ? text.charAt(pos + ahead) : '\0';
    }

    private static boolean isBareKeyChar(final char c)
    {
        return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' || c == '-';
    }

    private static String describe(final char c)
    {
        return c == '\0' ? "the end of the file" : c == '\n' ? "the end of the line" : "'" + c + "'";
    }

    private SettingsException error(final String key, final String problem)
    {
        return new SettingsException(key, null, problem, "file " + source + " line " + line);
    }
}
