package dev.tiercache;

import dev.tiercache.remote.RemoteStore;
import dev.tiercache.remote.RemoteStoreException;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.LongConsumer;

/**
 * A store in a map, for the core's own L4 tests (the Redis store has its tests on real servers):
 * it can be made unreachable, and counts its calls.
 */
final class InMemoryRemoteStore implements RemoteStore
{
    final Map<String, byte[]> values = new ConcurrentHashMap<>();
    final AtomicInteger gets = new AtomicInteger();
    final AtomicInteger sets = new AtomicInteger();
    volatile boolean down;
    volatile long maxValueBytes = Long.MAX_VALUE;
    volatile boolean closed;
    /** When set, every SET waits for it: a slow server. */
    volatile java.util.concurrent.CountDownLatch setGate;

    private void check()
    {
        if (down)
        {
            throw new RemoteStoreException("mem: unreachable", true, false, null);
        }
    }

    private static String key(final byte[] key)
    {
        return new String(key, java.nio.charset.StandardCharsets.ISO_8859_1);
    }

    @Override
    public byte[] get(final byte[] key)
    {
        gets.incrementAndGet();
        check();
        return values.get(key(key));
    }

    @Override
    public List<byte[]> getAll(final List<byte[]> keys)
    {
        gets.incrementAndGet();
        check();
        final List<byte[]> out = new ArrayList<>();
        keys.forEach(k -> out.add(values.get(key(k))));
        return out;
    }

    @Override
    public void set(final byte[] key, final byte[] value, final long ttlMillis)
    {
        sets.incrementAndGet();
        final java.util.concurrent.CountDownLatch gate = setGate;
        if (gate != null)
        {
            try
            {
                gate.await();
            }
            catch (final InterruptedException ex)
            {
                Thread.currentThread().interrupt();
            }
        }
        check();
        values.put(key(key), Arrays.copyOf(value, value.length));
    }

    @Override
    public void ping()
    {
        check();
    }

    @Override
    public long maxValueBytes()
    {
        return maxValueBytes;
    }

    @Override
    public long[] usage(final byte[] prefix, final LongConsumer progress)
    {
        final String p = key(prefix);
        return new long[] {values.keySet().stream().filter(k -> k.startsWith(p)).count(),
            values.entrySet().stream().filter(e -> e.getKey().startsWith(p)).mapToLong(e -> e.getValue().length).sum()};
    }

    @Override
    public String describe()
    {
        return "mem";
    }

    @Override
    public void close()
    {
        closed = true;
    }
}
