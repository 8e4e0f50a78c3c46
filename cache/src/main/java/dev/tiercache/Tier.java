package dev.tiercache;

/**
 * The three levels of the hierarchy, fastest first. An entry's bytes live in exactly one level at a
 * time.
 */
public enum Tier
{
    /** L1: GPU device memory. */
    DEVICE("L1", "device"),
    /** L2: pinned host memory (plain off-heap memory when no GPU is usable). */
    HOST("L2", "host"),
    /** L3: a memory-mapped file, LZ4 optional. */
    FILE("L3", "file");

    private final String label;
    private final String medium;

    Tier(final String label, final String medium)
    {
        this.label = label;
        this.medium = medium;
    }

    /**
     * The level's short name.
     *
     * @return {@code "L1"}, {@code "L2"} or {@code "L3"}.
     */
    public String label()
    {
        return label;
    }

    /**
     * The medium's name.
     *
     * @return {@code "device"}, {@code "host"} or {@code "file"}.
     */
    public String medium()
    {
        return medium;
    }

    /**
     * The next slower level.
     *
     * @return the level below, or {@code null} for {@link #FILE}.
     */
    public Tier below()
    {
        return this == DEVICE ? HOST : this == HOST ? FILE : null;
    }

    /**
     * The next faster level.
     *
     * @return the level above, or {@code null} for {@link #DEVICE}.
     */
    public Tier above()
    {
        return this == FILE ? HOST : this == HOST ? DEVICE : null;
    }
}
