package dev.tiercache.profile;

import java.util.Objects;

/**
 * The file system that holds the L3 file.
 *
 * @param directory               the L3 directory the figures are for.
 * @param device                  the block device, e.g. {@code "nvme0n1"}; {@code ""} when unknown.
 * @param kind                    the medium.
 * @param totalBytes              size of the file system.
 * @param freeBytes               bytes this process may still allocate on it
 *                                ({@link java.nio.file.FileStore#getUsableSpace()}).
 * @param readBytesPerSecond      sequential read bandwidth assumed for the medium.
 * @param readLatencyNanos        latency of one random 4 KiB read assumed for the medium.
 */
public record DiskInfo(
    String directory,
    String device,
    DiskKind kind,
    long totalBytes,
    long freeBytes,
    double readBytesPerSecond,
    long readLatencyNanos)
{
    /**
     * Checks the figures.
     *
     * @param directory          the L3 directory.
     * @param device             the block device or {@code ""}.
     * @param kind               the medium.
     * @param totalBytes         file system size, non-negative.
     * @param freeBytes          free bytes, {@code 0 <= freeBytes <= totalBytes}.
     * @param readBytesPerSecond positive.
     * @param readLatencyNanos   non-negative.
     */
    public DiskInfo
    {
        Objects.requireNonNull(directory, "directory");
        Objects.requireNonNull(device, "device");
        Objects.requireNonNull(kind, "kind");
        if (totalBytes < 0 || freeBytes < 0 || freeBytes > totalBytes || !(readBytesPerSecond > 0) || readLatencyNanos < 0)
        {
            throw new IllegalArgumentException("totalBytes=" + totalBytes + " freeBytes=" + freeBytes +
                " readBytesPerSecond=" + readBytesPerSecond + " readLatencyNanos=" + readLatencyNanos +
                ": need 0 <= free <= total, bandwidth > 0, latency >= 0");
        }
    }
}
