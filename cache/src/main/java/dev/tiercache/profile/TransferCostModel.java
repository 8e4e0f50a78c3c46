package dev.tiercache.profile;

import dev.tiercache.Tier;

import java.util.EnumMap;
import java.util.Map;
import java.util.Objects;

/**
 * What moving bytes costs on each link of one machine: a fixed latency plus bytes over bandwidth.
 *
 * <h2>Why a model</h2>
 * A policy that treats the GPU link as free promotes everything to L1 and pays for it on every
 * eviction. On the target laptop (see {@link HardwareProfile#preset(String)},
 * {@code i5-10210u-sm61-nvme}) the PCIe 3.0 x4 link to the MX250 (3.9 GB/s theoretical) is no
 * faster than the NVMe drive (1.5 to 3.5 GB/s): L2 to L1 costs about what L3 to L2 costs. The
 * promotion rule therefore asks {@link #promotionGainNanos} whether the hits an entry is expected
 * to get in the faster level save more than the move and the displaced victim's demotion cost.
 *
 * <h2>Where the bytes are used</h2>
 * The {@linkplain #consumer() consumer} is the level whose memory the caller reads: the device
 * when the machine has a GPU (the bytes feed kernels), host memory otherwise. An access to an
 * entry in level {@code T} costs the path from {@code T} to the consumer: nothing when they are
 * the same, one link or two otherwise. L3 reaches the device through pinned staging, so its path
 * is disk to host plus host to device.
 *
 * <h2>Limits</h2>
 * The figures are per link and do not model contention: the mover shares the links with the
 * caller's own traffic. Moves run off the caller's thread, yet they are counted at full cost,
 * which keeps the rule conservative. A missing link (no GPU) costs {@link Long#MAX_VALUE}.
 * Immutable and thread-safe.
 */
public final class TransferCostModel
{
    /** The links a move can take. */
    public enum Link
    {
        /** Pinned host memory to device memory over PCIe ({@code cudaMemcpyAsync} H2D). */
        HOST_TO_DEVICE,
        /** Device memory to pinned host memory over PCIe (D2H). */
        DEVICE_TO_HOST,
        /** The L3 file into host memory: read, checksum, LZ4 decode when stored compressed. */
        DISK_TO_HOST,
        /** Host memory appended to the L3 log. */
        HOST_TO_DISK,
        /** One host memory copy ({@code MemorySegment.copy}), single-threaded. */
        MEMORY_COPY
    }

    /**
     * The cost of one link.
     *
     * @param latencyNanos   fixed cost of one transfer, whatever its size.
     * @param bytesPerSecond sustained bandwidth.
     */
    public record LinkCost(long latencyNanos, double bytesPerSecond)
    {
        private static final LinkCost UNAVAILABLE = new LinkCost(Long.MAX_VALUE, Double.MIN_VALUE);

        /**
         * Checks the figures.
         *
         * @param latencyNanos   non-negative.
         * @param bytesPerSecond positive.
         */
        public LinkCost
        {
            if (latencyNanos < 0 || !(bytesPerSecond > 0) || Double.isInfinite(bytesPerSecond))
            {
                throw new IllegalArgumentException("latencyNanos=" + latencyNanos + " bytesPerSecond=" + bytesPerSecond +
                    ": need latency >= 0 and a finite bandwidth > 0");
            }
        }

        /**
         * A link the machine does not have; every transfer over it costs {@link Long#MAX_VALUE}.
         *
         * @return the shared instance.
         */
        public static LinkCost unavailable()
        {
            return UNAVAILABLE;
        }

        /**
         * Whether the link exists.
         *
         * @return false for {@link #unavailable()}.
         */
        public boolean available()
        {
            return latencyNanos != Long.MAX_VALUE;
        }

        /**
         * Time to move {@code bytes} over the link.
         *
         * @param bytes non-negative.
         * @return latency plus transfer time in nanoseconds, saturated at {@link Long#MAX_VALUE};
         *         0 for 0 bytes.
         */
        public long costNanos(final long bytes)
        {
            if (bytes < 0)
            {
                throw new IllegalArgumentException("bytes=" + bytes + " < 0");
            }
            if (bytes == 0)
            {
                return 0;
            }
            final double nanos = (double)latencyNanos + bytes * 1e9 / bytesPerSecond;
            return nanos >= Long.MAX_VALUE ? Long.MAX_VALUE : (long)nanos;
        }
    }

    private final EnumMap<Link, LinkCost> links;
    private final Tier consumer;

    private TransferCostModel(final EnumMap<Link, LinkCost> links, final Tier consumer)
    {
        this.links = links;
        this.consumer = consumer;
    }

    /**
     * A model from explicit figures.
     *
     * @param links    a cost for every {@link Link}; use {@link LinkCost#unavailable()} for a link the
     *                 machine lacks.
     * @param consumer the level whose memory the caller reads ({@link Tier#DEVICE} or {@link Tier#HOST}).
     * @return the model.
     */
    public static TransferCostModel of(final Map<Link, LinkCost> links, final Tier consumer)
    {
        Objects.requireNonNull(links, "links is null");
        Objects.requireNonNull(consumer, "consumer is null");
        if (consumer == Tier.FILE)
        {
            throw new IllegalArgumentException("consumer=" + consumer + ": bytes are read from device or host memory");
        }
        final EnumMap<Link, LinkCost> copy = new EnumMap<>(Link.class);
        for (final Link link : Link.values())
        {
            final LinkCost cost = links.get(link);
            if (cost == null)
            {
                throw new IllegalArgumentException("no cost for link " + link + " in " + links.keySet());
            }
            copy.put(link, cost);
        }
        if (consumer == Tier.DEVICE && !copy.get(Link.HOST_TO_DEVICE).available())
        {
            throw new IllegalArgumentException("consumer=DEVICE needs a HOST_TO_DEVICE link");
        }
        return new TransferCostModel(copy, consumer);
    }

    /**
     * The same model with one link replaced, e.g. by a figure measured on this machine.
     *
     * @param link the link.
     * @param cost its new cost.
     * @return a new model.
     */
    public TransferCostModel with(final Link link, final LinkCost cost)
    {
        final EnumMap<Link, LinkCost> copy = new EnumMap<>(links);
        copy.put(Objects.requireNonNull(link, "link"), Objects.requireNonNull(cost, "cost"));
        return of(copy, consumer);
    }

    /**
     * The same model with another consumer.
     *
     * @param consumer {@link Tier#DEVICE} or {@link Tier#HOST}.
     * @return a new model.
     */
    public TransferCostModel withConsumer(final Tier consumer)
    {
        return of(links, consumer);
    }

    /**
     * The level whose memory the caller reads.
     *
     * @return {@link Tier#DEVICE} or {@link Tier#HOST}.
     */
    public Tier consumer()
    {
        return consumer;
    }

    /**
     * The figures of one link.
     *
     * @param link the link.
     * @return its cost.
     */
    public LinkCost link(final Link link)
    {
        return links.get(Objects.requireNonNull(link, "link"));
    }

    /**
     * Time to move {@code bytes} over one link.
     *
     * @param link  the link.
     * @param bytes non-negative.
     * @return nanoseconds, {@link Long#MAX_VALUE} for a missing link.
     */
    public long costNanos(final Link link, final long bytes)
    {
        return link(link).costNanos(bytes);
    }

    /**
     * Time the mover needs to move an entry from one level to another. Moves between L1 and L3
     * are staged through pinned host memory, so they take both links.
     *
     * @param from  the level the bytes are in.
     * @param to    the level they go to.
     * @param bytes the entry's size.
     * @return nanoseconds; 0 when {@code from == to}; saturated at {@link Long#MAX_VALUE}.
     */
    public long moveCostNanos(final Tier from, final Tier to, final long bytes)
    {
        Objects.requireNonNull(from, "from");
        Objects.requireNonNull(to, "to");
        if (from == to)
        {
            return 0;
        }
        if (from == Tier.FILE)
        {
            final long read = costNanos(Link.DISK_TO_HOST, bytes);
            return to == Tier.HOST ? read : saturatedAdd(read, costNanos(Link.HOST_TO_DEVICE, bytes));
        }
        if (from == Tier.HOST)
        {
            return to == Tier.DEVICE ? costNanos(Link.HOST_TO_DEVICE, bytes) : costNanos(Link.HOST_TO_DISK, bytes);
        }
        final long down = costNanos(Link.DEVICE_TO_HOST, bytes);
        return to == Tier.HOST ? down : saturatedAdd(down, costNanos(Link.HOST_TO_DISK, bytes));
    }

    /**
     * Time one access to an entry in {@code tier} costs before the caller can use its bytes: the
     * move from {@code tier} to the {@linkplain #consumer() consumer}, 0 when they are the same.
     *
     * @param tier  where the entry is.
     * @param bytes its size.
     * @return nanoseconds, saturated at {@link Long#MAX_VALUE}.
     */
    public long accessCostNanos(final Tier tier, final long bytes)
    {
        return moveCostNanos(tier, consumer, bytes);
    }

    /**
     * What promoting an entry saves over the hits it is expected to get, net of the move:
     * {@code expectedHits * (access(from) - access(to)) - move(from, to)}, minus the demotion of a
     * victim of the same size one level down from {@code to} when the target level is full.
     * Lost hits of that victim are not counted; the eviction policy weighs those.
     *
     * @param from         the level the entry is in.
     * @param to           the faster level it would move to.
     * @param bytes        its size.
     * @param expectedHits hits expected while it stays in {@code to}, non-negative.
     * @param displaces    whether the target level must demote a victim to make room.
     * @return nanoseconds saved; positive when the promotion pays.
     */
    public double promotionGainNanos(final Tier from, final Tier to, final long bytes, final double expectedHits, final boolean displaces)
    {
        if (!(expectedHits >= 0))
        {
            throw new IllegalArgumentException("expectedHits=" + expectedHits + " < 0");
        }
        if (to.ordinal() >= from.ordinal())
        {
            throw new IllegalArgumentException("from=" + from + " to=" + to + ": a promotion goes to a faster level");
        }
        final double saving = (double)accessCostNanos(from, bytes) - (double)accessCostNanos(to, bytes);
        final double victim = displaces ? (double)moveCostNanos(to, to.below(), bytes) : 0.0;
        return expectedHits * saving - (double)moveCostNanos(from, to, bytes) - victim;
    }

    /**
     * Whether a promotion pays, assuming the target level is full (the steady state of a cache).
     *
     * @param from         the level the entry is in.
     * @param to           the faster level it would move to.
     * @param bytes        its size.
     * @param expectedHits hits expected while it stays in {@code to}.
     * @return true when {@link #promotionGainNanos} with {@code displaces = true} is positive.
     */
    public boolean promotionPays(final Tier from, final Tier to, final long bytes, final double expectedHits)
    {
        return promotionGainNanos(from, to, bytes, expectedHits, true) > 0;
    }

    /**
     * The break-even number of hits: the fewest expected hits for which a promotion pays.
     *
     * @param from  the level the entry is in.
     * @param to    the faster level.
     * @param bytes its size.
     * @return hits, {@link Double#POSITIVE_INFINITY} when no number of hits pays (no saving).
     */
    public double breakEvenHits(final Tier from, final Tier to, final long bytes)
    {
        final double saving = promotionGainNanos(from, to, bytes, 1.0, true) - promotionGainNanos(from, to, bytes, 0.0, true);
        if (!(saving > 0))
        {
            return Double.POSITIVE_INFINITY;
        }
        return -promotionGainNanos(from, to, bytes, 0.0, true) / saving;
    }

    private static long saturatedAdd(final long a, final long b)
    {
        final long sum = a + b;
        return ((a ^ sum) & (b ^ sum)) < 0 ? Long.MAX_VALUE : sum;
    }

    /**
     * The links and the consumer.
     *
     * @return e.g. {@code TransferCostModel{consumer=DEVICE, HOST_TO_DEVICE=10000ns+3.35GB/s, ...}}.
     */
    @Override
    public String toString()
    {
        final StringBuilder sb = new StringBuilder("TransferCostModel{consumer=").append(consumer);
        for (final Map.Entry<Link, LinkCost> entry : links.entrySet())
        {
            final LinkCost cost = entry.getValue();
            sb.append(", ").append(entry.getKey()).append('=');
            if (cost.available())
            {
                sb.append(cost.latencyNanos()).append("ns+").append(String.format(java.util.Locale.ROOT, "%.2f", cost.bytesPerSecond() / 1e9))
                    .append("GB/s");
            }
            else
            {
                sb.append("none");
            }
        }
        return sb.append('}').toString();
    }
}
