package dev.tiercache.cuda;

import dev.tiercache.cuda.sim.SimulatedCuda;
import dev.tiercache.cuda.sim.SimulatedDeviceProfile;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.Arrays;
import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * The normalisation kernels through the driver API bindings on the simulated device: the PTX is
 * parsed and its entries found, the launch's parameter array is read as a device reads it, and the
 * result is held bit for bit to the host reference over many random shapes.
 */
class DeviceNormalizerTest
{
    private static final long SEED = Long.getLong("tiercache.seed", System.nanoTime());
    private static final int CASES = 300;

    private SimulatedCuda sim;
    private CudaRuntime runtime;

    @BeforeEach
    void setUp()
    {
        assertEquals(CudaLibrary.Kind.SIMULATED, CudaLibrary.location().kind(), "tests expect -Dtiercache.cudart=sim:mx250");
        sim = SimulatedCuda.current();
        sim.reset(SimulatedDeviceProfile.MX250);
        runtime = CudaRuntime.open();
        assertTrue(runtime.isUsable(), () -> String.valueOf(runtime.unavailableReason()));
    }

    @AfterEach
    void noLeaks()
    {
        final String outstanding = sim.outstandingDescription();
        final Throwable internal = sim.lastInternalError();
        sim.reset(SimulatedDeviceProfile.MX250);
        assertEquals("", outstanding, "native resources left outstanding");
        assertNull(internal, "a stub caught an exception");
    }

    /** One random case: its shape, so a failure prints what to rerun. */
    private record Shape(int images, int channels, int plane, boolean f16)
    {
        long count()
        {
            return (long)images * channels * plane;
        }
    }

    @Test
    void launch_matchesTheHostReference_bitForBit_overRandomShapes()
    {
        System.out.println("DeviceNormalizerTest seed=" + SEED + " (rerun with -Dtiercache.seed=" + SEED + ")");
        matchesOverRandomShapes(new SplittableRandom(SEED), CASES, 4, 700);
    }

    /**
     * Planes of up to 150 000 elements (a 224 x 224 image's is 50 176), longer than the simulator's
     * chunk of work, with lengths that are not multiples of it: every chunk boundary inside a plane
     * and every plane boundary inside a chunk's reach gives the reference's bits.
     */
    @Test
    void launch_matchesTheHostReference_bitForBit_forImageSizedPlanes()
    {
        System.out.println("DeviceNormalizerTest (image-sized planes) seed=" + SEED + " (rerun with -Dtiercache.seed=" + SEED + ")");
        matchesOverRandomShapes(new SplittableRandom(SEED ^ 0x9E3779B97F4A7C15L), 24, 2, 150_000);
    }

    private void matchesOverRandomShapes(final SplittableRandom random, final int cases, final int maxImages, final int maxPlane)
    {
        try (DeviceNormalizer kernels = DeviceNormalizer.load(runtime, 0);
             CudaStream stream = runtime.createStream(true);
             Arena arena = Arena.ofConfined())
        {
            Shape smallestFailure = null;
            for (int i = 0; i < cases; i++)
            {
                final Shape shape = new Shape(1 + random.nextInt(maxImages), 1 + random.nextInt(4), 1 + random.nextInt(maxPlane), random.nextBoolean());
                final float[] scale = new float[shape.channels];
                final float[] offset = new float[shape.channels];
                for (int c = 0; c < shape.channels; c++)
                {
                    scale[c] = (float)(random.nextDouble(-0.1, 0.1));
                    offset[c] = (float)(random.nextDouble(-3, 3));
                }
                final byte[] input = new byte[(int)shape.count()];
                for (int b = 0; b < input.length; b++)
                {
                    input[b] = (byte)random.nextInt(256);
                }
                if (!agrees(kernels, stream, arena, shape, input, scale, offset) &&
                    (smallestFailure == null || shape.count() < smallestFailure.count()))
                {
                    smallestFailure = shape;
                }
            }
            if (smallestFailure != null)
            {
                fail("device result differs from the host reference; smallest failing shape " + smallestFailure + ", seed=" + SEED);
            }
        }
    }

    private boolean agrees(
        final DeviceNormalizer kernels, final CudaStream stream, final Arena arena, final Shape shape, final byte[] input,
        final float[] scale, final float[] offset)
    {
        final long count = shape.count();
        final long outBytes = count * (shape.f16 ? 2 : 4);
        final MemorySegment host = arena.allocate(count);
        MemorySegment.copy(input, 0, host, ValueLayout.JAVA_BYTE, 0, input.length);
        final MemorySegment expected = arena.allocate(outBytes);
        NormalizeKernel.runOnHost(host, expected, count, shape.plane, shape.f16, scale, offset);
        final MemorySegment actual = arena.allocate(outBytes);
        try (DeviceBuffer in = runtime.allocateDevice(count); DeviceBuffer out = runtime.allocateDevice(outBytes))
        {
            in.copyFromHost(host, 0);
            kernels.launch(in.address(), out.address(), count, shape.plane, shape.f16, scale, offset, stream);
            stream.synchronize();
            out.copyToHost(0, actual);
        }
        return actual.mismatch(expected) == -1;
    }

    @Test
    void hostReference_isTorchvisionsFormula_forKnownValues()
    {
        try (Arena arena = Arena.ofConfined())
        {
            final MemorySegment in = arena.allocate(6);
            in.copyFrom(MemorySegment.ofArray(new byte[] {0, (byte)255, 0, (byte)255, (byte)128, 1}));
            final MemorySegment out = arena.allocate(24);
            // two channels of three elements: channel 0 scaled by 2 plus 1, channel 1 by -1 plus 0.5
            NormalizeKernel.runOnHost(in, out, 6, 3, false, new float[] {2f, -1f}, new float[] {1f, 0.5f});
            final float[] values = out.toArray(ValueLayout.JAVA_FLOAT);
            assertEquals("[1.0, 511.0, 1.0, -254.5, -127.5, -0.5]", Arrays.toString(values));
            NormalizeKernel.runOnHost(in, out, 6, 3, true, new float[] {1f / 255f, 1f}, new float[] {0f, 0f});
            assertEquals(Float.floatToFloat16(1f), out.get(ValueLayout.JAVA_SHORT, 2));
            assertEquals(Float.floatToFloat16(128f), out.get(ValueLayout.JAVA_SHORT, 8));
        }
    }

    @Test
    void launch_onTheDefaultStream_runsBeforeTheNextSynchronousCopy()
    {
        try (DeviceNormalizer kernels = DeviceNormalizer.load(runtime, 0);
             CudaStream stream = runtime.createStream(false);
             Arena arena = Arena.ofConfined();
             DeviceBuffer in = runtime.allocateDevice(12);
             DeviceBuffer out = runtime.allocateDevice(48))
        {
            final MemorySegment host = arena.allocate(12);
            host.fill((byte)10);
            in.copyFromHost(host, 0);
            kernels.launch(in.address(), out.address(), 12, 4, false, new float[] {1f, 2f, 3f}, new float[] {0f, 0f, 0f}, stream);
            final MemorySegment result = arena.allocate(48);
            stream.synchronize();
            out.copyToHost(0, result);
            assertEquals("[10.0, 10.0, 10.0, 10.0, 20.0, 20.0, 20.0, 20.0, 30.0, 30.0, 30.0, 30.0]",
                Arrays.toString(result.toArray(ValueLayout.JAVA_FLOAT)));
        }
    }

    @Test
    void launch_rejectsBadShapes_namingTheValue()
    {
        try (DeviceNormalizer kernels = DeviceNormalizer.load(runtime, 0); CudaStream stream = runtime.createStream(true))
        {
            final float[] three = {1f, 1f, 1f};
            assertTrue(assertThrows(IllegalArgumentException.class, () -> kernels.launch(0, 0, 10, 3, false, three, three, stream))
                .getMessage().contains("count=10 is not a multiple of plane=3 x channels=3"));
            assertTrue(assertThrows(IllegalArgumentException.class,
                () -> kernels.launch(0, 0, 10, 2, false, new float[5], new float[5], stream)).getMessage().contains("channels=5"));
            assertTrue(assertThrows(IllegalArgumentException.class,
                () -> kernels.launch(0, 0, 9, 3, false, three, new float[2], stream)).getMessage().contains("offset.length=2"));
        }
    }

    @Test
    void launch_onMemoryOutsideAnAllocation_isRefusedByTheDevice()
    {
        try (DeviceNormalizer kernels = DeviceNormalizer.load(runtime, 0);
             CudaStream stream = runtime.createStream(true);
             DeviceBuffer in = runtime.allocateDevice(16);
             DeviceBuffer out = runtime.allocateDevice(16))
        {
            // 16 floats need 64 bytes; the output buffer has 16
            final CudaException ex = assertThrows(CudaException.class,
                () -> kernels.launch(in.address(), out.address(), 16, 16, false, new float[] {1f}, new float[] {0f}, stream));
            assertEquals("CUDA_ERROR_ILLEGAL_ADDRESS", ex.errorName());
            assertTrue(ex.getMessage().contains("cuLaunchKernel(tiercache_u8_to_f32, count=16"), ex.getMessage());
        }
    }

    @Test
    void close_twice_isSafe_andReleasesTheModuleAndTheContext()
    {
        final DeviceNormalizer kernels = DeviceNormalizer.load(runtime, 0);
        assertTrue(sim.outstandingDescription().contains("modules=1, primary context retains=1"), sim.outstandingDescription());
        kernels.close();
        kernels.close();
        assertEquals("", sim.outstandingDescription());
        assertEquals(1, sim.callCount("cuModuleUnload"));
        try (CudaStream stream = runtime.createStream(true))
        {
            assertThrows(IllegalStateException.class,
                () -> kernels.launch(0, 0, 1, 1, false, new float[] {1f}, new float[] {0f}, stream));
        }
    }

    @Test
    void load_whenTheModuleIsRefused_releasesTheContext_andNamesTheCall()
    {
        sim.failNthCall("cuModuleLoadData", 1, 218);
        final CudaException ex = assertThrows(CudaException.class, () -> DeviceNormalizer.load(runtime, 0));
        assertEquals("CUDA_ERROR_INVALID_PTX", ex.errorName());
        assertTrue(ex.getMessage().startsWith("cuModuleLoadData(normalisation PTX) failed"), ex.getMessage());
        assertEquals("", sim.outstandingDescription(), "the primary context retain is released again");

        sim.failNthCall("cuModuleGetFunction", 2, 500);
        assertThrows(CudaException.class, () -> DeviceNormalizer.load(runtime, 0));
        assertEquals("", sim.outstandingDescription(), "the module is unloaded again");
    }

    @Test
    void thePtx_targetsSm61_andLoadsOnANewerDevice()
    {
        assertTrue(NormalizeKernel.PTX.contains(".target sm_61"));
        sim.reset(SimulatedDeviceProfile.H100);
        final CudaRuntime h100 = CudaRuntime.open();
        try (DeviceNormalizer kernels = DeviceNormalizer.load(h100, 0))
        {
            assertTrue(kernels.toString().startsWith("DeviceNormalizer[device 0"));
        }
    }
}
