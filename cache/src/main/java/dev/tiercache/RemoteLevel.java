package dev.tiercache;

import dev.tiercache.remote.RemoteStore;
import dev.tiercache.remote.RemoteStoreException;
import dev.tiercache.remote.RemoteStoreProvider;
import dev.tiercache.remote.RemoteStores;
import dev.tiercache.store.FileStore;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;

/**
 * L4: a shared level on a remote key-value server below L3 (decision record 0020). It reads on a
 * local miss, writes behind on a put (or when L3 drops an entry), and turns itself off when the
 * server does not answer.
 *
 * <h2>Values</h2>
 * The key of an entry is {@code tc:<namespace>:} followed by {@code l} and the decimal long key,
 * {@code s} and the UTF-8 String key, or {@code b} and the raw byte[] key; the value is laid out
 * by {@link RemoteValueDescriptor} and verified on every read. A value that fails verification is a
 * counted miss, never returned; the next put of that key writes a good one over it.
 *
 * <h2>Failure</h2>
 * Every remote call is bounded by the store's timeout. A call that finds the whole server gone (or
 * slow past the timeout) turns L4 off with the reason: from then on a read misses at once, a write
 * is dropped and counted, and nothing above L4 waits for it. The write-behind thread then probes the
 * server every {@link #PROBE_INTERVAL_NANOS} (opening a fresh connection) and turns L4 back on when
 * it answers. A failure of one cluster node is a miss for its keys only.
 *
 * <h2>Concurrency</h2>
 * Reads run on the caller's thread, concurrently, through the thread-safe store. Writes go through a
 * queue bounded in bytes to one daemon thread, which is also the only thread that turns L4 back on
 * and replaces the store. The store reference and the off reason are volatile; a reader that races
 * a replacement uses the old store, fails, and counts an error.
 */
final class RemoteLevel implements AutoCloseable
{
    static final long PROBE_INTERVAL_NANOS = 300_000_000L;
    /**
     * Value bytes one round trip of a batch read asks for: {@link #fetchAll} sends a batch's keys
     * in groups of about this many bytes, sized by the largest value it has seen lately.
     */
    static final long BATCH_ROUND_TRIP_BYTES = 16L << 20;
    /** Keys one round trip of a batch read asks for at most, whatever their size. */
    static final int BATCH_ROUND_TRIP_KEYS = 512;
    private static final long CLOSE_FLUSH_NANOS = 10_000_000_000L;
    private static final System.Logger LOG = System.getLogger(RemoteLevel.class.getName());

    private final RemoteSettings settings;
    private final String cacheName;
    private final RemoteStoreProvider provider;
    private final byte[] prefix;
    private final String target;
    private final long ttlMillis;
    private volatile RemoteStore store;
    private volatile String offReason;
    private volatile long maxValueBytes = Long.MAX_VALUE;

    private final ReentrantLock queueLock = new ReentrantLock();
    private final Condition queueChanged = queueLock.newCondition();
    // @GuardedBy("queueLock")
    private final ArrayDeque<Write> queue = new ArrayDeque<>();
    // @GuardedBy("queueLock")
    private long queuedBytes;
    // @GuardedBy("queueLock")
    private boolean writing;
    // @GuardedBy("queueLock")
    private boolean closed;
    private final Thread writer;

    private final LongAdder lookups = new LongAdder();
    private final LongAdder hits = new LongAdder();
    private final LongAdder corrupt = new LongAdder();
    private final LongAdder errors = new LongAdder();
    private final LongAdder bytesIn = new LongAdder();
    private final LongAdder bytesOut = new LongAdder();
    private final LongAdder writes = new LongAdder();
    private final LongAdder dropped = new LongAdder();
    private final LongAdder tooLarge = new LongAdder();
    private final LongAdder roundTrips = new LongAdder();
    private final LongAdder roundTripNanos = new LongAdder();
    private final AtomicLong maxRoundTripNanos = new AtomicLong();
    private final AtomicLong maxReadRoundTripBytes = new AtomicLong();
    /** The largest value of the last read round trip that found any (a single get's too), or of a write since; 0 before. */
    private final AtomicLong valueBytesHint = new AtomicLong();
    private final LongAdder turnedOff = new LongAdder();

    private record Write(byte[] key, byte[] value)
    {
    }

    private RemoteLevel(final String cacheName, final RemoteSettings settings, final RemoteStoreProvider provider, final RemoteStore given)
    {
        this.settings = settings;
        this.cacheName = cacheName;
        this.provider = provider;
        this.prefix = RemoteStores.prefix(settings.namespace());
        this.target = RemoteSettings.redact(settings.uri()) + " ns=" + settings.namespace();
        this.ttlMillis = settings.ttl().toMillis();
        if (given != null)
        {
            attach(given);
        }
        else
        {
            tryOpen(true);
        }
        this.writer = Thread.ofPlatform().daemon().name("tiercache-" + cacheName + "-l4").unstarted(this::runWriter);
        writer.start();
    }

    /**
     * Opens L4 through the provider of the URI's scheme (found with {@link java.util.ServiceLoader}), or over
     * a store given directly. A server that cannot be reached now leaves L4 off with the reason,
     * and it comes on once the server answers.
     *
     * @throws IllegalArgumentException when no provider knows the scheme.
     */
    static RemoteLevel open(final String cacheName, final RemoteSettings settings, final RemoteStore given)
    {
        return new RemoteLevel(cacheName, settings,
            given != null ? null : RemoteStores.provider(settings.uri(), RemoteSettings.redact(settings.uri())), given);
    }

    /**
     * Opens a store; a server that does not answer turns L4 off. A setting the provider refuses
     * (a malformed URI, an unreadable CA file) is thrown when the cache is built, and turns L4
     * off with its message when it appears later (a CA file removed while the cache runs).
     */
    private void tryOpen(final boolean building)
    {
        try
        {
            attach(provider.open(settings.parsedUri(), settings));
        }
        catch (final RemoteStoreException ex)
        {
            turnOff("cannot connect: " + ex.getMessage());
        }
        catch (final IllegalArgumentException ex)
        {
            if (building)
            {
                throw ex;
            }
            turnOff("cannot connect: " + ex.getMessage());
        }
        catch (final RuntimeException ex)
        {
            turnOff("cannot connect: " + ex.getClass().getSimpleName());
        }
    }

    private void attach(final RemoteStore opened)
    {
        try
        {
            opened.ping();
            maxValueBytes = opened.maxValueBytes();
            store = opened;
            if (offReason != null)
            {
                LOG.log(System.Logger.Level.INFO, "tiercache " + cacheName + ": L4 " + target + " is back on");
            }
            offReason = null;
        }
        catch (final RemoteStoreException ex)
        {
            opened.close();
            turnOff("no answer: " + ex.getMessage());
        }
    }

    private void turnOff(final String reason)
    {
        if (offReason == null)
        {
            turnedOff.increment();
            LOG.log(System.Logger.Level.WARNING, "tiercache " + cacheName + ": L4 " + target + " off: " + reason);
        }
        offReason = reason;
        queueLock.lock();
        try
        {
            dropQueuedLocked();
            queueChanged.signalAll();
        }
        finally
        {
            queueLock.unlock();
        }
    }

    /** Drops what waits in the queue; a write in flight keeps its bytes counted until it ends. */
    private void dropQueuedLocked()
    {
        for (final Write write : queue)
        {
            queuedBytes -= write.value.length;
        }
        dropped.add(queue.size());
        queue.clear();
    }

    boolean isOn()
    {
        return offReason == null;
    }

    // ---------------------------------------------------------------------------------------
    // keys
    // ---------------------------------------------------------------------------------------

    byte[] remoteKey(final int keyKind, final MemorySegment key)
    {
        final byte[] suffix = switch (keyKind)
        {
            case EntryMetaDescriptor.KEY_KIND_LONG -> ("l" + key.get(ValueLayout.JAVA_LONG_UNALIGNED, 0)).getBytes(StandardCharsets.US_ASCII);
            case EntryMetaDescriptor.KEY_KIND_STRING -> concat(new byte[] {'s'}, key.toArray(ValueLayout.JAVA_BYTE));
            case EntryMetaDescriptor.KEY_KIND_BYTES -> concat(new byte[] {'b'}, key.toArray(ValueLayout.JAVA_BYTE));
            default -> throw new IllegalArgumentException("keyKind=" + keyKind);
        };
        return concat(prefix, suffix);
    }

    byte[] remoteKey(final long key)
    {
        return concat(prefix, ("l" + key).getBytes(StandardCharsets.US_ASCII));
    }

    static MemorySegment longKeyBytes(final long key)
    {
        final MemorySegment bytes = MemorySegment.ofArray(new byte[Long.BYTES]);
        bytes.set(ValueLayout.JAVA_LONG_UNALIGNED, 0, key);
        return bytes;
    }

    private static byte[] concat(final byte[] a, final byte[] b)
    {
        final byte[] out = new byte[a.length + b.length];
        System.arraycopy(a, 0, out, 0, a.length);
        System.arraycopy(b, 0, out, a.length, b.length);
        return out;
    }

    // ---------------------------------------------------------------------------------------
    // reads
    // ---------------------------------------------------------------------------------------

    /**
     * Reads and verifies one entry.
     *
     * @return its parts (views of the value read), or {@code null} on a miss, a bad value, a
     *         failure or while L4 is off.
     */
    Part[] fetch(final int keyKind, final MemorySegment key)
    {
        final RemoteStore current = store;
        if (offReason != null || current == null)
        {
            return null;
        }
        lookups.increment();
        final long start = System.nanoTime();
        final byte[] value;
        try
        {
            value = current.get(remoteKey(keyKind, key));
        }
        catch (final RemoteStoreException ex)
        {
            failed(ex);
            return null;
        }
        finally
        {
            timed(start);
        }
        if (value != null)
        {
            valueBytesHint.set(value.length);
        }
        return accept(value, keyKind, key);
    }

    /** Receives the entries of a batch read as each round trip brings them. */
    interface FetchSink
    {
        /**
         * One key's answer.
         *
         * @param index the key's position in the batch.
         * @param parts its verified parts (views of a value the caller may drop once stored).
         */
        void found(int index, Part[] parts);
    }

    /**
     * Reads and verifies many long-keyed entries pipelined, in round trips bounded in bytes: the
     * keys go in groups of {@link #BATCH_ROUND_TRIP_BYTES} over the largest value seen lately (at
     * least one key, at most {@link #BATCH_ROUND_TRIP_KEYS}); with no value seen yet, one key, then
     * twice as many each time a group finds nothing. Each group's entries are handed to the sink
     * before the next is asked for, so the heap holds one group's values at a time. A value larger
     * than the budget travels alone; values much larger than those seen before can make one group
     * larger than the budget, after which the groups shrink to fit.
     *
     * @param keys the keys.
     * @param sink told each key found, in order; a key not told is a miss (absent, bad, failed, or L4 off).
     */
    void fetchAll(final long[] keys, final FetchSink sink)
    {
        int from = 0;
        int blindKeys = 1;
        while (from < keys.length)
        {
            final RemoteStore current = store;
            if (offReason != null || current == null)
            {
                return;
            }
            final long hint = valueBytesHint.get();
            final int count = Math.min(keys.length - from,
                hint > 0 ? Math.clamp(BATCH_ROUND_TRIP_BYTES / hint, 1, BATCH_ROUND_TRIP_KEYS) : blindKeys);
            lookups.add(count);
            final List<byte[]> remoteKeys = new ArrayList<>(count);
            for (int i = from; i < from + count; i++)
            {
                remoteKeys.add(remoteKey(keys[i]));
            }
            final long start = System.nanoTime();
            final List<byte[]> values;
            try
            {
                values = current.getAll(remoteKeys);
            }
            catch (final RemoteStoreException ex)
            {
                failed(ex);
                return;
            }
            finally
            {
                timed(start);
            }
            long largest = 0;
            long bytes = 0;
            for (int i = 0; i < count; i++)
            {
                final byte[] value = values.get(i);
                if (value == RemoteStore.FAILED)
                {
                    errors.increment();
                    continue;
                }
                if (value != null)
                {
                    largest = Math.max(largest, value.length);
                    bytes += value.length;
                }
                final Part[] parts = accept(value, EntryMetaDescriptor.KEY_KIND_LONG, longKeyBytes(keys[from + i]));
                if (parts != null)
                {
                    sink.found(from + i, parts);
                }
            }
            maxReadRoundTripBytes.accumulateAndGet(bytes, Math::max);
            if (largest > 0)
            {
                valueBytesHint.set(largest);
            }
            else if (hint <= 0)
            {
                blindKeys = Math.min(BATCH_ROUND_TRIP_KEYS, blindKeys * 2);
            }
            from += count;
        }
    }

    private Part[] accept(final byte[] value, final int keyKind, final MemorySegment key)
    {
        if (value == null)
        {
            return null;
        }
        String bad;
        try
        {
            bad = RemoteValueDescriptor.verify(value, keyKind, key);
        }
        catch (final RuntimeException ex)
        {
            bad = "unreadable specs: " + ex.getMessage();
        }
        if (bad != null)
        {
            corrupt.increment();
            LOG.log(System.Logger.Level.WARNING, "tiercache " + cacheName + ": L4 value of " + value.length + " bytes skipped: " + bad);
            return null;
        }
        hits.increment();
        bytesIn.add(value.length);
        return RemoteValueDescriptor.parts(value);
    }

    private void failed(final RemoteStoreException ex)
    {
        errors.increment();
        if (ex.wholeStore())
        {
            turnOff(ex.getMessage());
        }
    }

    private void timed(final long start)
    {
        final long took = System.nanoTime() - start;
        roundTrips.increment();
        roundTripNanos.add(took);
        maxRoundTripNanos.accumulateAndGet(took, Math::max);
    }

    // ---------------------------------------------------------------------------------------
    // writes
    // ---------------------------------------------------------------------------------------

    boolean writesOnPut()
    {
        return settings.writeOnPut();
    }

    boolean writesOnEviction()
    {
        return settings.writeOnEviction();
    }

    /**
     * Queues a put's entry to be written behind; copies the parts now. Never waits.
     */
    void writeBehind(final int keyKind, final MemorySegment key, final Part[] parts)
    {
        final long length = RemoteValueDescriptor.encodedLength(key, parts);
        valueBytesHint.accumulateAndGet(length, Math::max);
        if (admit(length))
        {
            enqueue(new Write(remoteKey(keyKind, key), RemoteValueDescriptor.encode(keyKind, key, parts)), length);
        }
    }

    /**
     * Queues an L3 entry that is about to be dropped; reads it from the file now (the caller holds
     * the file's lock, its region is not yet written over).
     */
    void writeEvicted(final FileStore file, final long location)
    {
        final long raw = file.rawLength(location);
        final MemorySegment meta = file.meta(location);
        if (raw < 0 || meta == null)
        {
            return;
        }
        final long length = RemoteValueDescriptor.HEADER_LENGTH + meta.byteSize() + raw;
        if (!admit(length))
        {
            return;
        }
        try (Arena arena = Arena.ofConfined())
        {
            final MemorySegment payload = arena.allocate(Math.max(1, raw));
            if (file.read(location, payload) != raw)
            {
                return;
            }
            final byte[] key = remoteKey(EntryMetaDescriptor.keyKind(meta), EntryMetaDescriptor.key(meta));
            enqueue(new Write(key, RemoteValueDescriptor.encode(meta, payload.asSlice(0, raw))), length);
        }
    }

    private boolean admit(final long length)
    {
        if (offReason != null)
        {
            dropped.increment();
            return false;
        }
        if (length > maxValueBytes)
        {
            tooLarge.increment();
            return false;
        }
        queueLock.lock();
        try
        {
            if (closed || queuedBytes + length > settings.queueBytes())
            {
                dropped.increment();
                return false;
            }
            return true;
        }
        finally
        {
            queueLock.unlock();
        }
    }

    private void enqueue(final Write write, final long length)
    {
        queueLock.lock();
        try
        {
            // checked again: the queue may have filled while the value was encoded
            if (closed || offReason != null || queuedBytes + length > settings.queueBytes())
            {
                dropped.increment();
                return;
            }
            queue.add(write);
            queuedBytes += write.value.length;
            queueChanged.signalAll();
        }
        finally
        {
            queueLock.unlock();
        }
    }

    private void runWriter()
    {
        long nextProbe = 0;
        final List<Write> group = new ArrayList<>();
        while (true)
        {
            long groupBytes = 0;
            queueLock.lock();
            try
            {
                while (!closed && (queue.isEmpty() || offReason != null))
                {
                    if (offReason != null && System.nanoTime() - nextProbe >= 0)
                    {
                        break;
                    }
                    queueChanged.awaitNanos(PROBE_INTERVAL_NANOS);
                }
                if (closed && (queue.isEmpty() || offReason != null))
                {
                    return;
                }
                // what is queued goes in one pipelined exchange of at most the batch budget (a larger value alone)
                while (offReason == null && !queue.isEmpty() && group.size() < BATCH_ROUND_TRIP_KEYS &&
                    (group.isEmpty() || groupBytes + queue.peek().value.length <= BATCH_ROUND_TRIP_BYTES))
                {
                    final Write write = queue.poll();
                    group.add(write);
                    groupBytes += write.value.length;
                }
                writing = !group.isEmpty();
            }
            catch (final InterruptedException ex)
            {
                return;
            }
            finally
            {
                queueLock.unlock();
            }
            if (group.isEmpty())
            {
                probe();
                nextProbe = System.nanoTime() + PROBE_INTERVAL_NANOS;
                continue;
            }
            try
            {
                send(group);
            }
            finally
            {
                queueLock.lock();
                try
                {
                    queuedBytes -= groupBytes;
                    writing = false;
                    queueChanged.signalAll();
                }
                finally
                {
                    queueLock.unlock();
                }
                group.clear();
            }
        }
    }

    private void send(final List<Write> group)
    {
        final RemoteStore current = store;
        if (current == null || offReason != null)
        {
            dropped.add(group.size());
            return;
        }
        final List<byte[]> keys = new ArrayList<>(group.size());
        final List<byte[]> values = new ArrayList<>(group.size());
        for (final Write write : group)
        {
            keys.add(write.key);
            values.add(write.value);
        }
        final long start = System.nanoTime();
        try
        {
            final RemoteStoreException[] failures = group.size() == 1 ? one(current, group.getFirst()) : current.setAll(keys, values, ttlMillis);
            for (int i = 0; i < failures.length; i++)
            {
                final RemoteStoreException failure = failures[i];
                if (failure == null)
                {
                    writes.increment();
                    bytesOut.add(values.get(i).length);
                }
                else if (failure.refused())
                {
                    tooLarge.increment();
                    errors.increment();
                }
                else
                {
                    dropped.increment();
                    failed(failure);
                }
            }
        }
        catch (final RemoteStoreException ex)
        {
            dropped.add(group.size());
            failed(ex);
        }
        catch (final RuntimeException ex)
        {
            dropped.add(group.size());
            errors.increment();
            LOG.log(System.Logger.Level.WARNING, "tiercache " + cacheName + ": L4 write failed", ex);
        }
        finally
        {
            timed(start);
        }
    }

    /** One value: a plain SET (a refusal or a node's failure is its answer; the whole store's is thrown). */
    private RemoteStoreException[] one(final RemoteStore current, final Write write)
    {
        try
        {
            current.set(write.key, write.value, ttlMillis);
            return new RemoteStoreException[1];
        }
        catch (final RemoteStoreException ex)
        {
            if (ex.wholeStore())
            {
                throw ex;
            }
            return new RemoteStoreException[] {ex};
        }
    }

    /** The writer thread's reconnection: a fresh store, so no connection broken by a restart is reused. */
    private void probe()
    {
        final RemoteStore old = store;
        if (provider == null)
        {
            if (old != null)
            {
                attach(old);
            }
            return;
        }
        store = null;
        if (old != null)
        {
            old.close();
        }
        tryOpen(false);
    }

    /**
     * Waits until every write queued so far has been sent (or dropped).
     *
     * @return true when the queue is empty.
     */
    boolean flush(final Duration max)
    {
        final long deadline = System.nanoTime() + max.toNanos();
        queueLock.lock();
        try
        {
            while (!queue.isEmpty() || writing)
            {
                final long left = deadline - System.nanoTime();
                if (left <= 0 || offReason != null)
                {
                    return queue.isEmpty() && !writing;
                }
                queueChanged.awaitNanos(left);
            }
            return true;
        }
        catch (final InterruptedException ex)
        {
            Thread.currentThread().interrupt();
            return false;
        }
        finally
        {
            queueLock.unlock();
        }
    }

    RemoteStats stats()
    {
        final long queued;
        queueLock.lock();
        try
        {
            queued = queuedBytes;
        }
        finally
        {
            queueLock.unlock();
        }
        return new RemoteStats(offReason == null, offReason, target, lookups.sum(), hits.sum(), corrupt.sum(), errors.sum(),
            bytesIn.sum(), bytesOut.sum(), writes.sum(), queued, dropped.sum(), tooLarge.sum(), roundTrips.sum(), roundTripNanos.sum(),
            maxRoundTripNanos.get(), turnedOff.sum(), maxReadRoundTripBytes.get());
    }

    /**
     * Sends what is queued (for at most {@value #CLOSE_FLUSH_NANOS} ns, and only while L4 is on),
     * stops the writer thread and closes the store. Idempotent.
     */
    @Override
    public void close()
    {
        flush(Duration.ofNanos(CLOSE_FLUSH_NANOS));
        queueLock.lock();
        try
        {
            if (closed)
            {
                return;
            }
            closed = true;
            if (!queue.isEmpty())
            {
                LOG.log(System.Logger.Level.WARNING, "tiercache " + cacheName + ": " + queue.size() + " L4 writes dropped at close");
                dropQueuedLocked();
            }
            queueChanged.signalAll();
        }
        finally
        {
            queueLock.unlock();
        }
        boolean interrupted = false;
        while (writer.isAlive())
        {
            try
            {
                writer.join();
            }
            catch (final InterruptedException ex)
            {
                interrupted = true;
            }
        }
        final RemoteStore last = store;
        store = null;
        if (last != null)
        {
            last.close();
        }
        if (interrupted)
        {
            Thread.currentThread().interrupt();
        }
    }
}
