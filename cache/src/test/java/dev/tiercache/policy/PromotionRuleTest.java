package dev.tiercache.policy;

import dev.tiercache.index.EntryIndex;
import dev.tiercache.index.IndexSlotDescriptor;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class PromotionRuleTest
{
    @Test
    void defaults_matchTheDesign()
    {
        final PromotionRule rule = PromotionRule.defaults();
        assertEquals(4, rule.l1PromotionAccessCount());
        assertEquals(2, rule.l2PromotionAccessCount());
        assertEquals(TimeUnit.SECONDS.toNanos(600), rule.demoteAfterIdleNanos());
        assertEquals(90, rule.evictionTargetPercent());
        assertEquals(0, rule.ttlNanos());
        assertEquals(900, rule.evictionTargetBytes(1000));
        assertTrue(rule.isPastHighWaterMark(951, 1000));
        assertFalse(rule.isPastHighWaterMark(950, 1000));
        assertEquals(Long.MAX_VALUE / 100 * 90 + Long.MAX_VALUE % 100 * 90 / 100, rule.evictionTargetBytes(Long.MAX_VALUE));
    }

    @Test
    void promotion_followsAccessCountsAndEntrySize()
    {
        final PromotionRule rule = PromotionRule.builder().maxEntryBytes(IndexSlotDescriptor.LEVEL_L1, 100).build();
        try (EntryIndex index = new EntryIndex(4))
        {
            final int slot = index.insert(1);
            index.level(slot, IndexSlotDescriptor.LEVEL_L3);
            index.rawLength(slot, 50);
            index.accessCount(slot, 1);
            assertEquals(PromotionRule.NO_PROMOTION, rule.promotionTarget(index, slot));
            index.accessCount(slot, 2);
            assertEquals(IndexSlotDescriptor.LEVEL_L2, rule.promotionTarget(index, slot));
            index.accessCount(slot, 4);
            assertEquals(IndexSlotDescriptor.LEVEL_L1, rule.promotionTarget(index, slot));
            index.rawLength(slot, 101);
            assertEquals(IndexSlotDescriptor.LEVEL_L2, rule.promotionTarget(index, slot));
            index.level(slot, IndexSlotDescriptor.LEVEL_L2);
            assertEquals(PromotionRule.NO_PROMOTION, rule.promotionTarget(index, slot));
            index.level(slot, IndexSlotDescriptor.LEVEL_L1);
            assertFalse(rule.shouldPromote(index, slot, IndexSlotDescriptor.LEVEL_L1));
        }
    }

    @Test
    void idleAndExpiry_useTheSlotTimes()
    {
        final long ms = 1_000_000;
        final PromotionRule rule = PromotionRule.builder().ttl(Duration.ofMillis(10)).demoteAfterIdle(Duration.ofMillis(5)).build();
        try (EntryIndex index = new EntryIndex(4))
        {
            final int slot = index.insert(1);
            index.lastAccessNanos(slot, 100 * ms);
            // the slot's stamp is in units of about 1 ms: idleness is never read early, and at most two units late
            assertFalse(rule.isIdle(index, slot, 105 * ms - 1));
            assertTrue(rule.isIdle(index, slot, 105 * ms + (2L << 20)));
            assertFalse(rule.isExpired(index, slot, Long.MAX_VALUE));
            index.expiresAtNanos(slot, rule.expiresAtNanos(100 * ms));
            assertFalse(rule.isExpired(index, slot, 110 * ms - 1));
            assertTrue(rule.isExpired(index, slot, 110 * ms));
            assertEquals(0, PromotionRule.defaults().expiresAtNanos(5));
        }
    }

    @Test
    void landing_goesToL2_thenL3_byEntrySize()
    {
        final PromotionRule rule = PromotionRule.builder()
            .maxEntryBytes(IndexSlotDescriptor.LEVEL_L2, 10).maxEntryBytes(IndexSlotDescriptor.LEVEL_L3, 20).build();
        assertEquals(IndexSlotDescriptor.LEVEL_L2, rule.landingLevel(10));
        assertEquals(IndexSlotDescriptor.LEVEL_L3, rule.landingLevel(11));
        assertEquals(PromotionRule.NO_LEVEL, rule.landingLevel(21));
    }

    @Test
    void build_namesTheBadValue()
    {
        final IllegalArgumentException ex = assertThrows(IllegalArgumentException.class,
            () -> PromotionRule.builder().evictionTargetPercent(96).build());
        assertTrue(ex.getMessage().contains("evictionTargetPercent=96"), ex.getMessage());
        assertThrows(IllegalArgumentException.class, () -> PromotionRule.builder().l1PromotionAccessCount(0).build());
    }

    @Test
    void durations_thatNoSettingCanMean_areRefused_namingTheSetterAndTheValue()
    {
        assertEquals("ttl=-1 s: must be 0 (none) or at least 1 ms (less is taken for a mistaken unit)", assertThrows(IllegalArgumentException.class,
            () -> PromotionRule.builder().ttl(Duration.ofSeconds(-1)).build()).getMessage());
        assertEquals("ttl=5 us: must be 0 (none) or at least 1 ms (less is taken for a mistaken unit)", assertThrows(IllegalArgumentException.class,
            () -> PromotionRule.builder().ttl(Duration.ofNanos(5000)).build()).getMessage());
        assertEquals("demoteAfterIdle=0 s: must be at least 1 ms (less is taken for a mistaken unit)", assertThrows(IllegalArgumentException.class,
            () -> PromotionRule.builder().demoteAfterIdle(Duration.ZERO).build()).getMessage());
        assertEquals("demoteAfterIdle=999999 ns: must be at least 1 ms (less is taken for a mistaken unit)",
            assertThrows(IllegalArgumentException.class, () -> PromotionRule.builder().demoteAfterIdle(Duration.ofNanos(999_999)).build()).getMessage());
        assertThrows(NullPointerException.class, () -> PromotionRule.builder().ttl(null));
        // longer than a long of nanoseconds: as long as that, not an overflow
        final PromotionRule forever = PromotionRule.builder().ttl(Duration.ofDays(365L * 1000)).demoteAfterIdle(Duration.ofDays(365L * 1000)).build();
        assertEquals(Long.MAX_VALUE, forever.ttlNanos());
        assertEquals(Long.MAX_VALUE, forever.demoteAfterIdleNanos());
        assertEquals(1_000_000, PromotionRule.builder().ttl(Duration.ofMillis(1)).build().ttlNanos());
    }
}
