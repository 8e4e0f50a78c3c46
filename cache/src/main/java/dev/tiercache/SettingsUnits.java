package dev.tiercache;

import java.math.BigDecimal;
import java.math.RoundingMode;
import java.time.Duration;
import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Human sizes and durations as settings are written, and sizes as people read them.
 *
 * <h2>Sizes are binary</h2>
 * {@code KB}, {@code MB}, {@code GB} and {@code TB} mean the same as {@code KiB}, {@code MiB},
 * {@code GiB} and {@code TiB}: powers of 1024. Users of the systems whose configuration keys
 * tiercache reads write {@code memory_size = "4GB"} and mean the 4 GiB their RAM is sold as;
 * memory is never sized in powers of ten. A bare number is MiB, also as those systems read it.
 * See {@code docs/decisions/0007-configuration.md}.
 */
public final class SettingsUnits
{
    /** One KiB. */
    public static final long KIB = 1L << 10;
    /** One MiB. */
    public static final long MIB = 1L << 20;
    /** One GiB. */
    public static final long GIB = 1L << 30;
    /** One TiB. */
    public static final long TIB = 1L << 40;

    /** What {@link #parseBytes} accepts, for error messages. */
    public static final String SIZE_FORMS =
        "a size like \"512MB\", \"4GB\", \"1.5GiB\", \"100KiB\", \"123B\" (KB/MB/GB/TB are binary, as KiB/MiB/GiB/TiB) or a bare number of MiB";

    /** What {@link #parseDuration} accepts, for error messages. */
    public static final String DURATION_FORMS = "a duration like \"600\" (seconds), \"500ms\", \"30s\", \"10m\", \"2h\", \"1d\"";

    private static final Pattern SIZE = Pattern.compile("(\\d+(?:\\.\\d+)?)\\s*([a-zA-Z]*)");
    private static final Pattern DURATION = Pattern.compile("(\\d+(?:\\.\\d+)?)\\s*([a-zA-Z]*)");
    private static final BigDecimal LONG_MAX = BigDecimal.valueOf(Long.MAX_VALUE);
    private static final String[] UNIT_NAMES = {"B", "KiB", "MiB", "GiB", "TiB"};

    private SettingsUnits()
    {
    }

    /**
     * Parses a human size.
     *
     * @param text e.g. {@code "4GB"}, {@code "1.5 GiB"}, {@code "512"} (MiB); units are
     *             case-insensitive.
     * @return bytes, rounded down to a whole byte.
     * @throws IllegalArgumentException when the text is not a size (a negative one included) or
     *                                  does not fit in a {@code long}; the message says what is allowed.
     */
    public static long parseBytes(final String text)
    {
        final Matcher matcher = SIZE.matcher(java.util.Objects.requireNonNull(text, "text is null").trim());
        if (!matcher.matches())
        {
            throw new IllegalArgumentException("must be " + SIZE_FORMS);
        }
        final long unit = switch (matcher.group(2).toLowerCase(Locale.ROOT))
        {
            case "" -> MIB;
            case "b" -> 1;
            case "k", "kb", "kib" -> KIB;
            case "m", "mb", "mib" -> MIB;
            case "g", "gb", "gib" -> GIB;
            case "t", "tb", "tib" -> TIB;
            default -> throw new IllegalArgumentException("unknown unit '" + matcher.group(2) + "': must be " + SIZE_FORMS);
        };
        final BigDecimal bytes = new BigDecimal(matcher.group(1)).multiply(BigDecimal.valueOf(unit)).setScale(0, RoundingMode.FLOOR);
        if (bytes.compareTo(LONG_MAX) > 0)
        {
            throw new IllegalArgumentException("more than " + Long.MAX_VALUE + " bytes");
        }
        return bytes.longValueExact();
    }

    /**
     * Parses a duration.
     *
     * @param text e.g. {@code "600"} (seconds), {@code "500ms"}, {@code "10m"}, {@code "1h"}.
     * @return the duration, never negative.
     * @throws IllegalArgumentException when the text is not a duration; the message says what is allowed.
     */
    public static Duration parseDuration(final String text)
    {
        final Matcher matcher = DURATION.matcher(java.util.Objects.requireNonNull(text, "text is null").trim());
        if (!matcher.matches())
        {
            throw new IllegalArgumentException("must be " + DURATION_FORMS);
        }
        final long nanosPerUnit = switch (matcher.group(2).toLowerCase(Locale.ROOT))
        {
            case "ms" -> 1_000_000L;
            case "", "s", "sec" -> 1_000_000_000L;
            case "m", "min" -> 60_000_000_000L;
            case "h" -> 3_600_000_000_000L;
            case "d" -> 86_400_000_000_000L;
            default -> throw new IllegalArgumentException("unknown unit '" + matcher.group(2) + "': must be " + DURATION_FORMS);
        };
        final BigDecimal nanos = new BigDecimal(matcher.group(1)).multiply(BigDecimal.valueOf(nanosPerUnit)).setScale(0, RoundingMode.FLOOR);
        if (nanos.compareTo(LONG_MAX) > 0)
        {
            throw new IllegalArgumentException("longer than " + Duration.ofNanos(Long.MAX_VALUE));
        }
        return Duration.ofNanos(nanos.longValueExact());
    }

    /**
     * Formats a duration exactly, in the largest unit that divides it.
     *
     * @param duration any duration, negative ones included.
     * @return e.g. {@code "600 s"}, {@code "5 ms"}, {@code "-1 ns"}, {@code "2 h"}, {@code "0 s"}.
     */
    public static String formatDuration(final Duration duration)
    {
        java.util.Objects.requireNonNull(duration, "duration is null");
        final BigDecimal nanos = BigDecimal.valueOf(duration.getSeconds()).movePointRight(9).add(BigDecimal.valueOf(duration.getNano()));
        final long[] unitNanos = {86_400_000_000_000L, 3_600_000_000_000L, 60_000_000_000L, 1_000_000_000L, 1_000_000L, 1_000L, 1L};
        final String[] units = {"d", "h", "min", "s", "ms", "us", "ns"};
        if (nanos.signum() == 0)
        {
            return "0 s";
        }
        for (int i = 0; i < units.length; i++)
        {
            final BigDecimal[] division = nanos.divideAndRemainder(BigDecimal.valueOf(unitNanos[i]));
            if (division[1].signum() == 0)
            {
                return division[0].toPlainString() + " " + units[i];
            }
        }
        throw new AssertionError("a duration is a whole number of nanoseconds");
    }

    /**
     * Formats a size for people, in the largest binary unit it reaches, with at most two decimals.
     *
     * @param bytes non-negative.
     * @return e.g. {@code "1.5 GiB"}, {@code "512 MiB"}, {@code "100 B"}.
     */
    public static String formatBytes(final long bytes)
    {
        if (bytes < 0)
        {
            throw new IllegalArgumentException("bytes=" + bytes + " < 0");
        }
        int unit = 0;
        while (unit < UNIT_NAMES.length - 1 && bytes >= 1L << (10 * (unit + 1)))
        {
            unit++;
        }
        final BigDecimal value = BigDecimal.valueOf(bytes).divide(BigDecimal.valueOf(1L << (10 * unit)), 2, RoundingMode.FLOOR)
            .stripTrailingZeros();
        return value.toPlainString() + " " + UNIT_NAMES[unit];
    }
}
