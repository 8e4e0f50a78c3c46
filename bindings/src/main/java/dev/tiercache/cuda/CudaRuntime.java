package dev.tiercache.cuda;

import dev.tiercache.cuda.raw.cudart_h;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.Objects;

/**
 * The CUDA runtime as tiercache uses it: usable, or unavailable with a reason.
 *
 * <h2>Availability</h2>
 * {@link #open()} never throws. It reports one of: the library was not found (or was turned
 * off), a symbol is missing, or the runtime answered {@code cudaGetDeviceCount} with an error
 * ({@code cudaErrorInsufficientDriver} when there is no driver, {@code cudaErrorNoDevice} when
 * there is no GPU), or zero devices. "No GPU" is a normal state: callers check
 * {@link #isUsable()} and turn the GPU level off with {@link #unavailableReason()} in their stats.
 *
 * <h2>Errors</h2>
 * On a usable runtime every call that fails throws {@link CudaException} with the code, the
 * runtime's name and message for it, and the call with its arguments. Calling an allocation or
 * copy method on an unusable runtime is a broken contract ({@link IllegalStateException}).
 *
 * <h2>Concurrency</h2>
 * Instances are immutable; the CUDA runtime itself is thread-safe. The current device is
 * per-thread state of the runtime, as in C.
 */
public final class CudaRuntime
{
    private static final int ERROR_NAME_MAX = 256;

    private final CudaLibrary.Location library;
    private final boolean usable;
    private final CudaError unavailableError;
    private final String unavailableReason;
    private final int runtimeVersion;
    private final int driverVersion;
    private final int deviceCount;

    private CudaRuntime(
        final CudaLibrary.Location library,
        final boolean usable,
        final CudaError unavailableError,
        final String unavailableReason,
        final int runtimeVersion,
        final int driverVersion,
        final int deviceCount)
    {
        this.library = library;
        this.usable = usable;
        this.unavailableError = unavailableError;
        this.unavailableReason = unavailableReason;
        this.runtimeVersion = runtimeVersion;
        this.driverVersion = driverVersion;
        this.deviceCount = deviceCount;
    }

    /**
     * Finds the runtime (once per process, see {@link CudaLibrary}) and asks it for devices.
     * Each call asks again, so a simulated device that was reconfigured is seen.
     *
     * @return a usable runtime, or an unavailable one with its reason; never throws.
     */
    public static CudaRuntime open()
    {
        final CudaLibrary.Location library = CudaLibrary.location();
        if (library.kind() == CudaLibrary.Kind.NOT_FOUND)
        {
            return unavailable(library, null, library.description(), 0, 0);
        }
        try (Arena arena = Arena.ofConfined())
        {
            final MemorySegment out = arena.allocate(ValueLayout.JAVA_INT);
            out.set(ValueLayout.JAVA_INT, 0, 0);
            final int runtimeVersion = cudart_h.cudaRuntimeGetVersion(out) == 0 ? out.get(ValueLayout.JAVA_INT, 0) : 0;
            out.set(ValueLayout.JAVA_INT, 0, 0);
            final int driverVersion = cudart_h.cudaDriverGetVersion(out) == 0 ? out.get(ValueLayout.JAVA_INT, 0) : 0;

            // the runtime leaves the count untouched on failure (FACTS.md §4)
            out.set(ValueLayout.JAVA_INT, 0, -1);
            final int rc = cudart_h.cudaGetDeviceCount(out);
            if (rc != 0)
            {
                final String reason = errorName(rc) + " (" + rc + "): " + errorString(rc) +
                    (driverVersion == 0 ? "; no NVIDIA driver is loaded" : "; driver CUDA version " + version(driverVersion)) +
                    "; runtime " + (runtimeVersion == 0 ? "version not reported" : version(runtimeVersion)) + " from " + library.description();
                return unavailable(library, CudaError.valueOf(rc), reason, runtimeVersion, driverVersion);
            }
            final int count = out.get(ValueLayout.JAVA_INT, 0);
            if (count <= 0)
            {
                return unavailable(library, CudaError.NO_DEVICE, "the runtime reports " + count + " devices", runtimeVersion, driverVersion);
            }
            return new CudaRuntime(library, true, null, null, runtimeVersion, driverVersion, count);
        }
        catch (final LinkageError ex)
        {
            return unavailable(library, null, "cannot bind the CUDA runtime in " + library.description() + ": " + ex, 0, 0);
        }
    }

    private static CudaRuntime unavailable(
        final CudaLibrary.Location library,
        final CudaError error,
        final String reason,
        final int runtimeVersion,
        final int driverVersion)
    {
        return new CudaRuntime(library, false, error, reason, runtimeVersion, driverVersion, 0);
    }

    /**
     * Whether at least one device can be used.
     *
     * @return true when devices can be allocated on.
     */
    public boolean isUsable()
    {
        return usable;
    }

    /**
     * Why the runtime cannot be used.
     *
     * @return the reason, or {@code null} when it is usable.
     */
    public String unavailableReason()
    {
        return unavailableReason;
    }

    /**
     * The error behind {@link #unavailableReason()}.
     *
     * @return e.g. {@link CudaError#INSUFFICIENT_DRIVER}; {@code null} when usable or when no
     *         library was found.
     */
    public CudaError unavailableError()
    {
        return unavailableError;
    }

    /**
     * Where the library was found.
     *
     * @return the outcome of discovery.
     */
    public CudaLibrary.Location library()
    {
        return library;
    }

    /**
     * Whether the device is simulated rather than real.
     *
     * @return true for {@code sim:} profiles.
     */
    public boolean isSimulated()
    {
        return library.kind() == CudaLibrary.Kind.SIMULATED;
    }

    /**
     * The runtime's version.
     *
     * @return e.g. 12080 for 12.8, 0 when unknown.
     */
    public int runtimeVersion()
    {
        return runtimeVersion;
    }

    /**
     * The driver's CUDA version.
     *
     * @return e.g. 13000; 0 when no driver is loaded.
     */
    public int driverVersion()
    {
        return driverVersion;
    }

    /**
     * Number of usable devices.
     *
     * @return 0 when unusable.
     */
    public int deviceCount()
    {
        return deviceCount;
    }

    /**
     * A CUDA version number as people write it.
     *
     * @param version e.g. 12080.
     * @return e.g. {@code "12.8"}.
     */
    public static String version(final int version)
    {
        return (version / 1000) + "." + ((version % 1000) / 10);
    }

    /**
     * Reads a device's facts. Sets the calling thread's current device to {@code device} for the
     * duration, and back afterwards.
     *
     * @param device the ordinal, {@code 0 <= device < deviceCount()}.
     * @return the facts.
     */
    public DeviceInfo deviceInfo(final int device)
    {
        checkDevice(device);
        try (Arena arena = Arena.ofConfined())
        {
            final MemorySegment out = arena.allocate(ValueLayout.JAVA_INT);
            check(cudart_h.cudaGetDevice(out), "cudaGetDevice()");
            final int previous = out.get(ValueLayout.JAVA_INT, 0);
            check(cudart_h.cudaSetDevice(device), "cudaSetDevice(device=" + device + ")");
            try
            {
                final MemorySegment bus = arena.allocate(64);
                check(cudart_h.cudaDeviceGetPCIBusId(bus, (int) bus.byteSize(), device), "cudaDeviceGetPCIBusId(device=" + device + ")");
                final MemorySegment free = arena.allocate(ValueLayout.JAVA_LONG);
                final MemorySegment total = arena.allocate(ValueLayout.JAVA_LONG);
                check(cudart_h.cudaMemGetInfo(free, total), "cudaMemGetInfo()");
                return new DeviceInfo(
                    device,
                    bus.getString(0),
                    attribute(out, cudart_h.cudaDevAttrComputeCapabilityMajor(), device),
                    attribute(out, cudart_h.cudaDevAttrComputeCapabilityMinor(), device),
                    attribute(out, cudart_h.cudaDevAttrMultiProcessorCount(), device),
                    attribute(out, cudart_h.cudaDevAttrMemoryClockRate(), device),
                    attribute(out, cudart_h.cudaDevAttrGlobalMemoryBusWidth(), device),
                    attribute(out, cudart_h.cudaDevAttrClockRate(), device),
                    attribute(out, cudart_h.cudaDevAttrAsyncEngineCount(), device),
                    attribute(out, cudart_h.cudaDevAttrCanMapHostMemory(), device) != 0,
                    attribute(out, cudart_h.cudaDevAttrIntegrated(), device) != 0,
                    total.get(ValueLayout.JAVA_LONG, 0),
                    free.get(ValueLayout.JAVA_LONG, 0),
                    runtimeVersion,
                    driverVersion);
            }
            finally
            {
                check(cudart_h.cudaSetDevice(previous), "cudaSetDevice(device=" + previous + ")");
            }
        }
    }

    /**
     * Sets the calling thread's current device.
     *
     * @param device the ordinal.
     */
    public void setDevice(final int device)
    {
        checkDevice(device);
        check(cudart_h.cudaSetDevice(device), "cudaSetDevice(device=" + device + ")");
    }

    /**
     * Free and total memory of the calling thread's current device.
     *
     * @return {@code [free, total]} in bytes.
     */
    public long[] memoryInfo()
    {
        checkUsable();
        try (Arena arena = Arena.ofConfined())
        {
            final MemorySegment free = arena.allocate(ValueLayout.JAVA_LONG);
            final MemorySegment total = arena.allocate(ValueLayout.JAVA_LONG);
            check(cudart_h.cudaMemGetInfo(free, total), "cudaMemGetInfo()");
            return new long[] {free.get(ValueLayout.JAVA_LONG, 0), total.get(ValueLayout.JAVA_LONG, 0)};
        }
    }

    /**
     * Allocates device memory on the calling thread's current device ({@code cudaMalloc}).
     *
     * @param bytes size, at least 1.
     * @return the buffer; its owner must close it.
     * @throws CudaException with {@link CudaError#MEMORY_ALLOCATION} when the device is full.
     */
    public DeviceBuffer allocateDevice(final long bytes)
    {
        checkUsable();
        checkPositive(bytes, "bytes");
        try (Arena arena = Arena.ofConfined())
        {
            final MemorySegment out = arena.allocate(ValueLayout.ADDRESS);
            check(cudart_h.cudaMalloc(out, bytes), "cudaMalloc(size=" + bytes + ")");
            return new DeviceBuffer(this, out.get(ValueLayout.ADDRESS, 0).address(), bytes);
        }
    }

    /**
     * Allocates page-locked host memory ({@code cudaHostAlloc}).
     *
     * @param bytes size, at least 1.
     * @param flags {@code cudaHostAlloc*} flags, usually 0 (default) or 1 (portable).
     * @return the buffer; its owner must close it.
     */
    public PinnedBuffer allocatePinned(final long bytes, final int flags)
    {
        checkUsable();
        checkPositive(bytes, "bytes");
        try (Arena arena = Arena.ofConfined())
        {
            final MemorySegment out = arena.allocate(ValueLayout.ADDRESS);
            check(cudart_h.cudaHostAlloc(out, bytes, flags), "cudaHostAlloc(size=" + bytes + ", flags=" + flags + ")");
            return new PinnedBuffer(out.get(ValueLayout.ADDRESS, 0).address(), bytes);
        }
    }

    /**
     * Page-locks an existing native host range ({@code cudaHostRegister}) so that copies from and
     * to it run at full link speed.
     *
     * @param segment a native segment; it must stay alive until the registration is closed.
     * @param flags   {@code cudaHostRegister*} flags, usually 0.
     * @return the registration; closing it unregisters the range.
     */
    public HostRegistration register(final MemorySegment segment, final int flags)
    {
        checkUsable();
        checkNative(segment, "segment");
        check(cudart_h.cudaHostRegister(segment, segment.byteSize(), flags),
            "cudaHostRegister(size=" + segment.byteSize() + ", flags=" + flags + ")");
        return new HostRegistration(segment);
    }

    /**
     * Creates a stream ({@code cudaStreamCreateWithFlags}).
     *
     * @param nonBlocking true for {@code cudaStreamNonBlocking}: no implicit ordering with the
     *                    legacy default stream.
     * @return the stream; its owner must close it.
     */
    public CudaStream createStream(final boolean nonBlocking)
    {
        checkUsable();
        try (Arena arena = Arena.ofConfined())
        {
            final MemorySegment out = arena.allocate(ValueLayout.ADDRESS);
            final int flags = nonBlocking ? cudart_h.cudaStreamNonBlocking() : cudart_h.cudaStreamDefault();
            check(cudart_h.cudaStreamCreateWithFlags(out, flags), "cudaStreamCreateWithFlags(flags=" + flags + ")");
            return new CudaStream(out.get(ValueLayout.ADDRESS, 0));
        }
    }

    /**
     * Creates an event ({@code cudaEventCreateWithFlags}).
     *
     * @param timing true to allow {@link CudaEvent#elapsedMillisSince}; false creates it with
     *               {@code cudaEventDisableTiming}, which is cheaper to record and query.
     * @return the event; its owner must close it.
     */
    public CudaEvent createEvent(final boolean timing)
    {
        checkUsable();
        try (Arena arena = Arena.ofConfined())
        {
            final MemorySegment out = arena.allocate(ValueLayout.ADDRESS);
            final int flags = timing ? cudart_h.cudaEventDefault() : cudart_h.cudaEventDisableTiming();
            check(cudart_h.cudaEventCreateWithFlags(out, flags), "cudaEventCreateWithFlags(flags=" + flags + ")");
            return new CudaEvent(out.get(ValueLayout.ADDRESS, 0));
        }
    }

    /**
     * Copies between raw addresses and waits for it ({@code cudaMemcpy}). Prefer the typed
     * methods of {@link DeviceBuffer}, which check bounds.
     *
     * @param dst   destination address.
     * @param src   source address.
     * @param bytes count.
     * @param kind  direction.
     */
    public void copy(final long dst, final long src, final long bytes, final MemcpyKind kind)
    {
        checkUsable();
        if (bytes == 0)
        {
            return;
        }
        check(cudart_h.cudaMemcpy(MemorySegment.ofAddress(dst), MemorySegment.ofAddress(src), bytes, kind.value()),
            "cudaMemcpy(bytes=" + bytes + ", kind=" + kind + ")");
    }

    /**
     * Queues a copy between raw addresses on a stream ({@code cudaMemcpyAsync}). The host side
     * must not change or be freed until the stream has reached this point.
     *
     * @param dst    destination address.
     * @param src    source address.
     * @param bytes  count.
     * @param kind   direction.
     * @param stream where the copy is queued.
     */
    public void copyAsync(final long dst, final long src, final long bytes, final MemcpyKind kind, final CudaStream stream)
    {
        checkUsable();
        if (bytes == 0)
        {
            return;
        }
        check(cudart_h.cudaMemcpyAsync(
            MemorySegment.ofAddress(dst), MemorySegment.ofAddress(src), bytes, kind.value(), stream.handle()),
            "cudaMemcpyAsync(bytes=" + bytes + ", kind=" + kind + ")");
    }

    /**
     * Waits for all work on the calling thread's current device ({@code cudaDeviceSynchronize}).
     */
    public void synchronizeDevice()
    {
        checkUsable();
        check(cudart_h.cudaDeviceSynchronize(), "cudaDeviceSynchronize()");
    }

    /**
     * Clears and returns the runtime's last error ({@code cudaGetLastError}).
     *
     * @return the code, 0 when none.
     */
    public int lastError()
    {
        checkUsable();
        return cudart_h.cudaGetLastError();
    }

    /**
     * The runtime's name for an error code ({@code cudaGetErrorName}).
     *
     * @param code a {@code cudaError_t}.
     * @return e.g. {@code "cudaErrorNoDevice"}; the runtime answers {@code "unrecognized error code"}
     *         for codes it does not know.
     */
    public static String errorName(final int code)
    {
        final MemorySegment name = cudart_h.cudaGetErrorName(code);
        return name.equals(MemorySegment.NULL) ? CudaError.valueOf(code).cName() : name.reinterpret(ERROR_NAME_MAX).getString(0);
    }

    /**
     * The runtime's description of an error code ({@code cudaGetErrorString}).
     *
     * @param code a {@code cudaError_t}.
     * @return a sentence.
     */
    public static String errorString(final int code)
    {
        final MemorySegment text = cudart_h.cudaGetErrorString(code);
        return text.equals(MemorySegment.NULL) ? "unknown error " + code : text.reinterpret(ERROR_NAME_MAX * 4).getString(0);
    }

    /**
     * Throws {@link CudaException} unless {@code rc} is {@code cudaSuccess}.
     *
     * @param rc   what the call returned.
     * @param call the call, with its arguments, for the message.
     */
    static void check(final int rc, final String call)
    {
        if (rc != 0)
        {
            throw new CudaException(call, rc, errorName(rc), errorString(rc));
        }
    }

    private void checkUsable()
    {
        if (!usable)
        {
            throw new IllegalStateException("the CUDA runtime is not usable: " + unavailableReason);
        }
    }

    private void checkDevice(final int device)
    {
        checkUsable();
        if (device < 0 || device >= deviceCount)
        {
            throw new IllegalArgumentException("device=" + device + " is not in [0, " + deviceCount + ")");
        }
    }

    private static int attribute(final MemorySegment out, final int attribute, final int device)
    {
        out.set(ValueLayout.JAVA_INT, 0, 0);
        final int rc = cudart_h.cudaDeviceGetAttribute(out, attribute, device);
        // an attribute a newer runtime dropped reads as 0 rather than failing the whole query
        return rc == 0 ? out.get(ValueLayout.JAVA_INT, 0) : 0;
    }

    static void checkPositive(final long value, final String name)
    {
        if (value <= 0)
        {
            throw new IllegalArgumentException(name + "=" + value + " must be > 0");
        }
    }

    static void checkNative(final MemorySegment segment, final String name)
    {
        Objects.requireNonNull(segment, name);
        if (!segment.isNative())
        {
            throw new IllegalArgumentException(name + " is a heap segment; CUDA copies need native memory (copy it into a native segment first)");
        }
    }

    @Override
    public String toString()
    {
        return usable ?
            "CudaRuntime[" + deviceCount + " device(s), runtime " + version(runtimeVersion) + ", driver " + version(driverVersion) +
                ", " + library.description() + "]" :
            "CudaRuntime[unavailable: " + unavailableReason + "]";
    }
}
