package dev.tiercache.profile;

import java.util.Objects;

/**
 * The processor as the profile sees it.
 *
 * @param model         the model name, e.g. {@code "Intel(R) Core(TM) i5-10210U CPU @ 1.60GHz"};
 *                      {@code "unknown"} when the system does not say.
 * @param sockets       physical packages.
 * @param physicalCores cores over all sockets, without SMT siblings.
 * @param threads       hardware threads (logical processors) over all sockets.
 */
public record CpuInfo(String model, int sockets, int physicalCores, int threads)
{
    /**
     * Checks the figures.
     *
     * @param model         the model name.
     * @param sockets       physical packages, at least 1.
     * @param physicalCores cores, at least {@code sockets}.
     * @param threads       hardware threads, at least {@code physicalCores}.
     */
    public CpuInfo
    {
        Objects.requireNonNull(model, "model");
        if (sockets < 1 || physicalCores < sockets || threads < physicalCores)
        {
            throw new IllegalArgumentException("sockets=" + sockets + " physicalCores=" + physicalCores +
                " threads=" + threads + ": need 1 <= sockets <= physicalCores <= threads");
        }
    }
}
