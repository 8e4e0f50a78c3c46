package dev.tiercache.cuda;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * Random-data round trips through every copy kind, shared by the simulated and the real-GPU tests
 * so both check exactly the same things.
 */
final class CopyRoundTrips
{
    static final long[] SIZES = {1, 7, 255, 4096, 65_537, (1 << 20) + 3, 8L << 20, 64L << 20};

    private CopyRoundTrips()
    {
    }

    static void fillRandom(final MemorySegment segment, final SplittableRandom random)
    {
        long i = 0;
        final long n = segment.byteSize();
        for (; i + 8 <= n; i += 8)
        {
            segment.set(java.lang.foreign.ValueLayout.JAVA_LONG_UNALIGNED, i, random.nextLong());
        }
        for (; i < n; i++)
        {
            segment.set(java.lang.foreign.ValueLayout.JAVA_BYTE, i, (byte) random.nextInt());
        }
    }

    static void assertSameBytes(final MemorySegment expected, final MemorySegment actual, final String what)
    {
        assertEquals(expected.byteSize(), actual.byteSize(), what + ": sizes");
        final long mismatch = expected.mismatch(actual);
        assertEquals(-1L, mismatch, what + ": first differing byte at " + mismatch);
    }

    /**
     * Host to device at an unaligned offset, device to device, device to host; synchronous.
     */
    static void synchronousRoundTrip(final CudaRuntime runtime, final long size, final long seed)
    {
        final SplittableRandom random = new SplittableRandom(seed);
        final long offset = 1 + random.nextInt(63);
        try (Arena arena = Arena.ofConfined();
             DeviceBuffer first = runtime.allocateDevice(size + offset);
             DeviceBuffer second = runtime.allocateDevice(size + 2 * offset))
        {
            final MemorySegment source = arena.allocate(size + 1).asSlice(1, size);
            final MemorySegment back = arena.allocate(size + 3).asSlice(3, size);
            fillRandom(source, random);
            first.copyFromHost(source, offset);
            first.copyToDevice(offset, second, 2 * offset, size);
            second.copyToHost(2 * offset, back);
            assertSameBytes(source, back, "sync size=" + size + " offset=" + offset + " seed=" + seed);
        }
    }

    /**
     * The same through pinned memory and one stream, with an event to know when it is done.
     */
    static void asynchronousRoundTrip(final CudaRuntime runtime, final long size, final long seed)
    {
        final SplittableRandom random = new SplittableRandom(seed);
        final long offset = 1 + random.nextInt(63);
        try (PinnedBuffer pinnedSource = runtime.allocatePinned(size + offset, 0);
             PinnedBuffer pinnedBack = runtime.allocatePinned(size + offset, 0);
             DeviceBuffer first = runtime.allocateDevice(size + offset);
             DeviceBuffer second = runtime.allocateDevice(size + offset);
             CudaStream stream = runtime.createStream(true);
             CudaEvent done = runtime.createEvent(false))
        {
            final MemorySegment source = pinnedSource.segment().asSlice(offset, size);
            final MemorySegment back = pinnedBack.segment().asSlice(offset, size);
            fillRandom(source, random);
            first.copyFromHostAsync(source, offset, stream);
            first.copyToDeviceAsync(offset, second, 0, size, stream);
            second.copyToHostAsync(0, back, stream);
            done.record(stream);
            done.synchronize();
            assertSameBytes(source, back, "async size=" + size + " offset=" + offset + " seed=" + seed);
        }
    }
}
