package dev.tiercache;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.file.Path;
import java.util.SplittableRandom;

/**
 * The child JVM of the crash torture: runs the seeded sequence of operations of
 * {@link TortureOps} on a cache over every level, printing {@code DONE i} after operation
 * {@code i} returns and {@code FLUSHED i} after a flush at {@code i} returns, until the parent
 * kills it with SIGKILL.
 */
public final class TortureChild
{
    private TortureChild()
    {
    }

    static TierCache.Builder config(final Path file, final boolean compression)
    {
        return TierCache.builder().deviceBytes(256 << 10).hostBytes(1 << 20).file(file, 64 << 20).fileRegionBytes(1 << 20)
            .maxEntries(4096).compression(compression).persistOnClose(false);
    }

    public static void main(final String[] args)
    {
        final Path file = Path.of(args[0]);
        final long seed = Long.parseLong(args[1]);
        final boolean compression = Boolean.parseBoolean(args[2]);
        final TortureOps ops = new TortureOps(seed);
        try (TierCache cache = config(file, compression).build())
        {
            System.out.println("OPEN");
            System.out.flush();
            for (int i = 0; i < TortureOps.OPS; i++)
            {
                final TortureOps.Op op = ops.op(i);
                switch (op.kind())
                {
                    case PUT -> cache.put(op.key(), TortureOps.value(op.key(), op.version(), op.length()));
                    case REMOVE -> cache.remove(op.key());
                    case READ ->
                    {
                        try (EntryHandle handle = cache.get(op.key()))
                        {
                            if (handle != null)
                            {
                                final MemorySegment out = Arena.ofAuto().allocate(handle.byteSize(), 64);
                                handle.copyTo(0, out);
                                final String wrong = TortureOps.check(op.key(), out);
                                if (wrong != null)
                                {
                                    System.out.println("WRONG " + wrong);
                                }
                            }
                        }
                    }
                    case TO_DEVICE ->
                    {
                        if (cache.hasDevice() && cache.contains(op.key()))
                        {
                            try
                            {
                                cache.getOnDevice(op.key()).close();
                            }
                            catch (final IllegalStateException ex)
                            {
                                // removed meanwhile, or L1 busy: not this test's subject
                            }
                        }
                    }
                    case FLUSH ->
                    {
                        cache.flush();
                        System.out.println("FLUSHED " + i);
                    }
                }
                System.out.println("DONE " + i);
            }
            System.out.println("FINISHED");
            System.out.flush();
            // wait for the kill
            while (true)
            {
                java.util.concurrent.locks.LockSupport.parkNanos(1_000_000_000L);
            }
        }
    }
}
