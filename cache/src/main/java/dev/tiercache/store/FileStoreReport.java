package dev.tiercache.store;

import java.nio.file.Path;
import java.util.List;
import java.util.Objects;

/**
 * What {@link FileStore#inspect(Path)} and {@link FileStore#verify(Path)} found in a file.
 *
 * @param path                  the file.
 * @param formatVersion         the header's format version.
 * @param createdEpochMillis    when the file was created.
 * @param regionSizeBytes       bytes per region.
 * @param regionCount           regions the header declares.
 * @param fileLengthBytes       the file's length now.
 * @param expectedLengthBytes   the length the geometry needs.
 * @param payloadsVerified      whether payload checksums were checked (verify) or only headers.
 * @param inUseByOtherProcess   whether another process held the store's lock during the scan:
 *                              entries it was writing may show as bad.
 * @param regions               one report per region the file holds, in file order; when the file
 *                              is truncated, then one {@link RegionState#MISSING} report (at the
 *                              first missing index) for all the regions past its end.
 * @param liveEntries           entries a reopen would recover.
 * @param removedEntries        entries marked removed.
 * @param supersededEntries     older entries of a key that a newer entry replaces.
 * @param liveRawBytes          raw bytes of the live entries.
 * @param liveStoredBytes       stored bytes of the live entries.
 * @param badEntries            every entry or span skipped, with its location and reason.
 */
public record FileStoreReport(
    Path path,
    int formatVersion,
    long createdEpochMillis,
    long regionSizeBytes,
    int regionCount,
    long fileLengthBytes,
    long expectedLengthBytes,
    boolean payloadsVerified,
    boolean inUseByOtherProcess,
    List<RegionReport> regions,
    long liveEntries,
    long removedEntries,
    long supersededEntries,
    long liveRawBytes,
    long liveStoredBytes,
    List<BadEntry> badEntries)
{
    /**
     * Copies the lists.
     *
     * @param path                the file.
     * @param formatVersion       the format version.
     * @param createdEpochMillis  the creation time.
     * @param regionSizeBytes     bytes per region.
     * @param regionCount         regions declared.
     * @param fileLengthBytes     the file's length.
     * @param expectedLengthBytes the length the geometry needs.
     * @param payloadsVerified    whether payloads were checked.
     * @param inUseByOtherProcess whether another process held the lock.
     * @param regions             per-region reports.
     * @param liveEntries         live entries.
     * @param removedEntries      removed entries.
     * @param supersededEntries   superseded entries.
     * @param liveRawBytes        raw bytes of live entries.
     * @param liveStoredBytes     stored bytes of live entries.
     * @param badEntries          bad entries.
     */
    public FileStoreReport
    {
        Objects.requireNonNull(path, "path");
        regions = List.copyOf(regions);
        badEntries = List.copyOf(badEntries);
    }

    /**
     * Whether the file is shorter than its geometry needs.
     *
     * @return true when regions are missing at the end.
     */
    public boolean truncated()
    {
        return fileLengthBytes < expectedLengthBytes;
    }

    /**
     * Raw over stored bytes of the live entries.
     *
     * @return 1.0 when nothing is stored.
     */
    public double compressionRatio()
    {
        return liveStoredBytes == 0 ? 1.0 : (double)liveRawBytes / liveStoredBytes;
    }

    /**
     * Whether nothing is wrong with the file.
     *
     * @return true when it is complete, every region header is valid and no entry was skipped.
     */
    public boolean clean()
    {
        return !truncated() && badEntries.isEmpty() &&
            regions.stream().noneMatch(r -> r.state() == RegionState.CORRUPT || r.state() == RegionState.MISSING);
    }

    /** What a region holds. */
    public enum RegionState
    {
        /** Never used. */
        UNUSED,
        /** Takes appends. */
        ACTIVE,
        /** Full, waiting to be reclaimed. */
        SEALED,
        /** Its header failed its checks; its entries are lost. */
        CORRUPT,
        /** Past the end of a truncated file. */
        MISSING
    }

    /**
     * One region.
     *
     * @param index          position in the file.
     * @param state          what it holds.
     * @param sequence       its generation (0 when unused, corrupt or missing).
     * @param writeLimit     offset in the region of its next entry (0 when unused).
     * @param entries        entries with a valid header, removed ones included.
     * @param liveEntries    entries a reopen would recover.
     * @param removedEntries entries marked removed.
     * @param badEntries     entries or spans skipped.
     * @param problem        why the region is corrupt or missing, else empty.
     */
    public record RegionReport(
        int index,
        RegionState state,
        long sequence,
        long writeLimit,
        int entries,
        int liveEntries,
        int removedEntries,
        int badEntries,
        String problem)
    {
    }

    /**
     * An entry (or a span where no valid entry header was found) that was skipped.
     *
     * @param location file offset where it starts.
     * @param reason   what check it failed, with the values.
     */
    public record BadEntry(long location, String reason)
    {
    }
}
