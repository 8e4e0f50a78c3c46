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
    void constructor_rejectsNonPositiveSize()
    {
        assertThrows(IllegalArgumentException.class, () -> new FrequencySketch(0));
    }
}
