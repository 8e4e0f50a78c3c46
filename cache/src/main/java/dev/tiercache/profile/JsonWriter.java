package dev.tiercache.profile;

/**
 * Just enough JSON output for {@link HardwareProfile#toJson()}: objects, arrays, strings, numbers,
 * booleans and null, indented two spaces. The caller keeps the nesting right; commas are placed
 * here.
 */
final class JsonWriter
{
    private final StringBuilder out = new StringBuilder();
    private int depth;
    private boolean first = true;

    JsonWriter beginObject(final String name)
    {
        key(name);
        return open('{');
    }

    JsonWriter endObject()
    {
        return close('}');
    }

    JsonWriter beginArray(final String name)
    {
        key(name);
        return open('[');
    }

    JsonWriter endArray()
    {
        return close(']');
    }

    JsonWriter field(final String name, final String value)
    {
        key(name);
        if (value == null)
        {
            out.append("null");
        }
        else
        {
            string(value);
        }
        return this;
    }

    JsonWriter field(final String name, final long value)
    {
        key(name);
        out.append(value);
        return this;
    }

    JsonWriter field(final String name, final double value)
    {
        key(name);
        if (Double.isFinite(value))
        {
            out.append(value == Math.rint(value) && Math.abs(value) < 1e15 ? Long.toString((long)value) : Double.toString(value));
        }
        else
        {
            out.append("null");
        }
        return this;
    }

    JsonWriter field(final String name, final Boolean value)
    {
        key(name);
        out.append(value == null ? "null" : value.toString());
        return this;
    }

    String finish()
    {
        if (depth != 0)
        {
            throw new IllegalStateException("depth=" + depth + ": unclosed object or array");
        }
        return out.append('\n').toString();
    }

    private JsonWriter open(final char bracket)
    {
        out.append(bracket);
        depth++;
        first = true;
        return this;
    }

    private JsonWriter close(final char bracket)
    {
        depth--;
        if (!first)
        {
            newline();
        }
        out.append(bracket);
        first = false;
        return this;
    }

    /** Writes the comma, the line break and, inside an object, the name; {@code null} in arrays and at the top. */
    private void key(final String name)
    {
        if (depth > 0)
        {
            if (!first)
            {
                out.append(',');
            }
            newline();
        }
        first = false;
        if (name != null)
        {
            string(name);
            out.append(": ");
        }
    }

    private void newline()
    {
        out.append('\n');
        out.repeat("  ", depth);
    }

    private void string(final String value)
    {
        out.append('"');
        for (int i = 0; i < value.length(); i++)
        {
            final char c = value.charAt(i);
            switch (c)
            {
                case '"' -> out.append("\\\"");
                case '\\' -> out.append("\\\\");
                case '\n' -> out.append("\\n");
                case '\r' -> out.append("\\r");
                case '\t' -> out.append("\\t");
                default ->
                {
                    if (c < 0x20)
                    {
                        out.append(String.format("\\u%04x", (int)c));
                    }
                    else
                    {
                        out.append(c);
                    }
                }
            }
        }
        out.append('"');
    }
}
