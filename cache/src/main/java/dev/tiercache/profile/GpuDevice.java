package dev.tiercache.profile;

import dev.tiercache.cuda.DeviceInfo;

import java.util.Objects;

/**
 * One GPU and the link that connects it to host memory.
 *
 * @param name                    a name for people: the preset's marketing name, or
 *                                {@code "CUDA device N"} after detection (the runtime has no name
 *                                call that is stable across CUDA 11 to 13).
 * @param info                    what the runtime reports.
 * @param link                    the host link, e.g. {@code "PCIe 3.0 x4"}; {@code ""} when unknown.
 * @param linkBytesPerSecond      theoretical bandwidth of the host link, one direction.
 * @param linkLatencyNanos        fixed cost of one transfer over it (driver call, DMA setup).
 */
public record GpuDevice(String name, DeviceInfo info, String link, double linkBytesPerSecond, long linkLatencyNanos)
{
    /**
     * Checks the figures.
     *
     * @param name               a name for people.
     * @param info               what the runtime reports.
     * @param link               the host link or {@code ""}.
     * @param linkBytesPerSecond positive.
     * @param linkLatencyNanos   non-negative.
     */
    public GpuDevice
    {
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(info, "info");
        Objects.requireNonNull(link, "link");
        if (!(linkBytesPerSecond > 0) || linkLatencyNanos < 0)
        {
            throw new IllegalArgumentException("linkBytesPerSecond=" + linkBytesPerSecond + " linkLatencyNanos=" + linkLatencyNanos +
                ": need bandwidth > 0, latency >= 0");
        }
    }
}
