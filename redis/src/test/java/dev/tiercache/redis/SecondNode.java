package dev.tiercache.redis;

import dev.tiercache.EntryHandle;
import dev.tiercache.RemoteStats;
import dev.tiercache.TierCache;

import java.lang.foreign.MemorySegment;
import java.util.Arrays;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The second machine of {@link SharedL4TwoJvmTest}, run in its own JVM: it reads every key through
 * a loader that counts its calls, checks every byte, and prints what it saw on one line.
 */
public final class SecondNode
{
    private SecondNode()
    {
    }

    /**
     * Runs the node.
     *
     * @param args the L4 URI, the namespace, the key count and the entry length.
     */
    public static void main(final String[] args)
    {
        final String uri = args[0];
        final String namespace = args[1];
        final int keys = Integer.parseInt(args[2]);
        final int length = Integer.parseInt(args[3]);
        final AtomicLong loads = new AtomicLong();
        long wrong = 0;
        try (TierCache cache = L4Fixtures.cache(L4Fixtures.settings(uri, namespace)))
        {
            for (long key = 0; key < keys; key++)
            {
                try (EntryHandle handle = cache.get(key, k -> {
                    loads.incrementAndGet();
                    return L4Fixtures.parts(k, length);
                }))
                {
                    final byte[] read = new byte[(int) handle.byteSize()];
                    handle.copyTo(0, MemorySegment.ofArray(read));
                    wrong += Arrays.equals(read, L4Fixtures.content(key, length)) ? 0 : 1;
                }
            }
            final RemoteStats stats = cache.remoteStats();
            System.out.println("RESULT loads=" + loads.get() + " wrong=" + wrong + " l4hits=" + stats.hits() + " corrupt=" + stats.corrupt());
        }
    }
}
