package dev.tiercache.profile;

/**
 * Main memory as the profile sees it.
 *
 * @param totalBytes      installed memory usable by the kernel ({@code MemTotal}), or the
 *                        control group's limit when that is lower.
 * @param availableBytes  memory a new allocation can get without swapping ({@code MemAvailable}),
 *                        at most {@code totalBytes}.
 * @param bandwidthBytesPerSecond theoretical peak bandwidth of the memory bus (channels x transfer
 *                        rate x 8 bytes); 0 when unknown, as after detection, which cannot read it.
 */
public record MemoryInfo(long totalBytes, long availableBytes, double bandwidthBytesPerSecond)
{
    /**
     * Checks the figures.
     *
     * @param totalBytes              installed memory, positive.
     * @param availableBytes          available memory, {@code 0 <= availableBytes <= totalBytes}.
     * @param bandwidthBytesPerSecond peak bandwidth, 0 when unknown.
     */
    public MemoryInfo
    {
        if (totalBytes <= 0 || availableBytes < 0 || availableBytes > totalBytes || !(bandwidthBytesPerSecond >= 0))
        {
            throw new IllegalArgumentException("totalBytes=" + totalBytes + " availableBytes=" + availableBytes +
                " bandwidthBytesPerSecond=" + bandwidthBytesPerSecond + ": need 0 <= available <= total, total > 0, bandwidth >= 0");
        }
    }

    /**
     * This machine's memory now, as {@link HardwareProfile#detect()} reads it ({@code /proc/meminfo},
     * lowered to the control group's limit), without probing anything else. Where {@code /proc}
     * cannot be read, the heap limit stands in for both figures.
     *
     * @return total and available bytes; bandwidth 0.
     */
    public static MemoryInfo detect()
    {
        final MemoryInfo memory = new LinuxProbe(java.nio.file.Path.of("/")).memory();
        if (memory != null)
        {
            return memory;
        }
        final long heap = Runtime.getRuntime().maxMemory();
        return new MemoryInfo(heap, heap, 0);
    }
}
