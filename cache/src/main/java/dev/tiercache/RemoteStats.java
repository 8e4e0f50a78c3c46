package dev.tiercache;

import java.util.Locale;

/**
 * A snapshot of L4's figures (see {@link RemoteSettings}).
 *
 * @param on               whether L4 is in use now.
 * @param offReason        why not, or {@code null}; never contains a password.
 * @param target           where L4 points, password replaced by {@code ***}, and the namespace.
 * @param lookups          local misses that asked L4 (one per key, batched or not).
 * @param hits             lookups that L4 answered with a verified value.
 * @param corrupt          values that failed verification (checksum, length, specs, key): counted as misses.
 * @param errors           calls that failed (timeouts, unreachable nodes, refusals).
 * @param bytesIn          value bytes read from L4.
 * @param bytesOut         value bytes written to L4.
 * @param writes           values written.
 * @param queuedBytes      bytes waiting in the write-behind queue now.
 * @param dropped          writes dropped: the queue was full, or L4 was off.
 * @param tooLarge         writes skipped because the value is over the server's limit, or it refused it.
 * @param roundTrips       remote calls timed.
 * @param roundTripNanos   their total time.
 * @param maxRoundTripNanos the longest of them.
 * @param turnedOff        times L4 turned off.
 * @param maxReadRoundTripBytes the most value bytes one round trip of a batch read brought (a batch
 *                         goes in round trips of about 16 MiB: see {@link TierCache#fetchFromRemote}).
 */
public record RemoteStats(
    boolean on,
    String offReason,
    String target,
    long lookups,
    long hits,
    long corrupt,
    long errors,
    long bytesIn,
    long bytesOut,
    long writes,
    long queuedBytes,
    long dropped,
    long tooLarge,
    long roundTrips,
    long roundTripNanos,
    long maxRoundTripNanos,
    long turnedOff,
    long maxReadRoundTripBytes)
{
    private static final double MB = 1024.0 * 1024.0;

    /**
     * Lookups L4 could not answer.
     *
     * @return lookups minus hits.
     */
    public long misses()
    {
        return lookups - hits;
    }

    /**
     * Mean round trip.
     *
     * @return nanoseconds, 0 before the first call.
     */
    public long meanRoundTripNanos()
    {
        return roundTrips == 0 ? 0 : roundTripNanos / roundTrips;
    }

    /**
     * One line, e.g.
     * {@code L4 (remote) - redis://cache:6379 ns=imagenet.v3, Lookups: 5000, Hit rate: 99.0%, ...}.
     */
    @Override
    public String toString()
    {
        final String head = "L4 (remote) - " + target + (on ? "" : " off: " + offReason) + ", ";
        return head + String.format(Locale.ROOT,
            "Lookups: %d, Hit rate: %.1f%%, In: %.1fMB, Out: %.1fMB, Errors: %d, Corrupt: %d, Dropped: %d, Too large: %d, RTT mean/max: %.2f/%.2fms",
            lookups, lookups == 0 ? 0.0 : 100.0 * hits / lookups, bytesIn / MB, bytesOut / MB, errors, corrupt, dropped, tooLarge,
            meanRoundTripNanos() / 1e6, maxRoundTripNanos / 1e6);
    }
}
