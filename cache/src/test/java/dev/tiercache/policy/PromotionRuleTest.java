package dev.tiercache.policy;

import dev.tiercache.index.EntryIndex;
import dev.tiercache.index.IndexSlotDescriptor;
import org.junit.jupiter.api.Test;

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
        final PromotionRule rule = PromotionRule.builder().ttlNanos(1000).demoteAfterIdleNanos(500).build();
        try (EntryIndex index = new EntryIndex(4))
        {
            final int slot = index.insert(1);
            index.lastAccessNanos(slot, 10_000);
            assertFalse(rule.isIdle(index, slot, 10_499));
            assertTrue(rule.isIdle(index, slot, 10_500));
            assertFalse(rule.isExpired(index, slot, Long.MAX_VALUE));
            index.expiresAtNanos(slot, rule.expiresAtNanos(10_000));
            assertFalse(rule.isExpired(index, slot, 10_999));
            assertTrue(rule.isExpired(index, slot, 11_000));
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
}
