package dev.tiercache.tools.simulate;

/**
 * What one replay of a trace through one policy at one capacity counted.
 *
 * @param trace          the trace's name.
 * @param policy         the policy's name.
 * @param capacity       entries, or bytes for a sized trace.
 * @param requests       requests replayed.
 * @param hits           requests served from the cache.
 * @param requestedBytes total size of all requests (equals {@code requests} for unsized traces).
 * @param hitBytes       total size of the hits.
 */
public record SimulationResult(
    String trace, String policy, long capacity, long requests, long hits, long requestedBytes, long hitBytes)
{
    /**
     * Requests not served from the cache.
     *
     * @return {@code requests - hits}.
     */
    public long misses()
    {
        return requests - hits;
    }

    /**
     * The fraction of requests that hit.
     *
     * @return hits / requests, {@code 0} for an empty trace.
     */
    public double hitRatio()
    {
        return requests == 0 ? 0 : (double)hits / requests;
    }

    /**
     * The fraction of requested bytes that hit.
     *
     * @return hitBytes / requestedBytes, {@code 0} for an empty trace.
     */
    public double byteHitRatio()
    {
        return requestedBytes == 0 ? 0 : (double)hitBytes / requestedBytes;
    }
}
