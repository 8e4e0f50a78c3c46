package dev.tiercache.store;

import java.lang.foreign.MemorySegment;
import java.util.Objects;

/**
 * A live entry found by {@link FileStore#recover()}: enough to rebuild the cache's index slot
 * without reading the value.
 *
 * @param location     the entry's location, for {@link FileStore#read(long, MemorySegment)}.
 * @param keyHash      the key's hash as appended.
 * @param sequence     the entry's sequence; higher is newer.
 * @param codecId      0 for raw, else the codec that compressed it.
 * @param rawLength    bytes a read restores.
 * @param storedLength bytes on disk.
 * @param key          a read-only copy of the key bytes (on the heap, valid after close).
 * @param meta         a read-only copy of the meta bytes (on the heap, valid after close).
 */
public record RecoveredEntry(
    long location,
    long keyHash,
    long sequence,
    int codecId,
    long rawLength,
    long storedLength,
    MemorySegment key,
    MemorySegment meta)
{
    /**
     * Checks the segments are present and read-only.
     *
     * @param location     the entry's location.
     * @param keyHash      the key's hash.
     * @param sequence     the entry's sequence.
     * @param codecId      the codec id.
     * @param rawLength    bytes a read restores.
     * @param storedLength bytes on disk.
     * @param key          the key bytes, read-only.
     * @param meta         the meta bytes, read-only.
     */
    public RecoveredEntry
    {
        Objects.requireNonNull(key, "key");
        Objects.requireNonNull(meta, "meta");
        if (!key.isReadOnly() || !meta.isReadOnly())
        {
            throw new IllegalArgumentException("key and meta must be read-only copies");
        }
    }
}
