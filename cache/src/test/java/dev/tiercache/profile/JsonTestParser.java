package dev.tiercache.profile;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** Reads JSON back into maps, lists, strings, doubles, booleans and null, so tests check the shape. */
final class JsonTestParser
{
    private final String text;
    private int pos;

    private JsonTestParser(final String text)
    {
        this.text = text;
    }

    static Object parse(final String text)
    {
        final JsonTestParser parser = new JsonTestParser(text);
        final Object value = parser.value();
        parser.blank();
        if (parser.pos != text.length())
        {
            throw new IllegalArgumentException("trailing text at " + parser.pos);
        }
        return value;
    }

    /** The value at a dotted path, e.g. {@code gpu.devices.0.totalBytes}; fails when a step is missing. */
    static Object at(final Object root, final String path)
    {
        Object node = root;
        for (final String step : path.split("\\."))
        {
            if (node instanceof Map<?, ?> map)
            {
                if (!map.containsKey(step))
                {
                    throw new AssertionError("no key '" + step + "' in " + path + ": " + map.keySet());
                }
                node = map.get(step);
            }
            else if (node instanceof List<?> list)
            {
                node = list.get(Integer.parseInt(step));
            }
            else
            {
                throw new AssertionError("cannot step into " + node + " at " + step + " of " + path);
            }
        }
        return node;
    }

    private Object value()
    {
        blank();
        final char c = text.charAt(pos);
        if (c == '{')
        {
            pos++;
            final Map<String, Object> map = new LinkedHashMap<>();
            blank();
            if (text.charAt(pos) == '}')
            {
                pos++;
                return map;
            }
            while (true)
            {
                blank();
                final String key = string();
                blank();
                expect(':');
                if (map.put(key, value()) != null)
                {
                    throw new IllegalArgumentException("duplicate key " + key);
                }
                blank();
                if (text.charAt(pos++) == '}')
                {
                    return map;
                }
            }
        }
        if (c == '[')
        {
            pos++;
            final List<Object> list = new ArrayList<>();
            blank();
            if (text.charAt(pos) == ']')
            {
                pos++;
                return list;
            }
            while (true)
            {
                list.add(value());
                blank();
                if (text.charAt(pos++) == ']')
                {
                    return list;
                }
            }
        }
        if (c == '"')
        {
            return string();
        }
        for (final String word : new String[] {"true", "false", "null"})
        {
            if (text.startsWith(word, pos))
            {
                pos += word.length();
                return word.equals("null") ? null : Boolean.valueOf(word);
            }
        }
        final int start = pos;
        while (pos < text.length() && "+-0123456789.eE".indexOf(text.charAt(pos)) >= 0)
        {
            pos++;
        }
        return Double.parseDouble(text.substring(start, pos));
    }

    private String string()
    {
        expect('"');
        final StringBuilder sb = new StringBuilder();
        while (true)
        {
            final char c = text.charAt(pos++);
            if (c == '"')
            {
                return sb.toString();
            }
            if (c == '\\')
            {
                final char e = text.charAt(pos++);
                switch (e)
                {
                    case 'n' -> sb.append('\n');
                    case 't' -> sb.append('\t');
                    case 'r' -> sb.append('\r');
                    case 'u' ->
                    {
                        sb.append((char)Integer.parseInt(text.substring(pos, pos + 4), 16));
                        pos += 4;
                    }
                    default -> sb.append(e);
                }
            }
            else
            {
                sb.append(c);
            }
        }
    }

    private void expect(final char c)
    {
        if (text.charAt(pos) != c)
        {
            throw new IllegalArgumentException("expected '" + c + "' at " + pos + ", found '" + text.charAt(pos) + "'");
        }
        pos++;
    }

    private void blank()
    {
        while (pos < text.length() && Character.isWhitespace(text.charAt(pos)))
        {
            pos++;
        }
    }
}
