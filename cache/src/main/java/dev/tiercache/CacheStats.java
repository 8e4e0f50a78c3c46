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
 */
public record CacheStats(List<LevelStats> levels, long accesses, long hits, long puts, long rejected)
{
    /**
     * Copies the list.
     *
     * @param levels   L1, L2, L3.
     * @param accesses lookups.
     * @param hits     lookups served.
     * @param puts     entries stored.
     * @param rejected entries refused.
     */
    public CacheStats
    {
        levels = List.copyOf(Objects.requireNonNull(levels, "levels"));
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
     * One line per level and a total line.
     */
    @Override
    public String toString()
    {
        final StringBuilder out = new StringBuilder();
        for (final LevelStats level : levels)
        {
            out.append(level).append('\n');
        }
        return out.append(String.format(Locale.ROOT, "Total - Accesses: %d, Hits: %d, Hit rate: %.1f%%, Puts: %d, Rejected: %d",
            accesses, hits, 100.0 * hitRate(), puts, rejected)).toString();
    }
}
