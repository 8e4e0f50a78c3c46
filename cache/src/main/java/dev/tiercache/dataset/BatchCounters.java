package dev.tiercache.dataset;

import dev.tiercache.Tier;

import java.util.concurrent.atomic.LongAdder;

/**
 * The counters behind {@link BatchStats}: striped adders, so loader threads reading batches at once
 * do not contend on one word. A snapshot is not atomic across counters (each is exact on its own).
 */
final class BatchCounters
{
    private final LongAdder deviceReads = new LongAdder();
    private final LongAdder hostReads = new LongAdder();
    private final LongAdder fileReads = new LongAdder();
    private final LongAdder loads = new LongAdder();
    private final LongAdder readNanos = new LongAdder();
    private final LongAdder fileWaitNanos = new LongAdder();
    private final LongAdder loadNanos = new LongAdder();
    private final LongAdder normalizeNanos = new LongAdder();

    void read(final Tier tier, final long nanos)
    {
        switch (tier)
        {
            case DEVICE ->
            {
                deviceReads.increment();
                readNanos.add(nanos);
            }
            case HOST ->
            {
                hostReads.increment();
                readNanos.add(nanos);
            }
            case FILE ->
            {
                fileReads.increment();
                fileWaitNanos.add(nanos);
            }
        }
    }

    void loaded(final long nanos)
    {
        loads.increment();
        loadNanos.add(nanos);
    }

    void normalized(final long nanos)
    {
        normalizeNanos.add(nanos);
    }

    BatchStats snapshot()
    {
        return new BatchStats(deviceReads.sum(), hostReads.sum(), fileReads.sum(), loads.sum(), readNanos.sum(), fileWaitNanos.sum(),
            loadNanos.sum(), normalizeNanos.sum());
    }
}
