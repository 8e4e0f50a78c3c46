package dev.tiercache;

import org.junit.jupiter.api.Test;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.reflect.Field;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The promotion queue starts small and doubles while full, up to its bound, keeping its requests
 * in order; at the bound a request is dropped, as before the queue grew.
 */
class PromotionQueueTest
{
    @Test
    void queue_growsWhileFull_keepsTheOrder_andDropsAtItsBound() throws ReflectiveOperationException
    {
        final int maxEntries = 300;
        try (TierCache cache = TierCache.builder().useGpu(false).hostBytes(1L << 20).maxEntries(maxEntries).build();
             Arena arena = Arena.ofConfined())
        {
            final MemorySegment value = arena.allocate(8);
            for (long key = 0; key < maxEntries; key++)
            {
                cache.put(key, value);
            }
            assertEquals(maxEntries, cache.size(), "every entry fits in L2");
            final AccessDrain drain = (AccessDrain) field(cache, "accessDrain");
            final CacheCore core = (CacheCore) field(cache, "core");
            core.lock.lock();
            try
            {
                assertEquals(AccessDrain.MIN_PENDING_PROMOTIONS, drain.promotionQueueLength());
                // the mover cannot take one while the lock is held: take a few first, so the ring wraps before it grows
                for (long key = 0; key < 10; key++)
                {
                    drain.requestPromotion(drain.findLongLocked(key));
                }
                for (long key = 0; key < 10; key++)
                {
                    assertEquals(key, drain.pollPromotion());
                }
                for (long key = 10; key < maxEntries; key++)
                {
                    drain.requestPromotion(drain.findLongLocked(key));
                    final int queued = (int) (key - 9);
                    final int expectedLength = queued <= 64 ? 64 : queued <= 128 ? 128 : queued <= 256 ? 256 : maxEntries;
                    assertEquals(expectedLength, drain.promotionQueueLength(), "after " + queued + " requests");
                }
                for (long key = 10; key < maxEntries; key++)
                {
                    assertTrue(drain.hasPromotions(), "key " + key + " is queued");
                    assertEquals(key, drain.pollPromotion(), "requests leave in the order they came");
                }
                assertFalse(drain.hasPromotions());
                clearQueuedFlags(core, drain, maxEntries);
                for (long key = 0; key < maxEntries; key++)
                {
                    drain.requestPromotion(drain.findLongLocked(key));
                }
                assertEquals(maxEntries, drain.promotionQueueLength(), "the bound: maxEntries below 65 536");
                // one request more than the bound is dropped: the slot is not marked queued
                final int first = drain.findLongLocked(0);
                core.index.flags(first, (byte) (core.index.flags(first) & ~CacheRoom.FLAG_QUEUED));
                drain.requestPromotion(first);
                assertEquals(0, core.index.flags(first) & CacheRoom.FLAG_QUEUED, "dropped at the bound");
                int taken = 0;
                while (drain.hasPromotions())
                {
                    assertEquals(taken, drain.pollPromotion());
                    taken++;
                }
                assertEquals(maxEntries, taken, "the queue held its bound, no more");
                clearQueuedFlags(core, drain, maxEntries);
            }
            finally
            {
                core.lock.unlock();
            }
        }
    }

    /** What the mover does when it takes a request: the slot may ask again. */
    private static void clearQueuedFlags(final CacheCore core, final AccessDrain drain, final int keys)
    {
        for (long key = 0; key < keys; key++)
        {
            final int slot = drain.findLongLocked(key);
            core.index.flags(slot, (byte) (core.index.flags(slot) & ~CacheRoom.FLAG_QUEUED));
        }
    }

    private static Object field(final Object owner, final String name) throws ReflectiveOperationException
    {
        final Field field = owner.getClass().getDeclaredField(name);
        field.setAccessible(true);
        return field.get(owner);
    }
}
