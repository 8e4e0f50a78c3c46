package dev.tiercache.policy;

import dev.tiercache.SettingsUnits;
import dev.tiercache.TierCacheConfig;
import dev.tiercache.index.EntryIndex;
import dev.tiercache.index.IndexSlotDescriptor;

import java.time.Duration;
import java.util.Objects;

/**
 * Where entries land and when they move between levels: an immutable set of thresholds and the
 * decisions made from them over an {@link EntryIndex} slot.
 *
 * <ul>
 *   <li>Promotion: to L1 once accessed {@link #l1PromotionAccessCount()} times (4 by default,
 *       {@code cache_hit_threshold} is another name for it), to L2 once accessed
 *       {@link #l2PromotionAccessCount()} times (2), and only when the entry fits the target level's
 *       {@link #maxEntryBytes(int) max entry size}.</li>
 *   <li>Landing: a new entry goes to L2 when it fits there, else L3; L1 is reached only by promotion.</li>
 *   <li>Demotion: an entry idle for {@link #demoteAfterIdleNanos()} (600 s) moves one level down.</li>
 *   <li>Eviction: a level past {@link #highWaterMarkPercent()} of its capacity evicts down to
 *       {@link #evictionTargetPercent()} (90 %).</li>
 *   <li>Expiry: with a {@link #ttlNanos()} above 0, an entry expires that long after insertion.</li>
 * </ul>
 *
 * <p>The values come from a {@link TierCacheConfig}, which holds their defaults and validates
 * them with the rest of the configuration; {@link Builder#build()} checks the invariants once more
 * for a rule built directly, as the tests do, naming the bad value.
 * Decisions read the slot and allocate nothing; they are pure, so any thread holding the index's
 * lock may call them.
 */
public final class PromotionRule
{
    /** {@link #promotionTarget} result: stay where it is. */
    public static final int NO_PROMOTION = -1;

    /** {@link #landingLevel} result: the entry fits no level. */
    public static final int NO_LEVEL = -1;

    /** The shortest idle time and time to live: less is a unit mistake, not a configuration. */
    private static final Duration MIN_DURATION = Duration.ofMillis(1);

    private final int l1PromotionAccessCount;
    private final int l2PromotionAccessCount;
    private final long demoteAfterIdleNanos;
    private final int highWaterMarkPercent;
    private final int evictionTargetPercent;
    private final long ttlNanos;
    private final long[] maxEntryBytes;

    private PromotionRule(final Builder builder)
    {
        this.l1PromotionAccessCount = builder.l1PromotionAccessCount;
        this.l2PromotionAccessCount = builder.l2PromotionAccessCount;
        this.demoteAfterIdleNanos = saturatedNanos(builder.demoteAfterIdle);
        this.highWaterMarkPercent = builder.highWaterMarkPercent;
        this.evictionTargetPercent = builder.evictionTargetPercent;
        this.ttlNanos = saturatedNanos(builder.ttl);
        this.maxEntryBytes = new long[] {builder.l1MaxEntryBytes, builder.l2MaxEntryBytes, builder.l3MaxEntryBytes};
    }

    private static long saturatedNanos(final Duration duration)
    {
        return duration.compareTo(Duration.ofNanos(Long.MAX_VALUE)) >= 0 ? Long.MAX_VALUE : duration.toNanos();
    }

    /**
     * The defaults.
     *
     * @return a rule with the defaults of {@link TierCacheConfig}.
     */
    public static PromotionRule defaults()
    {
        return builder().build();
    }

    /**
     * A builder starting from the defaults.
     *
     * @return the builder.
     */
    public static Builder builder()
    {
        return new Builder();
    }

    /**
     * Accesses after which an entry is promoted to L1.
     *
     * @return the L1 threshold.
     */
    public int l1PromotionAccessCount()
    {
        return l1PromotionAccessCount;
    }

    /**
     * Accesses after which an L3 entry is promoted to L2.
     *
     * @return the L2 threshold.
     */
    public int l2PromotionAccessCount()
    {
        return l2PromotionAccessCount;
    }

    /**
     * Idle time after which an entry is demoted.
     *
     * @return nanoseconds.
     */
    public long demoteAfterIdleNanos()
    {
        return demoteAfterIdleNanos;
    }

    /**
     * Percent of capacity past which a level evicts.
     *
     * @return the high-water mark.
     */
    public int highWaterMarkPercent()
    {
        return highWaterMarkPercent;
    }

    /**
     * Percent of capacity eviction brings a level down to.
     *
     * @return the target.
     */
    public int evictionTargetPercent()
    {
        return evictionTargetPercent;
    }

    /**
     * Time to live after insertion.
     *
     * @return nanoseconds, {@code 0} for none.
     */
    public long ttlNanos()
    {
        return ttlNanos;
    }

    /**
     * The largest entry a level holds.
     *
     * @param level {@link IndexSlotDescriptor#LEVEL_L1}, {@code L2} or {@code L3}.
     * @return bytes.
     */
    public long maxEntryBytes(final int level)
    {
        checkStorageLevel(level);
        return maxEntryBytes[level];
    }

    /**
     * Where a new entry lands: L2 when it fits there, else L3.
     *
     * @param rawLength the entry's bytes.
     * @return {@link IndexSlotDescriptor#LEVEL_L2}, {@link IndexSlotDescriptor#LEVEL_L3}, or {@link #NO_LEVEL}.
     */
    public int landingLevel(final long rawLength)
    {
        if (rawLength <= maxEntryBytes[IndexSlotDescriptor.LEVEL_L2])
        {
            return IndexSlotDescriptor.LEVEL_L2;
        }
        return rawLength <= maxEntryBytes[IndexSlotDescriptor.LEVEL_L3] ? IndexSlotDescriptor.LEVEL_L3 : NO_LEVEL;
    }

    /**
     * The level a slot has earned by its access count and fits by its raw length, if higher than
     * where it is: the highest such level.
     *
     * @param index the index.
     * @param slot  a live slot.
     * @return {@link IndexSlotDescriptor#LEVEL_L1} or {@code LEVEL_L2}, or {@link #NO_PROMOTION}.
     */
    public int promotionTarget(final EntryIndex index, final int slot)
    {
        final int level = index.level(slot);
        if (shouldPromote(index, slot, IndexSlotDescriptor.LEVEL_L1))
        {
            return IndexSlotDescriptor.LEVEL_L1;
        }
        if (level != IndexSlotDescriptor.LEVEL_L2 && shouldPromote(index, slot, IndexSlotDescriptor.LEVEL_L2))
        {
            return IndexSlotDescriptor.LEVEL_L2;
        }
        return NO_PROMOTION;
    }

    /**
     * Whether a slot should move up to {@code toLevel}: it is lower now, accessed often enough for
     * that level, and fits that level's max entry size.
     *
     * @param index   the index.
     * @param slot    a live slot.
     * @param toLevel {@link IndexSlotDescriptor#LEVEL_L1} or {@code LEVEL_L2}.
     * @return {@code true} to promote.
     */
    public boolean shouldPromote(final EntryIndex index, final int slot, final int toLevel)
    {
        checkStorageLevel(toLevel);
        final int level = index.level(slot);
        if (level == IndexSlotDescriptor.LEVEL_EMPTY || level <= toLevel)
        {
            return false;
        }
        final int threshold = toLevel == IndexSlotDescriptor.LEVEL_L1 ? l1PromotionAccessCount : l2PromotionAccessCount;
        return index.accessCount(slot) >= threshold && index.rawLength(slot) <= maxEntryBytes[toLevel];
    }

    /**
     * Whether a slot has been idle long enough to be demoted.
     *
     * @param index    the index.
     * @param slot     a live slot.
     * @param nowNanos the current {@link System#nanoTime()}.
     * @return {@code true} when idle for at least {@link #demoteAfterIdleNanos()}.
     */
    public boolean isIdle(final EntryIndex index, final int slot, final long nowNanos)
    {
        return index.idleNanos(slot, nowNanos) >= demoteAfterIdleNanos;
    }

    /**
     * Whether a slot's time to live is over.
     *
     * @param index    the index.
     * @param slot     a live slot.
     * @param nowNanos the current {@link System#nanoTime()}.
     * @return {@code true} when it has an expiry time and {@code nowNanos} is at or past it.
     */
    public boolean isExpired(final EntryIndex index, final int slot, final long nowNanos)
    {
        final long expiresAt = index.expiresAtNanos(slot);
        return expiresAt != 0 && nowNanos - expiresAt >= 0;
    }

    /**
     * The expiry time to store for an entry inserted now.
     *
     * @param nowNanos the current {@link System#nanoTime()}.
     * @return {@code nowNanos + ttl}, or {@code 0} (never) without a TTL; never {@code 0} otherwise.
     */
    public long expiresAtNanos(final long nowNanos)
    {
        if (ttlNanos == 0)
        {
            return 0;
        }
        final long expiresAt = nowNanos + ttlNanos;
        return expiresAt == 0 ? 1 : expiresAt;
    }

    /**
     * Whether a level holding {@code usedBytes} of {@code capacityBytes} must evict.
     *
     * @param usedBytes     bytes in use.
     * @param capacityBytes the level's capacity.
     * @return {@code true} when past the high-water mark.
     */
    public boolean isPastHighWaterMark(final long usedBytes, final long capacityBytes)
    {
        return usedBytes > percentOf(capacityBytes, highWaterMarkPercent);
    }

    /**
     * The bytes in use that eviction brings a level down to.
     *
     * @param capacityBytes the level's capacity.
     * @return {@link #evictionTargetPercent()} of it.
     */
    public long evictionTargetBytes(final long capacityBytes)
    {
        return percentOf(capacityBytes, evictionTargetPercent);
    }

    @Override
    public String toString()
    {
        return "PromotionRule{l1PromotionAccessCount=" + l1PromotionAccessCount
            + ", l2PromotionAccessCount=" + l2PromotionAccessCount
            + ", demoteAfterIdleNanos=" + demoteAfterIdleNanos
            + ", highWaterMarkPercent=" + highWaterMarkPercent
            + ", evictionTargetPercent=" + evictionTargetPercent
            + ", ttlNanos=" + ttlNanos
            + ", maxEntryBytes=[" + maxEntryBytes[0] + ", " + maxEntryBytes[1] + ", " + maxEntryBytes[2] + "]}";
    }

    private static long percentOf(final long capacity, final int percent)
    {
        return capacity / 100 * percent + capacity % 100 * percent / 100;
    }

    private static void checkStorageLevel(final int level)
    {
        if (level < IndexSlotDescriptor.LEVEL_L1 || level > IndexSlotDescriptor.LEVEL_L3)
        {
            throw new IllegalArgumentException("level=" + level + " is not L1=0, L2=1 or L3=2");
        }
    }

    /** Collects the values; {@link #build()} validates them. Not thread-safe. */
    public static final class Builder
    {
        private int l1PromotionAccessCount = TierCacheConfig.PROMOTE_TO_DEVICE_AFTER_DEFAULT;
        private int l2PromotionAccessCount = TierCacheConfig.PROMOTE_TO_HOST_AFTER_DEFAULT;
        private Duration demoteAfterIdle = Duration.ofNanos(TierCacheConfig.IDLE_DEMOTION_NANOS_DEFAULT);
        private int highWaterMarkPercent = (int)Math.round(TierCacheConfig.EVICTION_THRESHOLD_DEFAULT * 100);
        private int evictionTargetPercent = (int)Math.round(TierCacheConfig.EVICTION_TARGET_DEFAULT * 100);
        private Duration ttl = Duration.ofNanos(TierCacheConfig.TTL_NANOS_DEFAULT);
        private long l1MaxEntryBytes = TierCacheConfig.DEVICE_MAX_ENTRY_BYTES_DEFAULT;
        private long l2MaxEntryBytes = TierCacheConfig.HOST_MAX_ENTRY_BYTES_DEFAULT;
        private long l3MaxEntryBytes = TierCacheConfig.FILE_MAX_ENTRY_BYTES_DEFAULT;

        private Builder()
        {
        }

        /**
         * Sets the L1 promotion threshold ({@code cache_hit_threshold}).
         *
         * @param count accesses, {@code >= 1}.
         * @return this builder.
         */
        public Builder l1PromotionAccessCount(final int count)
        {
            this.l1PromotionAccessCount = count;
            return this;
        }

        /**
         * Sets the L2 promotion threshold.
         *
         * @param count accesses, {@code >= 1}.
         * @return this builder.
         */
        public Builder l2PromotionAccessCount(final int count)
        {
            this.l2PromotionAccessCount = count;
            return this;
        }

        /**
         * Sets the idle time before demotion.
         *
         * @param idle at least 1 ms (less is taken for a mistaken unit); a longer one than
         *             {@code Long.MAX_VALUE} nanoseconds counts as that.
         * @return this builder.
         */
        public Builder demoteAfterIdle(final Duration idle)
        {
            this.demoteAfterIdle = Objects.requireNonNull(idle, "idle is null");
            return this;
        }

        /**
         * Sets the high-water mark.
         *
         * @param percent of capacity, in {@code [1, 100]}.
         * @return this builder.
         */
        public Builder highWaterMarkPercent(final int percent)
        {
            this.highWaterMarkPercent = percent;
            return this;
        }

        /**
         * Sets the eviction target.
         *
         * @param percent of capacity, in {@code [0, highWaterMarkPercent]}.
         * @return this builder.
         */
        public Builder evictionTargetPercent(final int percent)
        {
            this.evictionTargetPercent = percent;
            return this;
        }

        /**
         * Sets the time to live.
         *
         * @param ttl {@link Duration#ZERO} for none; else at least 1 ms (less is taken for a
         *            mistaken unit); a longer one than {@code Long.MAX_VALUE} nanoseconds counts as
         *            that.
         * @return this builder.
         */
        public Builder ttl(final Duration ttl)
        {
            this.ttl = Objects.requireNonNull(ttl, "ttl is null");
            return this;
        }

        /**
         * Sets a level's max entry size.
         *
         * @param level {@link IndexSlotDescriptor#LEVEL_L1}, {@code L2} or {@code L3}.
         * @param bytes the largest entry, {@code >= 0}.
         * @return this builder.
         */
        public Builder maxEntryBytes(final int level, final long bytes)
        {
            checkStorageLevel(level);
            switch (level)
            {
                case IndexSlotDescriptor.LEVEL_L1 -> l1MaxEntryBytes = bytes;
                case IndexSlotDescriptor.LEVEL_L2 -> l2MaxEntryBytes = bytes;
                default -> l3MaxEntryBytes = bytes;
            }
            return this;
        }

        /**
         * Validates and builds.
         *
         * @return the rule.
         * @throws IllegalArgumentException naming the first bad value.
         */
        public PromotionRule build()
        {
            require(l1PromotionAccessCount >= 1, "l1PromotionAccessCount=" + l1PromotionAccessCount + " < 1");
            require(l2PromotionAccessCount >= 1, "l2PromotionAccessCount=" + l2PromotionAccessCount + " < 1");
            require(demoteAfterIdle.compareTo(MIN_DURATION) >= 0, "demoteAfterIdle=" + SettingsUnits.formatDuration(demoteAfterIdle) +
                ": must be at least 1 ms (less is taken for a mistaken unit)");
            require(highWaterMarkPercent >= 1 && highWaterMarkPercent <= 100,
                "highWaterMarkPercent=" + highWaterMarkPercent + " not in [1, 100]");
            require(evictionTargetPercent >= 0 && evictionTargetPercent <= highWaterMarkPercent,
                "evictionTargetPercent=" + evictionTargetPercent + " not in [0, highWaterMarkPercent=" + highWaterMarkPercent + "]");
            require(ttl.isZero() || ttl.compareTo(MIN_DURATION) >= 0, "ttl=" + SettingsUnits.formatDuration(ttl) +
                ": must be 0 (none) or at least 1 ms (less is taken for a mistaken unit)");
            require(l1MaxEntryBytes >= 0, "maxEntryBytes(L1)=" + l1MaxEntryBytes + " < 0");
            require(l2MaxEntryBytes >= 0, "maxEntryBytes(L2)=" + l2MaxEntryBytes + " < 0");
            require(l3MaxEntryBytes >= 0, "maxEntryBytes(L3)=" + l3MaxEntryBytes + " < 0");
            return new PromotionRule(this);
        }

        private static void require(final boolean condition, final String message)
        {
            if (!condition)
            {
                throw new IllegalArgumentException(message);
            }
        }
    }
}
