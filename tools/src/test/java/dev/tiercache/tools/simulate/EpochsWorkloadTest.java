package dev.tiercache.tools.simulate;

import org.junit.jupiter.api.Test;

import java.util.Arrays;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;

class EpochsWorkloadTest
{
    @Test
    void everyEpoch_isAPermutation_inANewOrder()
    {
        final Trace trace = EpochsWorkload.parse("epochs:100,3,9").generate();
        assertEquals(300, trace.length());
        assertEquals(100, trace.distinctKeys());
        final long[] keys = TraceReaderTest.keys(trace);
        final long[] first = Arrays.copyOfRange(keys, 0, 100);
        final long[] second = Arrays.copyOfRange(keys, 100, 200);
        assertFalse(Arrays.equals(first, second));
        for (int e = 0; e < 3; e++)
        {
            final long[] epoch = Arrays.copyOfRange(keys, e * 100, e * 100 + 100);
            Arrays.sort(epoch);
            for (int i = 0; i < 100; i++)
            {
                assertEquals(i, epoch[i]);
            }
        }
        assertArrayEquals(keys, TraceReaderTest.keys(new EpochsWorkload(100, 3, 9).generate()));
    }

    @Test
    void parse_rejectsMalformedSpecs()
    {
        assertThrows(IllegalArgumentException.class, () -> EpochsWorkload.parse("epochs:1,2"));
        assertThrows(IllegalArgumentException.class, () -> EpochsWorkload.parse("zipf:1,2,3"));
        assertThrows(IllegalArgumentException.class, () -> EpochsWorkload.parse("epochs:a,2,3"));
        assertThrows(IllegalArgumentException.class, () -> EpochsWorkload.parse("epochs:0,2,3"));
    }
}
