package dev.tiercache.policy;

import dev.tiercache.index.EntryIndex;
import dev.tiercache.index.IndexSlotDescriptor;

import java.util.concurrent.TimeUnit;

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
 * <p>Each value has a {@code *_PROP_NAME} / {@code *_DEFAULT} pair; {@link Builder#fromSystemProperties()}
 * reads the properties and {@link Builder#build()} validates everything once, naming the bad key.
 * Decisions read the slot and allocate nothing; they are pure, so any thread holding the index's
 * lock may call them.
 */
public final class PromotionRule
{
    /** {@link #promotionTarget} result: stay where it is. */
    public static final int NO_PROMOTION = -1;

    /** {@link #landingLevel} result: the entry fits no level. */
    public static final int NO_LEVEL = -1;

    /** Property: accesses after which an entry is promoted to L1. */
    public static final String L1_PROMOTION_ACCESS_COUNT_PROP_NAME = "tiercache.l1.promotionAccessCount";

    /** Property alias of {@link #L1_PROMOTION_ACCESS_COUNT_PROP_NAME}, the VRAM seed's name; the first wins when both are set. */
    public static final String CACHE_HIT_THRESHOLD_PROP_NAME = "tiercache.cache_hit_threshold";

    /** Default of {@link #L1_PROMOTION_ACCESS_COUNT_PROP_NAME}. */
    public static final int L1_PROMOTION_ACCESS_COUNT_DEFAULT = 4;

    /** Property: accesses after which an L3 entry is promoted to L2. */
    public static final String L2_PROMOTION_ACCESS_COUNT_PROP_NAME = "tiercache.l2.promotionAccessCount";

    /** Default of {@link #L2_PROMOTION_ACCESS_COUNT_PROP_NAME}. */
    public static final int L2_PROMOTION_ACCESS_COUNT_DEFAULT = 2;

    /** Property: idle time after which an entry is demoted one level, in seconds. */
    public static final String DEMOTE_AFTER_IDLE_SECONDS_PROP_NAME = "tiercache.demoteAfterIdleSeconds";

    /** Default of {@link #DEMOTE_AFTER_IDLE_SECONDS_PROP_NAME}. */
    public static final long DEMOTE_AFTER_IDLE_SECONDS_DEFAULT = 600;

    /** Property: percent of a level's capacity past which it evicts. */
    public static final String HIGH_WATER_MARK_PERCENT_PROP_NAME = "tiercache.highWaterMarkPercent";

    /** Default of {@link #HIGH_WATER_MARK_PERCENT_PROP_NAME}. */
    public static final int HIGH_WATER_MARK_PERCENT_DEFAULT = 95;

    /** Property: percent of a level's capacity that eviction brings it down to. */
    public static final String EVICTION_TARGET_PERCENT_PROP_NAME = "tiercache.evictionTargetPercent";

    /** Default of {@link #EVICTION_TARGET_PERCENT_PROP_NAME}. */
    public static final int EVICTION_TARGET_PERCENT_DEFAULT = 90;

    /** Property: time to live after insertion in seconds, {@code 0} for none. */
    public static final String TTL_SECONDS_PROP_NAME = "tiercache.ttlSeconds";

    /** Default of {@link #TTL_SECONDS_PROP_NAME}: entries never expire. */
    public static final long TTL_SECONDS_DEFAULT = 0;

    /** Property: largest entry L1 holds, in bytes. */
    public static final String L1_MAX_ENTRY_BYTES_PROP_NAME = "tiercache.l1.maxEntryBytes";

    /** Default of {@link #L1_MAX_ENTRY_BYTES_PROP_NAME}: 64 MiB, an eighth of a 512 MiB device budget. */
    public static final long L1_MAX_ENTRY_BYTES_DEFAULT = 64L << 20;

    /** Property: largest entry L2 holds, in bytes. */
    public static final String L2_MAX_ENTRY_BYTES_PROP_NAME = "tiercache.l2.maxEntryBytes";

    /** Default of {@link #L2_MAX_ENTRY_BYTES_PROP_NAME}: 256 MiB. */
    public static final long L2_MAX_ENTRY_BYTES_DEFAULT = 256L << 20;

    /** Property: largest entry L3 holds, in bytes. */
    public static final String L3_MAX_ENTRY_BYTES_PROP_NAME = "tiercache.l3.maxEntryBytes";

    /** Default of {@link #L3_MAX_ENTRY_BYTES_PROP_NAME}: no limit beyond the file's. */
    public static final long L3_MAX_ENTRY_BYTES_DEFAULT = Long.MAX_VALUE;

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
        this.demoteAfterIdleNanos = builder.demoteAfterIdleNanos;
        this.highWaterMarkPercent = builder.highWaterMarkPercent;
        this.evictionTargetPercent = builder.evictionTargetPercent;
        this.ttlNanos = builder.ttlNanos;
        this.maxEntryBytes = new long[] {builder.l1MaxEntryBytes, builder.l2MaxEntryBytes, builder.l3MaxEntryBytes};
    }

    /**
     * The defaults.
     *
     * @return a rule with every {@code *_DEFAULT}.
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
        return nowNanos - index.lastAccessNanos(slot) >= demoteAfterIdleNanos;
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
        private int l1PromotionAccessCount = L1_PROMOTION_ACCESS_COUNT_DEFAULT;
        private int l2PromotionAccessCount = L2_PROMOTION_ACCESS_COUNT_DEFAULT;
        private long demoteAfterIdleNanos = TimeUnit.SECONDS.toNanos(DEMOTE_AFTER_IDLE_SECONDS_DEFAULT);
        private int highWaterMarkPercent = HIGH_WATER_MARK_PERCENT_DEFAULT;
        private int evictionTargetPercent = EVICTION_TARGET_PERCENT_DEFAULT;
        private long ttlNanos = TimeUnit.SECONDS.toNanos(TTL_SECONDS_DEFAULT);
        private long l1MaxEntryBytes = L1_MAX_ENTRY_BYTES_DEFAULT;
        private long l2MaxEntryBytes = L2_MAX_ENTRY_BYTES_DEFAULT;
        private long l3MaxEntryBytes = L3_MAX_ENTRY_BYTES_DEFAULT;

        private Builder()
        {
        }

        /**
         * Overrides values with the system properties that are set.
         *
         * @return this builder.
         * @throws IllegalArgumentException naming the property whose value is not a number.
         */
        public Builder fromSystemProperties()
        {
            final String l1 = System.getProperty(L1_PROMOTION_ACCESS_COUNT_PROP_NAME);
            final String alias = System.getProperty(CACHE_HIT_THRESHOLD_PROP_NAME);
            if (l1 != null)
            {
                l1PromotionAccessCount = (int)parse(L1_PROMOTION_ACCESS_COUNT_PROP_NAME, l1);
            }
            else if (alias != null)
            {
                l1PromotionAccessCount = (int)parse(CACHE_HIT_THRESHOLD_PROP_NAME, alias);
            }
            l2PromotionAccessCount = (int)property(L2_PROMOTION_ACCESS_COUNT_PROP_NAME, l2PromotionAccessCount);
            demoteAfterIdleNanos = TimeUnit.SECONDS.toNanos(property(DEMOTE_AFTER_IDLE_SECONDS_PROP_NAME,
                TimeUnit.NANOSECONDS.toSeconds(demoteAfterIdleNanos)));
            highWaterMarkPercent = (int)property(HIGH_WATER_MARK_PERCENT_PROP_NAME, highWaterMarkPercent);
            evictionTargetPercent = (int)property(EVICTION_TARGET_PERCENT_PROP_NAME, evictionTargetPercent);
            ttlNanos = TimeUnit.SECONDS.toNanos(property(TTL_SECONDS_PROP_NAME, TimeUnit.NANOSECONDS.toSeconds(ttlNanos)));
            l1MaxEntryBytes = property(L1_MAX_ENTRY_BYTES_PROP_NAME, l1MaxEntryBytes);
            l2MaxEntryBytes = property(L2_MAX_ENTRY_BYTES_PROP_NAME, l2MaxEntryBytes);
            l3MaxEntryBytes = property(L3_MAX_ENTRY_BYTES_PROP_NAME, l3MaxEntryBytes);
            return this;
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
         * @param nanos nanoseconds, {@code > 0}.
         * @return this builder.
         */
        public Builder demoteAfterIdleNanos(final long nanos)
        {
            this.demoteAfterIdleNanos = nanos;
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
         * @param nanos nanoseconds, {@code 0} for none.
         * @return this builder.
         */
        public Builder ttlNanos(final long nanos)
        {
            this.ttlNanos = nanos;
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
            require(l1PromotionAccessCount >= 1, L1_PROMOTION_ACCESS_COUNT_PROP_NAME + "=" + l1PromotionAccessCount + " < 1");
            require(l2PromotionAccessCount >= 1, L2_PROMOTION_ACCESS_COUNT_PROP_NAME + "=" + l2PromotionAccessCount + " < 1");
            require(demoteAfterIdleNanos > 0, "demoteAfterIdleNanos=" + demoteAfterIdleNanos + " <= 0");
            require(highWaterMarkPercent >= 1 && highWaterMarkPercent <= 100,
                HIGH_WATER_MARK_PERCENT_PROP_NAME + "=" + highWaterMarkPercent + " not in [1, 100]");
            require(evictionTargetPercent >= 0 && evictionTargetPercent <= highWaterMarkPercent,
                EVICTION_TARGET_PERCENT_PROP_NAME + "=" + evictionTargetPercent + " not in [0, highWaterMarkPercent=" + highWaterMarkPercent + "]");
            require(ttlNanos >= 0, "ttlNanos=" + ttlNanos + " < 0");
            require(l1MaxEntryBytes >= 0, L1_MAX_ENTRY_BYTES_PROP_NAME + "=" + l1MaxEntryBytes + " < 0");
            require(l2MaxEntryBytes >= 0, L2_MAX_ENTRY_BYTES_PROP_NAME + "=" + l2MaxEntryBytes + " < 0");
            require(l3MaxEntryBytes >= 0, L3_MAX_ENTRY_BYTES_PROP_NAME + "=" + l3MaxEntryBytes + " < 0");
            return new PromotionRule(this);
        }

        private static long property(final String name, final long fallback)
        {
            final String value = System.getProperty(name);
            return value == null ? fallback : parse(name, value);
        }

        private static long parse(final String name, final String value)
        {
            try
            {
                return Long.parseLong(value.strip());
            }
            catch (final NumberFormatException ex)
            {
                throw new IllegalArgumentException(name + "=" + value + " is not a number", ex);
            }
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
