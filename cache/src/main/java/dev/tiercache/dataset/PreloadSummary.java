package dev.tiercache.dataset;

import java.util.Locale;

/**
 * What {@link DatasetCache#preload} did.
 *
 * @param requested     keys it was given.
 * @param loaded        entries it stored.
 * @param alreadyCached keys it skipped because the cache held them already.
 * @param loadedBytes   payload bytes it stored.
 * @param deviceEntries entries placed in L1.
 * @param hostEntries   entries placed in L2.
 * @param fileEntries   entries placed in L3 (only when spilling was asked for, or an entry is
 *                      larger than L2 takes).
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
     * One line, e.g. {@code loaded 120 of 200 entries (90.0 MiB) in 1.2 s: L1 40, L2 80, L3 0; stopped: ...}.
     */
    @Override
    public String toString()
    {
        return String.format(Locale.ROOT, "loaded %d of %d entries (%.1f MiB) in %.2f s: L1 %d, L2 %d, L3 %d%s; %s",
            loaded, requested, loadedBytes / (1024.0 * 1024.0), elapsedNanos / 1e9, deviceEntries, hostEntries, fileEntries,
            alreadyCached == 0 ? "" : ", " + alreadyCached + " already cached", detail);
    }
}
