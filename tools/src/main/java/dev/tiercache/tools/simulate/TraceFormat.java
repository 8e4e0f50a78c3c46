package dev.tiercache.tools.simulate;

/** The text formats {@link TraceReader} understands. */
public enum TraceFormat
{
    /** One decimal key per line; lines that are {@code *} (LIRS checkpoints) and blank lines are skipped. */
    LIRS,
    /** ARC's {@code start count ignored requestNumber}: the keys {@code start .. start+count-1}. */
    ARC,
    /** {@code key,size} per line: sized requests, capacity in bytes. */
    CSV,
    /** cache2k's traces as published in text: one decimal (possibly negative) key per line, as {@link #LIRS}. */
    CACHE2K;

    /**
     * The format for a command-line name, case-insensitive.
     *
     * @param name {@code lirs}, {@code arc}, {@code csv} or {@code cache2k}.
     * @return the format.
     * @throws IllegalArgumentException for any other name.
     */
    public static TraceFormat of(final String name)
    {
        for (final TraceFormat format : values())
        {
            if (format.name().equalsIgnoreCase(name))
            {
                return format;
            }
        }
        throw new IllegalArgumentException("format=" + name + " is not one of lirs, arc, csv, cache2k");
    }
}
