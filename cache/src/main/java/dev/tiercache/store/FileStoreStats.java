package dev.tiercache.store;

/**
 * A snapshot of a {@link FileStore}'s counters, taken under its lock.
 *
 * @param capacityBytes         entry space: regions times (region size less its header).
 * @param usedBytes             entry space written in regions in use, removed entries included
 *                              (space comes back only when a region is reclaimed).
 * @param liveEntries           entries that are neither removed nor reclaimed nor corrupt.
 * @param regionCount           regions in the file.
 * @param regionsInUse          regions holding entries of their current generation.
 * @param liveRawBytes          raw bytes of the live entries.
 * @param liveStoredBytes       stored bytes of the live entries.
 * @param appendedEntries       appends since open.
 * @param compressedEntries     appends since open that kept a compressed form.
 * @param reclaimedRegions      regions reclaimed since open.
 * @param reclaimedEntries      entries reported to the reclaim listener since open.
 * @param corruptEntriesSkipped entries skipped by the open scan (and later {@code recover()} scans).
 * @param corruptRegionsSkipped regions whose header failed its checks in those scans.
 * @param corruptReads          reads since open that returned {@link FileStore#CORRUPT}.
 */
public record FileStoreStats(
    long capacityBytes,
    long usedBytes,
    long liveEntries,
    int regionCount,
    int regionsInUse,
    long liveRawBytes,
    long liveStoredBytes,
    long appendedEntries,
    long compressedEntries,
    long reclaimedRegions,
    long reclaimedEntries,
    long corruptEntriesSkipped,
    long corruptRegionsSkipped,
    long corruptReads)
{
    /**
     * Raw over stored bytes of the live entries.
     *
     * @return 1.0 with nothing stored or nothing compressed, above 1 when compression saves space.
     */
    public double compressionRatio()
    {
        return liveStoredBytes == 0 ? 1.0 : (double)liveRawBytes / liveStoredBytes;
    }
}
