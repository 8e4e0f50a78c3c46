package dev.tiercache.policy;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class FrequencySketchTest
{
    @Test
    void frequency_neverUnderestimates_andSaturates()
    {
        final FrequencySketch sketch = new FrequencySketch(1000);
        for (long key = 0; key < 500; key++)
        {
            for (int i = 0; i < key % 20; i++)
            {
                sketch.increment(key);
            }
        }
        for (long key = 0; key < 500; key++)
        {
            final int f = sketch.frequency(key);
            assertTrue(f >= Math.min(FrequencySketch.MAX_FREQUENCY, key % 20), "key=" + key + " frequency=" + f);
            assertTrue(f <= FrequencySketch.MAX_FREQUENCY);
        }
    }

    @Test
    void aging_halvesCounts()
    {
        final FrequencySketch sketch = new FrequencySketch(16);
        for (int i = 0; i < 8; i++)
        {
            sketch.increment(42);
        }
        assertEquals(8, sketch.frequency(42));
        // Other keys may collide with 42 and raise its estimate a little before the halving.
        long other = 1_000_000;
        while (sketch.frequency(42) >= 8 && other < 2_000_000)
        {
            sketch.increment(other++);
        }
        final int aged = sketch.frequency(42);
        assertTrue(aged >= 4 && aged <= 5, "aged=" + aged + " after " + (other - 1_000_000) + " increments");
    }

    @Test
    void lowerFloor_agesAfterTenTimesTheLevelsEntries()
    {
        final FrequencySketch fast = new FrequencySketch(61, 64);
        final FrequencySketch slow = new FrequencySketch(61);
        assertEquals(64, fast.expectedEntries());
        assertEquals(FrequencySketch.MIN_ENTRIES, slow.expectedEntries());
        for (int i = 0; i < 8; i++)
        {
            fast.increment(42);
            slow.increment(42);
        }
        for (long other = 1_000_000; other < 1_000_000 + 10 * 64; other++)
        {
            fast.increment(other);
            slow.increment(other);
        }
        assertTrue(fast.frequency(42) <= 5, "fast=" + fast.frequency(42) + " not halved after 10 x 64 increments");
        assertTrue(slow.frequency(42) >= 8, "slow=" + slow.frequency(42) + " halved before 10 x 4096 increments");
        assertThrows(IllegalArgumentException.class, () -> new FrequencySketch(61, 48));
    }

    @Test
    void width_growsWithTheDistinctKeys_andKeepsEveryCount()
    {
        final FrequencySketch sketch = new FrequencySketch(1000);
        assertEquals(4096, sketch.width());
        final int keys = 40_000;
        for (long key = 0; key < keys; key++)
        {
            sketch.increment(key * 0x9E37_79B9_7F4A_7C15L);
        }
        // 40 000 keys in one aging period crowd 4 096 * 4 counters a row: the sketch widens, up to 16 times its expected entries
        assertEquals(FrequencySketch.MAX_WIDTH_FACTOR * 4096, sketch.width());
        int zeros = 0;
        for (long key = 0; key < keys; key++)
        {
            zeros += sketch.frequency(key * 0x9E37_79B9_7F4A_7C15L) == 0 ? 1 : 0;
        }
        assertEquals(0, zeros, "keys whose count was lost in a resize");
    }

    @Test
    void resize_keepsCounts_inBothDirections()
    {
        final FrequencySketch sketch = new FrequencySketch(100_000);
        for (long key = 0; key < 300; key++)
        {
            for (int i = 0; i < key % 9; i++)
            {
                sketch.increment(key);
            }
        }
        assertEquals(1 << 17, sketch.width());
        // from 131 072 expected entries to 4 096: the width is cut to its bound, 16 times the new estimate
        sketch.resize(1_000);
        assertEquals(4096, sketch.expectedEntries());
        assertEquals(FrequencySketch.MAX_WIDTH_FACTOR * 4096, sketch.width());
        for (long key = 0; key < 300; key++)
        {
            assertTrue(sketch.frequency(key) >= key % 9, "after shrinking, key=" + key + " frequency=" + sketch.frequency(key));
        }
        sketch.resize(300_000);
        assertEquals(1 << 19, sketch.width());
        for (long key = 0; key < 300; key++)
        {
            assertTrue(sketch.frequency(key) >= key % 9, "after growing, key=" + key + " frequency=" + sketch.frequency(key));
        }
    }

    @Test
    void constructor_rejectsNonPositiveSize()
    {
        assertThrows(IllegalArgumentException.class, () -> new FrequencySketch(0));
    }
}
