package dev.tiercache.profile;

/**
 * What kind of medium holds the L3 file, which decides its latency far more than its interface.
 */
public enum DiskKind
{
    /** An NVMe solid-state drive (the block device is {@code nvme*}). */
    NVME,
    /** A solid-state drive on another interface (SATA, SAS, virtio with {@code rotational = 0}). */
    SOLID_STATE,
    /** A spinning disk ({@code /sys/block/DEV/queue/rotational = 1}). */
    ROTATIONAL,
    /** Not found out: a network, overlay or memory file system, or not Linux. */
    UNKNOWN;

    /**
     * Whether the medium spins.
     *
     * @return {@code TRUE} for {@link #ROTATIONAL}, {@code FALSE} for solid state, {@code null}
     *         when unknown.
     */
    public Boolean rotational()
    {
        return this == UNKNOWN ? null : this == ROTATIONAL;
    }
}
