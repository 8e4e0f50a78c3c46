package dev.tiercache;

import java.util.List;
import java.util.Locale;
import java.util.Objects;

/**
 * A snapshot of the whole cache's figures: one {@link LevelStats} per level plus the totals.
 *
 * @param levels   L1, L2, L3 in that order.
 * @param accesses lookups ({@code get}, {@code getInto}, {@code getOnDevice}, {@code contains} not
 *                 included).
 * @param hits     lookups served from any level.
 * @param puts     entries stored.
 * @param rejected entries refused (larger than every level).
 * @param remote   L4's figures, or {@code null} without L4.
 */
public record CacheStats(List<LevelStats> levels, long accesses, long hits, long puts, long rejected, RemoteStats remote)
{
    /**
     * Copies the list.
     *
     * @param levels   L1, L2, L3.
     * @param accesses lookups.
     * @param hits     lookups served.
     * @param puts     entries stored.
     * @param rejected entries refused.
     * @param remote   L4's figures, or {@code null}.
     */
    public CacheStats
    {
        levels = List.copyOf(Objects.requireNonNull(levels, "levels"));
    }

    /**
     * Figures of a cache without L4.
     *
     * @param levels   L1, L2, L3.
     * @param accesses lookups.
     * @param hits     lookups served.
     * @param puts     entries stored.
     * @param rejected entries refused.
     */
    public CacheStats(final List<LevelStats> levels, final long accesses, final long hits, final long puts, final long rejected)
    {
        this(levels, accesses, hits, puts, rejected, null);
    }

    /**
     * One level's figures.
     *
     * @param tier the level.
     * @return its snapshot.
     */
    public LevelStats level(final Tier tier)
    {
        return levels.get(tier.ordinal());
    }

    /**
     * Lookups that found nothing.
     *
     * @return accesses minus hits.
     */
    public long misses()
    {
        return accesses - hits;
    }

    /**
     * Hits over accesses.
     *
     * @return in [0, 1].
     */
    public double hitRate()
    {
        return accesses == 0 ? 0.0 : (double) hits / accesses;
    }

    /**
     * One line per level (L4 last, when there is one) and a total line.
     */
    @Override
    public String toString()
    {
        final StringBuilder out = new StringBuilder();
        for (final LevelStats level : levels)
        {
            out.append(level).append('\n');
        }
        if (remote != null)
        {
            out.append(remote).append('\n');
        }
        return out.append(String.format(Locale.ROOT, "Total - Accesses: %d, Hits: %d, Hit rate: %.1f%%, Puts: %d, Rejected: %d",
            accesses, hits, 100.0 * hitRate(), puts, rejected)).toString();
    }
}
