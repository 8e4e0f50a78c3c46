package dev.tiercache.profile;

import java.util.List;
import java.util.Objects;

/**
 * The GPUs, or why there are none.
 *
 * @param devices the usable devices, in CUDA ordinal order; empty when none.
 * @param reason  why there is no usable GPU (no driver, no device, no runtime library);
 *                {@code null} when {@code devices} is not empty.
 */
public record GpuInfo(List<GpuDevice> devices, String reason)
{
    /**
     * Copies the list and checks that exactly one of devices and reason is given.
     *
     * @param devices the devices.
     * @param reason  why there are none, or {@code null}.
     */
    public GpuInfo
    {
        devices = List.copyOf(devices);
        if (devices.isEmpty() == (reason == null))
        {
            throw new IllegalArgumentException("devices=" + devices.size() + " reason=" + reason +
                ": give devices or a reason, not both");
        }
    }

    /**
     * No GPU, for a reason.
     *
     * @param reason why.
     * @return the info.
     */
    public static GpuInfo none(final String reason)
    {
        return new GpuInfo(List.of(), Objects.requireNonNull(reason, "reason"));
    }

    /**
     * Whether at least one GPU can be used.
     *
     * @return true when {@link #devices()} is not empty.
     */
    public boolean available()
    {
        return !devices.isEmpty();
    }
}
