package dev.tiercache.dataset;

import java.util.Locale;

/**
 * What {@link DatasetCache#preload} did, and where the entries it stored are when it returns.
 *
 * <p>The per-level counts are a snapshot taken at the end of the preload: each stored key is looked
 * up in the index (without counting an access), so they agree with {@link
 * dev.tiercache.TierCache#tierOf} and the levels' entry counts in {@link
 * dev.tiercache.TierCache#stats()} at that moment. They are not where each entry was first put
 * (later puts push earlier entries down), and the mover and later reads go on moving entries
 * after the preload returns.
 *
 * @param requested     keys it was given.
 * @param loaded        entries it stored.
 * @param alreadyCached keys it skipped because the cache held them already.
 * @param loadedBytes   payload bytes it stored.
 * @param deviceEntries stored entries in L1 at the end of the preload.
 * @param hostEntries   stored entries in L2 at the end of the preload.
 * @param fileEntries   stored entries in L3 at the end of the preload (pushed there by the
 *                      preload's own later puts, or put there when spilling was asked for).
 * @param evictedEntries stored entries no longer cached at the end of the preload (pushed out of
 *                      the last level by its own later puts); with the three counts above, they
 *                      add up to {@code loaded}.
 * @param stop          why it ended.
 * @param stoppedAt     index in the key array of the first key not stored ({@code requested} when
 *                      complete).
 * @param detail        one line on why it ended, with the sizes.
 * @param elapsedNanos  how long it took.
 */
public record PreloadSummary(
    int requested,
    int loaded,
    int alreadyCached,
    long loadedBytes,
    int deviceEntries,
    int hostEntries,
    int fileEntries,
    int evictedEntries,
    Stop stop,
    int stoppedAt,
    String detail,
    long elapsedNanos)
{
    /** Why a preload ended. */
    public enum Stop
    {
        /** Every key is cached. */
        COMPLETE,
        /** The next entry would not fit the room left in L1 and L2. */
        CAPACITY,
        /** The next entry would pass the byte limit given to the preload. */
        BYTE_LIMIT
    }

    /**
     * Whether every key is cached.
     *
     * @return true when {@link #stop()} is {@link Stop#COMPLETE}.
     */
    public boolean complete()
    {
        return stop == Stop.COMPLETE;
    }

    /**
     * One line, e.g. {@code loaded 120 of 200 entries (90.0 MiB) in 1.2 s, now in L1 40, L2 80, L3 0; stopped: ...}.
     */
    @Override
    public String toString()
    {
        return String.format(Locale.ROOT, "loaded %d of %d entries (%.1f MiB) in %.2f s, now in L1 %d, L2 %d, L3 %d%s%s; %s",
            loaded, requested, loadedBytes / (1024.0 * 1024.0), elapsedNanos / 1e9, deviceEntries, hostEntries, fileEntries,
            evictedEntries == 0 ? "" : ", " + evictedEntries + " evicted since",
            alreadyCached == 0 ? "" : ", " + alreadyCached + " already cached", detail);
    }
}
