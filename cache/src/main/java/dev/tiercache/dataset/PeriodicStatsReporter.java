package dev.tiercache.dataset;

import dev.tiercache.TierCache;

import java.io.PrintWriter;
import java.util.Locale;

/**
 * Prints a cache's statistics (one line per level and a total, as {@link dev.tiercache.CacheStats}
 * formats them) every {@code everyBatches} batches or every {@code everyNanos}, whichever comes
 * first; a training loop calls {@link #onBatch()} once per batch.
 *
 * <p>Not thread-safe: one training thread calls it.
 */
public final class PeriodicStatsReporter
{
    private final TierCache cache;
    private final PrintWriter out;
    private final long everyBatches;
    private final long everyNanos;
    private final long startNanos = System.nanoTime();
    private long batches;
    private long lastBatch;
    private long lastNanos = startNanos;

    /**
     * A reporter.
     *
     * @param cache        whose statistics.
     * @param out          where they go.
     * @param everyBatches print after this many batches; 0 for never by count.
     * @param everyNanos   print after this much time; 0 for never by time.
     */
    public PeriodicStatsReporter(final TierCache cache, final PrintWriter out, final long everyBatches, final long everyNanos)
    {
        if (everyBatches < 0 || everyNanos < 0)
        {
            throw new IllegalArgumentException("everyBatches=" + everyBatches + ", everyNanos=" + everyNanos + ": must be >= 0");
        }
        this.cache = cache;
        this.out = out;
        this.everyBatches = everyBatches;
        this.everyNanos = everyNanos;
    }

    /**
     * Counts a batch and prints when one of the periods has passed.
     *
     * @return true when it printed.
     */
    public boolean onBatch()
    {
        batches++;
        final long now = System.nanoTime();
        if ((everyBatches > 0 && batches - lastBatch >= everyBatches) || (everyNanos > 0 && now - lastNanos >= everyNanos))
        {
            report(now);
            return true;
        }
        return false;
    }

    /**
     * Prints now, whatever the periods say.
     */
    public void report()
    {
        report(System.nanoTime());
    }

    /**
     * Batches counted so far.
     *
     * @return the count.
     */
    public long batches()
    {
        return batches;
    }

    private void report(final long now)
    {
        lastBatch = batches;
        lastNanos = now;
        out.println(String.format(Locale.ROOT, "[stats] batch %d, %.1f s", batches, (now - startNanos) / 1e9));
        out.println(cache.stats());
        out.flush();
    }
}
