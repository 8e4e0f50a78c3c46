package dev.tiercache.dataset;

import java.util.Locale;

/**
 * What the batch methods of a {@link DatasetCache} have read: entries by the level they were read
 * from, the time spent reading them (an L3 read is the time a caller waited on the file: read,
 * checksum, decode), entries loaded on a miss, and the time spent normalising.
 *
 * @param deviceReads     entries read from L1.
 * @param hostReads       entries read from L2.
 * @param fileReads       entries read from L3: the reads that waited on the file.
 * @param loads           misses loaded through the loader.
 * @param readNanos       time in L1 and L2 reads, copies included.
 * @param fileWaitNanos   time in L3 reads.
 * @param loadNanos       time in loads (the caller's loader and the put).
 * @param normalizeNanos  time normalising, on the host or waiting for the device.
 */
public record BatchStats(
    long deviceReads, long hostReads, long fileReads, long loads, long readNanos, long fileWaitNanos, long loadNanos, long normalizeNanos)
{
    /**
     * Entries read, from any level.
     *
     * @return the count.
     */
    public long reads()
    {
        return deviceReads + hostReads + fileReads;
    }

    /**
     * The share of reads that waited on L3.
     *
     * @return in [0, 1]; 0 before any read.
     */
    public double fileWaitFraction()
    {
        final long reads = reads();
        return reads == 0 ? 0 : (double)fileReads / reads;
    }

    /**
     * The difference from an earlier snapshot.
     *
     * @param before the earlier one.
     * @return what happened in between.
     */
    public BatchStats minus(final BatchStats before)
    {
        return new BatchStats(deviceReads - before.deviceReads, hostReads - before.hostReads, fileReads - before.fileReads,
            loads - before.loads, readNanos - before.readNanos, fileWaitNanos - before.fileWaitNanos, loadNanos - before.loadNanos,
            normalizeNanos - before.normalizeNanos);
    }

    @Override
    public String toString()
    {
        return String.format(Locale.ROOT, "reads L1 %d, L2 %d, L3 %d (%.2f%% waited on L3, %.3f s), loads %d (%.3f s); copies %.3f s, normalise %.3f s",
            deviceReads, hostReads, fileReads, 100 * fileWaitFraction(), fileWaitNanos / 1e9, loads, loadNanos / 1e9, readNanos / 1e9,
            normalizeNanos / 1e9);
    }
}
