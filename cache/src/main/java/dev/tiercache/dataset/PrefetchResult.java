package dev.tiercache.dataset;

import dev.tiercache.Tier;

/**
 * What one {@link DatasetCache#prefetch} did.
 *
 * @param target    the level it raised entries to.
 * @param requested keys it was given.
 * @param atTarget  keys that are now at the target level or above.
 * @param missing   keys the cache did not hold.
 * @param notRaised keys it could not raise (too large for the level, or the level is full of
 *                  leased entries).
 */
public record PrefetchResult(Tier target, int requested, int atTarget, int missing, int notRaised)
{
}
