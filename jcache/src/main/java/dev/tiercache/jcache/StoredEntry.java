package dev.tiercache.jcache;

/**
 * What the heap keeps for one JCache entry: the key (a copy), the {@code long} key its bytes have in
 * the TierCache, and when it expires. Fields other than the final ones are guarded by the key's
 * stripe lock.
 */
final class StoredEntry
{
    /** Expiry time of an entry that never expires. */
    static final long ETERNAL = Long.MAX_VALUE;

    final Object key;
    final long id;
    // @GuardedBy("stripe of key")
    long expiresAtMillis;

    StoredEntry(final Object key, final long id, final long expiresAtMillis)
    {
        this.key = key;
        this.id = id;
        this.expiresAtMillis = expiresAtMillis;
    }

    boolean isExpiredAt(final long nowMillis)
    {
        return expiresAtMillis <= nowMillis;
    }
}
