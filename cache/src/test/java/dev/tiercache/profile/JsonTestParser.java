package dev.tiercache.profile;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.json.JsonMapper;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Reads JSON back with Jackson into maps, lists, strings, doubles, booleans and null, so tests check
 * the shape of what the library writes.
 */
final class JsonTestParser
{
    private static final JsonMapper MAPPER = JsonMapper.builder().build();

    private JsonTestParser()
    {
    }

    static Object parse(final String text)
    {
        try
        {
            return plain(MAPPER.readValue(text, Object.class));
        }
        catch (final JsonProcessingException ex)
        {
            throw new IllegalArgumentException("not JSON: " + ex.getOriginalMessage(), ex);
        }
    }

    private static Object plain(final Object value)
    {
        if (value instanceof Map<?, ?> map)
        {
            final Map<String, Object> copy = new LinkedHashMap<>();
            map.forEach((k, v) -> copy.put((String) k, plain(v)));
            return copy;
        }
        if (value instanceof List<?> list)
        {
            final List<Object> copy = new ArrayList<>(list.size());
            list.forEach(v -> copy.add(plain(v)));
            return copy;
        }
        return value instanceof Number number ? (Object) number.doubleValue() : value;
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
}
