package dev.tiercache.bench.report;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.json.JsonReadFeature;
import com.fasterxml.jackson.databind.json.JsonMapper;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Reads JMH's result files with Jackson, into the plain shapes the reports walk: objects become
 * {@code Map<String, Object>} in document order, arrays {@code List<Object>}, every number a
 * {@code Double}, and {@code true}/{@code false}/{@code null} their Java values. {@code NaN} and
 * {@code Infinity} are accepted as numbers, because JMH writes them.
 */
public final class JsonReader
{
    private static final JsonMapper MAPPER = JsonMapper.builder().enable(JsonReadFeature.ALLOW_NON_NUMERIC_NUMBERS).build();

    private JsonReader()
    {
    }

    /**
     * Parses one JSON document.
     *
     * @param text the document.
     * @return its value.
     * @throws IllegalArgumentException when the text is not JSON, with the position.
     */
    public static Object parse(final String text)
    {
        try
        {
            return plain(MAPPER.readValue(text, Object.class));
        }
        catch (final JsonProcessingException ex)
        {
            throw new IllegalArgumentException("not JSON: " + ex.getOriginalMessage() + " at " + ex.getLocation(), ex);
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
        if (value instanceof Number number)
        {
            return number.doubleValue();
        }
        return value;
    }
}
