package dev.tiercache.cuda;

import dev.tiercache.cuda.raw.cuda_h;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/**
 * The {@link NormalizeKernel} module loaded on one device through the CUDA driver API, launched on
 * runtime streams. It owns the module and one retain of the device's primary context (the context
 * the runtime's allocations and streams live in, so runtime pointers and streams are valid here);
 * {@link #close()} unloads the module and releases the retain, once.
 *
 * <h2>Concurrency</h2>
 * Any thread may {@link #launch}: each launch makes the primary context current on its thread
 * first (the driver keeps the current context per thread), and marshals its parameters in a
 * confined arena of its own. A launch is asynchronous on its stream; the arena holding the
 * parameters may close at once because the driver copies them when the launch is queued.
 * {@link #close()} must not run while launches are in progress.
 */
public final class DeviceNormalizer extends NativeResource
{
    private static final int SUCCESS = 0;

    private final int device;
    private final MemorySegment context;
    private final MemorySegment module;
    private final MemorySegment f32;
    private final MemorySegment f16;

    private DeviceNormalizer(
        final int device, final MemorySegment context, final MemorySegment module, final MemorySegment f32, final MemorySegment f16)
    {
        this.device = device;
        this.context = context;
        this.module = module;
        this.f32 = f32;
        this.f16 = f16;
    }

    /**
     * Why the driver API cannot be used here, or {@code null} when it can.
     *
     * @return the reason, e.g. that {@code libcuda.so.1} is missing.
     */
    public static String unavailableReason()
    {
        if (CudaLibrary.driverSymbolLookup().find("cuLaunchKernel").isEmpty())
        {
            return "no CUDA driver API (" + CudaLibrary.driverLocation() + ")";
        }
        return null;
    }

    /**
     * Loads the kernels on a device: {@code cuInit}, the device's primary context retained, the
     * PTX JIT-compiled by {@code cuModuleLoadData}, both entries found.
     *
     * @param runtime a usable runtime (its device {@code ordinal} is made current first, which
     *                creates the primary context the runtime's memory lives in).
     * @param ordinal the device.
     * @return the loaded kernels; the caller closes them.
     * @throws IllegalStateException when there is no driver API or the runtime is unusable.
     * @throws CudaException         when a driver call fails, naming it and its error.
     */
    public static DeviceNormalizer load(final CudaRuntime runtime, final int ordinal)
    {
        final String reason = unavailableReason();
        if (reason != null)
        {
            throw new IllegalStateException("cannot load the normalisation kernels: " + reason);
        }
        runtime.setDevice(ordinal);
        try (Arena arena = Arena.ofConfined())
        {
            check(cuda_h.cuInit(0), "cuInit(0)");
            final MemorySegment deviceOut = arena.allocate(ValueLayout.JAVA_INT);
            check(cuda_h.cuDeviceGet(deviceOut, ordinal), "cuDeviceGet(" + ordinal + ")");
            final int device = deviceOut.get(ValueLayout.JAVA_INT, 0);
            final MemorySegment handleOut = arena.allocate(ValueLayout.ADDRESS);
            check(cuda_h.cuDevicePrimaryCtxRetain(handleOut, device), "cuDevicePrimaryCtxRetain(" + device + ")");
            final MemorySegment context = handleOut.get(ValueLayout.ADDRESS, 0);
            MemorySegment module = MemorySegment.NULL;
            try
            {
                check(cuda_h.cuCtxSetCurrent(context), "cuCtxSetCurrent()");
                check(cuda_h.cuModuleLoadData(handleOut, arena.allocateFrom(NormalizeKernel.PTX)), "cuModuleLoadData(normalisation PTX)");
                module = handleOut.get(ValueLayout.ADDRESS, 0);
                check(cuda_h.cuModuleGetFunction(handleOut, module, arena.allocateFrom(NormalizeKernel.F32_ENTRY)),
                    "cuModuleGetFunction(" + NormalizeKernel.F32_ENTRY + ")");
                final MemorySegment f32 = handleOut.get(ValueLayout.ADDRESS, 0);
                check(cuda_h.cuModuleGetFunction(handleOut, module, arena.allocateFrom(NormalizeKernel.F16_ENTRY)),
                    "cuModuleGetFunction(" + NormalizeKernel.F16_ENTRY + ")");
                final MemorySegment f16 = handleOut.get(ValueLayout.ADDRESS, 0);
                return new DeviceNormalizer(device, context, module, f32, f16);
            }
            catch (final RuntimeException ex)
            {
                if (!module.equals(MemorySegment.NULL))
                {
                    cuda_h.cuModuleUnload(module);
                }
                cuda_h.cuDevicePrimaryCtxRelease_v2(device);
                throw ex;
            }
        }
    }

    /**
     * Queues one normalisation on a stream (see {@link NormalizeKernel} for the arithmetic).
     *
     * @param source      device address of {@code count} uint8 elements.
     * @param destination device address of {@code count} float32 or fp16 elements.
     * @param count       elements; a multiple of {@code plane * scale.length}.
     * @param plane       elements per channel plane.
     * @param f16         fp16 output instead of float32.
     * @param scale       per channel, 1 to {@value NormalizeKernel#MAX_CHANNELS}.
     * @param offset      per channel.
     * @param stream      the stream; the result is there once it has run.
     * @throws IllegalArgumentException naming a bad shape.
     * @throws CudaException            when the launch is refused.
     */
    public void launch(
        final long source, final long destination, final long count, final long plane, final boolean f16, final float[] scale,
        final float[] offset, final CudaStream stream)
    {
        checkOpen();
        NormalizeKernel.checkShape(count, plane, scale.length);
        if (offset.length != scale.length)
        {
            throw new IllegalArgumentException("offset.length=" + offset.length + " != scale.length=" + scale.length);
        }
        if (count == 0)
        {
            return;
        }
        final int blocks = (int)Math.min(NormalizeKernel.MAX_BLOCKS, (count + NormalizeKernel.BLOCK_THREADS - 1) / NormalizeKernel.BLOCK_THREADS);
        try (Arena arena = Arena.ofConfined())
        {
            final MemorySegment values = arena.allocate(8L * NormalizeKernel.PARAMETER_COUNT, 8);
            final MemorySegment pointers = arena.allocate(ValueLayout.ADDRESS, NormalizeKernel.PARAMETER_COUNT);
            values.set(ValueLayout.JAVA_LONG, 0, source);
            values.set(ValueLayout.JAVA_LONG, 8, destination);
            values.set(ValueLayout.JAVA_INT, 16, (int)count);
            values.set(ValueLayout.JAVA_INT, 24, (int)plane);
            values.set(ValueLayout.JAVA_INT, 32, scale.length);
            for (int c = 0; c < NormalizeKernel.MAX_CHANNELS; c++)
            {
                values.set(ValueLayout.JAVA_FLOAT, 40 + 8L * c, c < scale.length ? scale[c] : 0f);
                values.set(ValueLayout.JAVA_FLOAT, 72 + 8L * c, c < offset.length ? offset[c] : 0f);
            }
            for (int p = 0; p < NormalizeKernel.PARAMETER_COUNT; p++)
            {
                pointers.setAtIndex(ValueLayout.ADDRESS, p, values.asSlice(8L * p, 8));
            }
            check(cuda_h.cuCtxSetCurrent(context), "cuCtxSetCurrent()");
            check(cuda_h.cuLaunchKernel(f16 ? this.f16 : f32, blocks, 1, 1, NormalizeKernel.BLOCK_THREADS, 1, 1, 0, stream.handle(),
                pointers, MemorySegment.NULL), "cuLaunchKernel(" + (f16 ? NormalizeKernel.F16_ENTRY : NormalizeKernel.F32_ENTRY) +
                ", count=" + count + ", plane=" + plane + ", channels=" + scale.length + ")");
        }
    }

    @Override
    void release()
    {
        final int unloaded = cuda_h.cuModuleUnload(module);
        final int released = cuda_h.cuDevicePrimaryCtxRelease_v2(device);
        check(unloaded, "cuModuleUnload()");
        check(released, "cuDevicePrimaryCtxRelease(" + device + ")");
    }

    /**
     * Throws for a failed driver call, with the driver's name for the error.
     */
    static void check(final int rc, final String call)
    {
        if (rc != SUCCESS)
        {
            String name = "CUresult " + rc;
            try (Arena arena = Arena.ofConfined())
            {
                final MemorySegment out = arena.allocate(ValueLayout.ADDRESS);
                if (cuda_h.cuGetErrorName(rc, out) == SUCCESS && !out.get(ValueLayout.ADDRESS, 0).equals(MemorySegment.NULL))
                {
                    name = out.get(ValueLayout.ADDRESS, 0).reinterpret(256).getString(0);
                }
            }
            throw new CudaException(call, rc, name, "CUDA driver API error");
        }
    }

    @Override
    public String toString()
    {
        return "DeviceNormalizer[device " + device + ", module 0x" + Long.toHexString(module.address()) + "]";
    }
}
