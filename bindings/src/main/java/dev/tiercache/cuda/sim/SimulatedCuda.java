package dev.tiercache.cuda.sim;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemoryLayout;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.SymbolLookup;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.MethodType;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;

/**
 * A CUDA device simulated in Java: a {@link SymbolLookup} that answers the CUDA runtime's C symbol
 * names with upcall stubs, so that code under test goes through the real downcall handles and
 * argument marshalling of {@code dev.tiercache.cuda.raw} and never knows the difference.
 *
 * <h2>Memory</h2>
 * Device memory is host memory from {@code malloc} (untouched pages cost nothing, so a 2 GiB
 * "device" does not use 2 GiB of RAM until written), accounted against the profile's capacity.
 * The pointers handed out are <em>tagged</em>: the top byte of the real address is replaced by
 * {@code 0xDE}, which makes them non-canonical on x86-64 and aarch64 (user addresses use 47 or 48
 * bits). Such a pointer cannot be used as a host pointer by accident: a dereference faults at
 * once instead of silently reading host data, and every copy checks the tag against the copy
 * kind and the range against one live allocation, answering {@code cudaErrorInvalidValue} on a
 * mismatch, as a real device answers an unknown pointer.
 *
 * <h2>Streams and events</h2>
 * Each stream is a single worker thread, so work queued on it runs in order and truly
 * asynchronously to the caller; an event completes when its stream reaches it. The legacy default
 * stream ({@code NULL}) waits for every stream and runs inline. Link emulation (off by default)
 * makes each host-device transfer of N bytes take latency + N / bandwidth of the profile.
 *
 * <h2>Failure</h2>
 * An exception escaping an upcall kills the JVM, so every stub catches everything and returns
 * {@code cudaErrorUnknown}, keeping the throwable for {@link #lastInternalError()}. Faults are
 * injected with {@link #failNthCall}. No stub is ever linked as a critical function.
 *
 * <h2>Concurrency</h2>
 * One instance per process, installed by discovery ({@code tiercache.cudart=sim:NAME}); its state
 * is guarded by {@code this}. {@link #reset} swaps the profile behind the same stubs.
 */
public final class SimulatedCuda
{
    static final long DEVICE_TAG = 0xDEL << 56;
    static final long TAG_MASK = 0xFFL << 56;
    static final long DEVICE_ALIGNMENT = 256;
    static final long ACCOUNTING_GRANULARITY = 512;

    private static final int SUCCESS = 0;
    private static final int INVALID_VALUE = 1;
    private static final int MEMORY_ALLOCATION = 2;
    private static final int INVALID_DEVICE = 101;
    private static final int INVALID_RESOURCE_HANDLE = 400;
    private static final int NOT_READY = 600;
    private static final int HOST_MEMORY_ALREADY_REGISTERED = 712;
    private static final int HOST_MEMORY_NOT_REGISTERED = 713;
    private static final int UNKNOWN = 999;

    private static final int EVENT_DISABLE_TIMING = 2;

    private static final Object INSTALL_LOCK = new Object();
    private static SimulatedCuda installed;

    private final Arena stubArena = Arena.ofShared();
    private final Map<String, MemorySegment> stubs = new HashMap<>();
    private final SymbolLookup lookup;
    private final MethodHandle malloc;
    private final MethodHandle free;
    private final Map<Integer, MemorySegment> errorNames = new HashMap<>();
    private final Map<Integer, MemorySegment> errorStrings = new HashMap<>();
    private final ThreadLocal<int[]> currentDevice = ThreadLocal.withInitial(() -> new int[1]);
    private final AtomicLong handleCounter = new AtomicLong(1);

    private SimulatedDeviceProfile profile;
    private final TreeMap<Long, Allocation> deviceAllocations = new TreeMap<>();
    private final Map<Long, Allocation> hostAllocations = new HashMap<>();
    private final TreeMap<Long, Long> registrations = new TreeMap<>();
    private final Map<Long, Stream> streams = new HashMap<>();
    private final Map<Long, Event> events = new HashMap<>();
    private final Map<String, Fault> faults = new HashMap<>();
    private final Map<String, Long> callCounts = new HashMap<>();
    private final Map<Long, Module> modules = new HashMap<>();
    private final Map<Long, Function> functions = new HashMap<>();
    private final ThreadLocal<long[]> currentContext = ThreadLocal.withInitial(() -> new long[1]);
    private int[] primaryRetains = new int[0];
    private boolean driverInitialised;
    private long usedDeviceBytes;
    private int lastError;
    private boolean linkEmulation;
    private volatile Throwable lastInternalError;

    private record Allocation(long raw, long base, long size, long accounted)
    {
    }

    private record Module(long context, Map<String, Integer> entries)
    {
    }

    private record Function(long module, String name)
    {
    }

    private static final class Fault
    {
        int remaining;
        int repeats;
        final int code;

        Fault(final int remaining, final int repeats, final int code)
        {
            this.remaining = remaining;
            this.repeats = repeats;
            this.code = code;
        }
    }

    private static final class Stream
    {
        final ExecutorService worker;
        final boolean nonBlocking;
        CompletableFuture<Void> tail = CompletableFuture.completedFuture(null);
        int stickyError;

        Stream(final long id, final boolean nonBlocking)
        {
            this.nonBlocking = nonBlocking;
            this.worker = Executors.newSingleThreadExecutor(runnable ->
            {
                final Thread thread = new Thread(runnable, "simulated-cuda-stream-" + id);
                thread.setDaemon(true);
                return thread;
            });
        }
    }

    private static final class Event
    {
        final int flags;
        volatile CompletableFuture<Void> recorded;
        volatile long completedAtNanos;

        Event(final int flags)
        {
            this.flags = flags;
        }
    }

    private SimulatedCuda(final SimulatedDeviceProfile profile)
    {
        this.profile = profile;
        this.primaryRetains = new int[profile.deviceCount()];
        final Linker linker = Linker.nativeLinker();
        final SymbolLookup libc = linker.defaultLookup();
        malloc = linker.downcallHandle(libc.find("malloc").orElseThrow(),
            FunctionDescriptor.of(ValueLayout.ADDRESS, ValueLayout.JAVA_LONG));
        free = linker.downcallHandle(libc.find("free").orElseThrow(), FunctionDescriptor.ofVoid(ValueLayout.ADDRESS));
        createStubs(linker);
        lookup = name -> Optional.ofNullable(stubs.get(name));
    }

    /**
     * Installs the process-wide simulated device with a named profile (or swaps the profile of the
     * installed one) and returns the lookup that answers the runtime's symbols.
     *
     * @param profileName e.g. {@code mx250}; see {@link SimulatedDeviceProfile#names()}.
     * @return the symbol lookup.
     * @throws IllegalArgumentException for an unknown profile.
     */
    public static SymbolLookup install(final String profileName)
    {
        final SimulatedDeviceProfile profile = SimulatedDeviceProfile.named(profileName);
        synchronized (INSTALL_LOCK)
        {
            if (installed == null)
            {
                installed = new SimulatedCuda(profile);
            }
            else
            {
                installed.reset(profile);
            }
            return installed.lookup;
        }
    }

    /**
     * The installed simulated device.
     *
     * @return the instance.
     * @throws IllegalStateException when discovery did not select a simulated device.
     */
    public static SimulatedCuda current()
    {
        synchronized (INSTALL_LOCK)
        {
            if (installed == null)
            {
                throw new IllegalStateException("no simulated CUDA device is installed; start with -Dtiercache.cudart=sim:mx250");
            }
            return installed;
        }
    }

    /**
     * Whether a simulated device is installed in this process.
     *
     * @return true after {@link #install}.
     */
    public static boolean isInstalled()
    {
        synchronized (INSTALL_LOCK)
        {
            return installed != null;
        }
    }

    /**
     * The lookup answering the runtime's symbols.
     *
     * @return the lookup.
     */
    public SymbolLookup symbolLookup()
    {
        return lookup;
    }

    /**
     * Frees everything outstanding, clears faults and counters and applies a profile.
     *
     * @param newProfile what the device is from now on.
     * @return a description of what was still outstanding (empty when nothing leaked).
     */
    public String reset(final SimulatedDeviceProfile newProfile)
    {
        final List<Stream> toStop;
        final String leaks;
        synchronized (this)
        {
            leaks = outstandingDescription();
            toStop = new ArrayList<>(streams.values());
            streams.clear();
            events.clear();
            for (final Allocation allocation : deviceAllocations.values())
            {
                freeRaw(allocation.raw);
            }
            for (final Allocation allocation : hostAllocations.values())
            {
                freeRaw(allocation.raw);
            }
            deviceAllocations.clear();
            hostAllocations.clear();
            registrations.clear();
            modules.clear();
            functions.clear();
            primaryRetains = new int[newProfile.deviceCount()];
            driverInitialised = false;
            faults.clear();
            callCounts.clear();
            usedDeviceBytes = 0;
            lastError = SUCCESS;
            linkEmulation = false;
            lastInternalError = null;
            profile = newProfile;
        }
        for (final Stream stream : toStop)
        {
            stream.worker.shutdownNow();
        }
        return leaks;
    }

    /**
     * The current profile.
     *
     * @return the profile.
     */
    public synchronized SimulatedDeviceProfile profile()
    {
        return profile;
    }

    /**
     * Makes the {@code n}-th call from now of a function return {@code errorCode} instead of
     * running (once).
     *
     * @param function  the C name, e.g. {@code "cudaMalloc"}.
     * @param n         1 for the next call.
     * @param errorCode the {@code cudaError_t} to return.
     */
    public synchronized void failNthCall(final String function, final int n, final int errorCode)
    {
        if (!stubs.containsKey(function))
        {
            throw new IllegalArgumentException("function=" + function + " is not simulated; known: " + stubs.keySet());
        }
        if (n < 1 || errorCode == SUCCESS)
        {
            throw new IllegalArgumentException("n=" + n + " must be >= 1 and errorCode=" + errorCode + " must not be 0");
        }
        faults.put(function, new Fault(n, 1, errorCode));
    }

    /**
     * Makes the next {@code count} calls of a function return {@code errorCode} instead of running.
     *
     * @param function  the C name, e.g. {@code "cudaStreamSynchronize"}.
     * @param count     how many calls in a row fail, at least 1.
     * @param errorCode the {@code cudaError_t} to return.
     */
    public synchronized void failNextCalls(final String function, final int count, final int errorCode)
    {
        failNthCall(function, 1, errorCode);
        if (count < 1)
        {
            throw new IllegalArgumentException("count=" + count + " must be >= 1");
        }
        faults.get(function).repeats = count;
    }

    /** Removes every pending fault. */
    public synchronized void clearFaults()
    {
        faults.clear();
    }

    /**
     * Turns link emulation on or off: with it, each host-device copy of N bytes takes the
     * profile's latency + N / bandwidth.
     *
     * @param on whether to emulate.
     */
    public synchronized void emulateLink(final boolean on)
    {
        linkEmulation = on;
    }

    /**
     * How often a function was called since the last reset.
     *
     * @param function the C name.
     * @return the count.
     */
    public synchronized long callCount(final String function)
    {
        return callCounts.getOrDefault(function, 0L);
    }

    /**
     * Live device allocations.
     *
     * @return the count.
     */
    public synchronized int outstandingDeviceAllocations()
    {
        return deviceAllocations.size();
    }

    /**
     * Bytes accounted to live device allocations.
     *
     * @return bytes.
     */
    public synchronized long usedDeviceBytes()
    {
        return usedDeviceBytes;
    }

    /**
     * Live pinned host allocations.
     *
     * @return the count.
     */
    public synchronized int outstandingHostAllocations()
    {
        return hostAllocations.size();
    }

    /**
     * Live host registrations, streams and events together.
     *
     * @return the count.
     */
    public synchronized int outstandingHandles()
    {
        return registrations.size() + streams.size() + events.size();
    }

    /**
     * Everything still outstanding, for leak checks in tests.
     *
     * @return empty when nothing is outstanding.
     */
    public synchronized String outstandingDescription()
    {
        final int retains = java.util.Arrays.stream(primaryRetains).sum();
        if (deviceAllocations.isEmpty() && hostAllocations.isEmpty() && registrations.isEmpty() && streams.isEmpty() && events.isEmpty() &&
            modules.isEmpty() && retains == 0)
        {
            return "";
        }
        return "device allocations=" + deviceAllocations.size() + " (" + usedDeviceBytes + " bytes), pinned host allocations=" +
            hostAllocations.size() + ", host registrations=" + registrations.size() + ", streams=" + streams.size() +
            ", events=" + events.size() + ", modules=" + modules.size() + ", primary context retains=" + retains;
    }

    /**
     * The last exception a stub caught (a bug in the simulator or in a caller's arguments).
     *
     * @return the throwable, or {@code null}.
     */
    public Throwable lastInternalError()
    {
        return lastInternalError;
    }

    // ------------------------------------------------------------------------------------------
    // The stubs. Each catches everything: an exception escaping an upcall terminates the JVM.
    // ------------------------------------------------------------------------------------------

    private void createStubs(final Linker linker)
    {
        final ValueLayout.OfInt i = ValueLayout.JAVA_INT;
        final ValueLayout.OfLong j = ValueLayout.JAVA_LONG;
        final ValueLayout a = ValueLayout.ADDRESS;
        stub(linker, "cudaGetDeviceCount", FunctionDescriptor.of(i, a));
        stub(linker, "cudaSetDevice", FunctionDescriptor.of(i, i));
        stub(linker, "cudaGetDevice", FunctionDescriptor.of(i, a));
        stub(linker, "cudaDeviceGetAttribute", FunctionDescriptor.of(i, a, i, i));
        stub(linker, "cudaDeviceGetPCIBusId", FunctionDescriptor.of(i, a, i, i));
        stub(linker, "cudaMemGetInfo", FunctionDescriptor.of(i, a, a));
        stub(linker, "cudaMalloc", FunctionDescriptor.of(i, a, j));
        stub(linker, "cudaFree", FunctionDescriptor.of(i, a));
        stub(linker, "cudaHostAlloc", FunctionDescriptor.of(i, a, j, i));
        stub(linker, "cudaFreeHost", FunctionDescriptor.of(i, a));
        stub(linker, "cudaHostRegister", FunctionDescriptor.of(i, a, j, i));
        stub(linker, "cudaHostUnregister", FunctionDescriptor.of(i, a));
        stub(linker, "cudaMemcpy", FunctionDescriptor.of(i, a, a, j, i));
        stub(linker, "cudaMemcpyAsync", FunctionDescriptor.of(i, a, a, j, i, a));
        stub(linker, "cudaMemsetAsync", FunctionDescriptor.of(i, a, i, j, a));
        stub(linker, "cudaStreamCreateWithFlags", FunctionDescriptor.of(i, a, i));
        stub(linker, "cudaStreamSynchronize", FunctionDescriptor.of(i, a));
        stub(linker, "cudaStreamDestroy", FunctionDescriptor.of(i, a));
        stub(linker, "cudaEventCreateWithFlags", FunctionDescriptor.of(i, a, i));
        stub(linker, "cudaEventRecord", FunctionDescriptor.of(i, a, a));
        stub(linker, "cudaEventSynchronize", FunctionDescriptor.of(i, a));
        stub(linker, "cudaEventQuery", FunctionDescriptor.of(i, a));
        stub(linker, "cudaEventElapsedTime", FunctionDescriptor.of(i, a, a, a));
        stub(linker, "cudaEventDestroy", FunctionDescriptor.of(i, a));
        stub(linker, "cudaGetErrorName", FunctionDescriptor.of(a, i));
        stub(linker, "cudaGetErrorString", FunctionDescriptor.of(a, i));
        stub(linker, "cudaGetLastError", FunctionDescriptor.of(i));
        stub(linker, "cudaRuntimeGetVersion", FunctionDescriptor.of(i, a));
        stub(linker, "cudaDriverGetVersion", FunctionDescriptor.of(i, a));
        stub(linker, "cudaDeviceSynchronize", FunctionDescriptor.of(i));
        // the driver API: enough to load a PTX module and launch its kernels
        stub(linker, "cuGetErrorName", FunctionDescriptor.of(i, i, a));
        stub(linker, "cuInit", FunctionDescriptor.of(i, i));
        stub(linker, "cuDriverGetVersion", FunctionDescriptor.of(i, a));
        stub(linker, "cuDeviceGet", FunctionDescriptor.of(i, a, i));
        stub(linker, "cuDevicePrimaryCtxRetain", FunctionDescriptor.of(i, a, i));
        stub(linker, "cuDevicePrimaryCtxRelease_v2", FunctionDescriptor.of(i, i));
        stub(linker, "cuCtxSetCurrent", FunctionDescriptor.of(i, a));
        stub(linker, "cuModuleLoadData", FunctionDescriptor.of(i, a, a));
        stub(linker, "cuModuleGetFunction", FunctionDescriptor.of(i, a, a, a));
        stub(linker, "cuModuleUnload", FunctionDescriptor.of(i, a));
        stub(linker, "cuLaunchKernel", FunctionDescriptor.of(i, a, i, i, i, i, i, i, i, a, a, a));
    }

    /**
     * The descriptors the stubs were linked with, by C name (a test checks them against the
     * bindings' own).
     *
     * @return name to descriptor.
     */
    public static Map<String, FunctionDescriptor> stubDescriptors()
    {
        return STUB_DESCRIPTORS;
    }

    private static final Map<String, FunctionDescriptor> STUB_DESCRIPTORS = new HashMap<>();

    private void stub(final Linker linker, final String name, final FunctionDescriptor descriptor)
    {
        try
        {
            final MethodType type = descriptor.toMethodType();
            final MethodHandle target = MethodHandles.lookup().findVirtual(SimulatedCuda.class, "do_" + name, type).bindTo(this);
            final MethodHandle guarded = MethodHandles.catchException(
                target, Throwable.class, guardFor(type.returnType()));
            stubs.put(name, linker.upcallStub(guarded, descriptor, stubArena));
            synchronized (STUB_DESCRIPTORS)
            {
                STUB_DESCRIPTORS.put(name, descriptor);
            }
        }
        catch (final ReflectiveOperationException ex)
        {
            throw new IllegalStateException("simulator has no handler for " + name, ex);
        }
    }

    private MethodHandle guardFor(final Class<?> returnType) throws ReflectiveOperationException
    {
        final String handler = returnType == int.class ? "onStubFailureInt" : "onStubFailureAddress";
        return MethodHandles.lookup().findVirtual(SimulatedCuda.class, handler, MethodType.methodType(returnType, Throwable.class))
            .bindTo(this);
    }

    @SuppressWarnings("unused")
    private int onStubFailureInt(final Throwable throwable)
    {
        lastInternalError = throwable;
        return UNKNOWN;
    }

    @SuppressWarnings("unused")
    private MemorySegment onStubFailureAddress(final Throwable throwable)
    {
        lastInternalError = throwable;
        return MemorySegment.NULL;
    }

    /**
     * Counts the call and answers an injected fault or the profile's init error, or 0 to go on.
     */
    private int enter(final String function, final boolean exemptFromInitError)
    {
        callCounts.merge(function, 1L, Long::sum);
        final Fault fault = faults.get(function);
        if (fault != null && --fault.remaining == 0)
        {
            if (--fault.repeats == 0)
            {
                faults.remove(function);
            }
            else
            {
                fault.remaining = 1;
            }
            return fail(fault.code);
        }
        if (profile.initError() != 0 && !exemptFromInitError)
        {
            return fail(profile.initError());
        }
        return SUCCESS;
    }

    private int fail(final int code)
    {
        lastError = code;
        return code;
    }

    @SuppressWarnings("unused")
    private synchronized int do_cudaGetDeviceCount(final MemorySegment count)
    {
        final int rc = enter("cudaGetDeviceCount", false);
        if (rc != SUCCESS)
        {
            return rc;
        }
        out(count, ValueLayout.JAVA_INT).set(ValueLayout.JAVA_INT, 0, profile.deviceCount());
        return SUCCESS;
    }

    @SuppressWarnings("unused")
    private synchronized int do_cudaSetDevice(final int device)
    {
        final int rc = enter("cudaSetDevice", false);
        if (rc != SUCCESS)
        {
            return rc;
        }
        if (device < 0 || device >= profile.deviceCount())
        {
            return fail(INVALID_DEVICE);
        }
        currentDevice.get()[0] = device;
        return SUCCESS;
    }

    @SuppressWarnings("unused")
    private synchronized int do_cudaGetDevice(final MemorySegment device)
    {
        final int rc = enter("cudaGetDevice", false);
        if (rc != SUCCESS)
        {
            return rc;
        }
        out(device, ValueLayout.JAVA_INT).set(ValueLayout.JAVA_INT, 0, currentDevice.get()[0]);
        return SUCCESS;
    }

    @SuppressWarnings("unused")
    private synchronized int do_cudaDeviceGetAttribute(final MemorySegment value, final int attribute, final int device)
    {
        final int rc = enter("cudaDeviceGetAttribute", false);
        if (rc != SUCCESS)
        {
            return rc;
        }
        if (device < 0 || device >= profile.deviceCount())
        {
            return fail(INVALID_DEVICE);
        }
        final int answer = switch (attribute)
        {
            case 75 -> profile.computeMajor();
            case 76 -> profile.computeMinor();
            case 16 -> profile.multiProcessorCount();
            case 36 -> profile.memoryClockKHz();
            case 37 -> profile.memoryBusWidthBits();
            case 13 -> profile.clockKHz();
            case 40 -> profile.asyncEngineCount();
            case 33 -> Integer.parseInt(profile.pciBusId().substring(5, 7), 16);
            case 50 -> Integer.parseInt(profile.pciBusId().substring(0, 4), 16);
            case 34 -> Integer.parseInt(profile.pciBusId().substring(8, 10), 16);
            case 19, 41, 99 -> 1;
            case 18, 88, 89 -> 0;
            default -> -1;
        };
        if (answer < 0)
        {
            return fail(INVALID_VALUE);
        }
        out(value, ValueLayout.JAVA_INT).set(ValueLayout.JAVA_INT, 0, answer);
        return SUCCESS;
    }

    @SuppressWarnings("unused")
    private synchronized int do_cudaDeviceGetPCIBusId(final MemorySegment buffer, final int length, final int device)
    {
        final int rc = enter("cudaDeviceGetPCIBusId", false);
        if (rc != SUCCESS)
        {
            return rc;
        }
        if (device < 0 || device >= profile.deviceCount())
        {
            return fail(INVALID_DEVICE);
        }
        final String id = profile.pciBusId();
        if (length < id.length() + 1 || buffer.equals(MemorySegment.NULL))
        {
            return fail(INVALID_VALUE);
        }
        buffer.reinterpret(length).setString(0, id);
        return SUCCESS;
    }

    @SuppressWarnings("unused")
    private synchronized int do_cudaMemGetInfo(final MemorySegment free, final MemorySegment total)
    {
        final int rc = enter("cudaMemGetInfo", false);
        if (rc != SUCCESS)
        {
            return rc;
        }
        out(free, ValueLayout.JAVA_LONG).set(ValueLayout.JAVA_LONG, 0, freeDeviceBytes());
        out(total, ValueLayout.JAVA_LONG).set(ValueLayout.JAVA_LONG, 0, profile.totalBytes());
        return SUCCESS;
    }

    private long freeDeviceBytes()
    {
        return profile.totalBytes() - profile.reservedBytes() - usedDeviceBytes;
    }

    @SuppressWarnings("unused")
    private synchronized int do_cudaMalloc(final MemorySegment pointer, final long size)
    {
        final int rc = enter("cudaMalloc", false);
        if (rc != SUCCESS)
        {
            return rc;
        }
        if (pointer.equals(MemorySegment.NULL))
        {
            return fail(INVALID_VALUE);
        }
        if (size == 0)
        {
            out(pointer, ValueLayout.ADDRESS).set(ValueLayout.ADDRESS, 0, MemorySegment.NULL);
            return SUCCESS;
        }
        final long accounted = roundUp(size, ACCOUNTING_GRANULARITY);
        if (size < 0 || accounted > freeDeviceBytes())
        {
            return fail(MEMORY_ALLOCATION);
        }
        final long raw = mallocRaw(size + DEVICE_ALIGNMENT);
        if (raw == 0)
        {
            return fail(MEMORY_ALLOCATION);
        }
        final long base = roundUp(raw, DEVICE_ALIGNMENT);
        if ((base & TAG_MASK) != 0)
        {
            freeRaw(raw);
            throw new IllegalStateException("host address 0x" + Long.toHexString(base) + " uses the top byte; cannot tag it");
        }
        final long tagged = base | DEVICE_TAG;
        deviceAllocations.put(tagged, new Allocation(raw, base, size, accounted));
        usedDeviceBytes += accounted;
        out(pointer, ValueLayout.ADDRESS).set(ValueLayout.ADDRESS, 0, MemorySegment.ofAddress(tagged));
        return SUCCESS;
    }

    @SuppressWarnings("unused")
    private synchronized int do_cudaFree(final MemorySegment pointer)
    {
        final int rc = enter("cudaFree", false);
        if (rc != SUCCESS)
        {
            return rc;
        }
        if (pointer.equals(MemorySegment.NULL))
        {
            return SUCCESS;
        }
        final Allocation allocation = deviceAllocations.remove(pointer.address());
        if (allocation == null)
        {
            return fail(INVALID_VALUE);
        }
        usedDeviceBytes -= allocation.accounted;
        freeRaw(allocation.raw);
        return SUCCESS;
    }

    @SuppressWarnings("unused")
    private synchronized int do_cudaHostAlloc(final MemorySegment pointer, final long size, final int flags)
    {
        final int rc = enter("cudaHostAlloc", false);
        if (rc != SUCCESS)
        {
            return rc;
        }
        if (pointer.equals(MemorySegment.NULL) || size <= 0 || (flags & ~0x7) != 0)
        {
            return fail(INVALID_VALUE);
        }
        final long raw = mallocRaw(size);
        if (raw == 0)
        {
            return fail(MEMORY_ALLOCATION);
        }
        hostAllocations.put(raw, new Allocation(raw, raw, size, size));
        out(pointer, ValueLayout.ADDRESS).set(ValueLayout.ADDRESS, 0, MemorySegment.ofAddress(raw));
        return SUCCESS;
    }

    @SuppressWarnings("unused")
    private synchronized int do_cudaFreeHost(final MemorySegment pointer)
    {
        final int rc = enter("cudaFreeHost", false);
        if (rc != SUCCESS)
        {
            return rc;
        }
        final Allocation allocation = hostAllocations.remove(pointer.address());
        if (allocation == null)
        {
            return fail(INVALID_VALUE);
        }
        freeRaw(allocation.raw);
        return SUCCESS;
    }

    @SuppressWarnings("unused")
    private synchronized int do_cudaHostRegister(final MemorySegment pointer, final long size, final int flags)
    {
        final int rc = enter("cudaHostRegister", false);
        if (rc != SUCCESS)
        {
            return rc;
        }
        final long start = pointer.address();
        if (start == 0 || size <= 0 || isDevice(start) || (flags & ~0xF) != 0)
        {
            return fail(INVALID_VALUE);
        }
        final Map.Entry<Long, Long> below = registrations.floorEntry(start + size - 1);
        if (below != null && below.getKey() + below.getValue() > start)
        {
            return fail(HOST_MEMORY_ALREADY_REGISTERED);
        }
        registrations.put(start, size);
        return SUCCESS;
    }

    @SuppressWarnings("unused")
    private synchronized int do_cudaHostUnregister(final MemorySegment pointer)
    {
        final int rc = enter("cudaHostUnregister", false);
        if (rc != SUCCESS)
        {
            return rc;
        }
        return registrations.remove(pointer.address()) == null ? fail(HOST_MEMORY_NOT_REGISTERED) : SUCCESS;
    }

    @SuppressWarnings("unused")
    private int do_cudaMemcpy(final MemorySegment dst, final MemorySegment src, final long count, final int kind)
    {
        final Runnable copy;
        synchronized (this)
        {
            final int rc = enter("cudaMemcpy", false);
            if (rc != SUCCESS)
            {
                return rc;
            }
            final long[] resolved = new long[2];
            final int check = resolveCopy(dst.address(), src.address(), count, kind, resolved);
            if (check != SUCCESS)
            {
                return fail(check);
            }
            copy = copyTask(resolved[0], resolved[1], count, dst.address(), src.address());
        }
        // the legacy default stream waits for all blocking streams
        final int drained = drainBlockingStreams();
        if (drained != SUCCESS)
        {
            return drained;
        }
        copy.run();
        return SUCCESS;
    }

    @SuppressWarnings("unused")
    private int do_cudaMemcpyAsync(
        final MemorySegment dst, final MemorySegment src, final long count, final int kind, final MemorySegment stream)
    {
        final Runnable copy;
        final Stream target;
        synchronized (this)
        {
            final int rc = enter("cudaMemcpyAsync", false);
            if (rc != SUCCESS)
            {
                return rc;
            }
            final long[] resolved = new long[2];
            final int check = resolveCopy(dst.address(), src.address(), count, kind, resolved);
            if (check != SUCCESS)
            {
                return fail(check);
            }
            target = stream.equals(MemorySegment.NULL) ? null : streams.get(stream.address());
            if (!stream.equals(MemorySegment.NULL) && target == null)
            {
                return fail(INVALID_RESOURCE_HANDLE);
            }
            copy = copyTask(resolved[0], resolved[1], count, dst.address(), src.address());
            if (target != null)
            {
                enqueue(target, copy);
                return SUCCESS;
            }
        }
        final int drained = drainBlockingStreams();
        if (drained != SUCCESS)
        {
            return drained;
        }
        copy.run();
        return SUCCESS;
    }

    @SuppressWarnings("unused")
    private int do_cudaMemsetAsync(final MemorySegment pointer, final int value, final long count, final MemorySegment stream)
    {
        final Runnable fill;
        synchronized (this)
        {
            final int rc = enter("cudaMemsetAsync", false);
            if (rc != SUCCESS)
            {
                return rc;
            }
            final long host = deviceToHost(pointer.address(), count);
            if (host == 0)
            {
                return fail(INVALID_VALUE);
            }
            fill = () -> MemorySegment.ofAddress(host).reinterpret(count).fill((byte) value);
            if (!stream.equals(MemorySegment.NULL))
            {
                final Stream target = streams.get(stream.address());
                if (target == null)
                {
                    return fail(INVALID_RESOURCE_HANDLE);
                }
                enqueue(target, fill);
                return SUCCESS;
            }
        }
        final int drained = drainBlockingStreams();
        if (drained != SUCCESS)
        {
            return drained;
        }
        fill.run();
        return SUCCESS;
    }

    @SuppressWarnings("unused")
    private synchronized int do_cudaStreamCreateWithFlags(final MemorySegment pointer, final int flags)
    {
        final int rc = enter("cudaStreamCreateWithFlags", false);
        if (rc != SUCCESS)
        {
            return rc;
        }
        if (pointer.equals(MemorySegment.NULL) || (flags & ~1) != 0)
        {
            return fail(INVALID_VALUE);
        }
        final long handle = newHandle();
        streams.put(handle, new Stream(handle & 0xFFFF_FFFFL, flags == 1));
        out(pointer, ValueLayout.ADDRESS).set(ValueLayout.ADDRESS, 0, MemorySegment.ofAddress(handle));
        return SUCCESS;
    }

    @SuppressWarnings("unused")
    private int do_cudaStreamSynchronize(final MemorySegment handle)
    {
        final Stream stream;
        synchronized (this)
        {
            final int rc = enter("cudaStreamSynchronize", false);
            if (rc != SUCCESS)
            {
                return rc;
            }
            if (handle.equals(MemorySegment.NULL))
            {
                stream = null;
            }
            else
            {
                stream = streams.get(handle.address());
                if (stream == null)
                {
                    return fail(INVALID_RESOURCE_HANDLE);
                }
            }
        }
        return stream == null ? drainBlockingStreams() : await(stream);
    }

    @SuppressWarnings("unused")
    private int do_cudaStreamDestroy(final MemorySegment handle)
    {
        final Stream stream;
        synchronized (this)
        {
            final int rc = enter("cudaStreamDestroy", false);
            if (rc != SUCCESS)
            {
                return rc;
            }
            stream = streams.remove(handle.address());
            if (stream == null)
            {
                return fail(INVALID_RESOURCE_HANDLE);
            }
        }
        // queued work still completes, as on a device; then the worker ends
        stream.worker.shutdown();
        return SUCCESS;
    }

    @SuppressWarnings("unused")
    private synchronized int do_cudaEventCreateWithFlags(final MemorySegment pointer, final int flags)
    {
        final int rc = enter("cudaEventCreateWithFlags", false);
        if (rc != SUCCESS)
        {
            return rc;
        }
        if (pointer.equals(MemorySegment.NULL) || (flags & ~0x7) != 0)
        {
            return fail(INVALID_VALUE);
        }
        final long handle = newHandle();
        events.put(handle, new Event(flags));
        out(pointer, ValueLayout.ADDRESS).set(ValueLayout.ADDRESS, 0, MemorySegment.ofAddress(handle));
        return SUCCESS;
    }

    @SuppressWarnings("unused")
    private int do_cudaEventRecord(final MemorySegment handle, final MemorySegment stream)
    {
        final Event event;
        synchronized (this)
        {
            final int rc = enter("cudaEventRecord", false);
            if (rc != SUCCESS)
            {
                return rc;
            }
            event = events.get(handle.address());
            if (event == null)
            {
                return fail(INVALID_RESOURCE_HANDLE);
            }
            if (!stream.equals(MemorySegment.NULL))
            {
                final Stream target = streams.get(stream.address());
                if (target == null)
                {
                    return fail(INVALID_RESOURCE_HANDLE);
                }
                event.completedAtNanos = 0;
                event.recorded = enqueue(target, () -> event.completedAtNanos = System.nanoTime());
                return SUCCESS;
            }
        }
        final int drained = drainBlockingStreams();
        event.completedAtNanos = System.nanoTime();
        event.recorded = CompletableFuture.completedFuture(null);
        return drained;
    }

    @SuppressWarnings("unused")
    private int do_cudaEventSynchronize(final MemorySegment handle)
    {
        final Event event;
        synchronized (this)
        {
            final int rc = enter("cudaEventSynchronize", false);
            if (rc != SUCCESS)
            {
                return rc;
            }
            event = events.get(handle.address());
            if (event == null)
            {
                return fail(INVALID_RESOURCE_HANDLE);
            }
        }
        final CompletableFuture<Void> recorded = event.recorded;
        if (recorded != null)
        {
            recorded.join();
        }
        return SUCCESS;
    }

    @SuppressWarnings("unused")
    private synchronized int do_cudaEventQuery(final MemorySegment handle)
    {
        final int rc = enter("cudaEventQuery", false);
        if (rc != SUCCESS)
        {
            return rc;
        }
        final Event event = events.get(handle.address());
        if (event == null)
        {
            return fail(INVALID_RESOURCE_HANDLE);
        }
        final CompletableFuture<Void> recorded = event.recorded;
        // NOT_READY is an answer, not an error: it does not become the last error
        return recorded == null || recorded.isDone() ? SUCCESS : NOT_READY;
    }

    @SuppressWarnings("unused")
    private synchronized int do_cudaEventElapsedTime(final MemorySegment millis, final MemorySegment start, final MemorySegment end)
    {
        final int rc = enter("cudaEventElapsedTime", false);
        if (rc != SUCCESS)
        {
            return rc;
        }
        final Event first = events.get(start.address());
        final Event second = events.get(end.address());
        if (first == null || second == null)
        {
            return fail(INVALID_RESOURCE_HANDLE);
        }
        if ((first.flags & EVENT_DISABLE_TIMING) != 0 || (second.flags & EVENT_DISABLE_TIMING) != 0)
        {
            return fail(INVALID_RESOURCE_HANDLE);
        }
        if (first.recorded == null || second.recorded == null || !first.recorded.isDone() || !second.recorded.isDone())
        {
            return fail(NOT_READY);
        }
        final float elapsed = (second.completedAtNanos - first.completedAtNanos) / 1_000_000.0f;
        out(millis, ValueLayout.JAVA_FLOAT).set(ValueLayout.JAVA_FLOAT, 0, elapsed);
        return SUCCESS;
    }

    @SuppressWarnings("unused")
    private synchronized int do_cudaEventDestroy(final MemorySegment handle)
    {
        final int rc = enter("cudaEventDestroy", false);
        if (rc != SUCCESS)
        {
            return rc;
        }
        return events.remove(handle.address()) == null ? fail(INVALID_RESOURCE_HANDLE) : SUCCESS;
    }

    @SuppressWarnings("unused")
    private synchronized MemorySegment do_cudaGetErrorName(final int code)
    {
        callCounts.merge("cudaGetErrorName", 1L, Long::sum);
        return errorNames.computeIfAbsent(code, c -> stubArena.allocateFrom(SimulatedErrors.name(c)));
    }

    @SuppressWarnings("unused")
    private synchronized MemorySegment do_cudaGetErrorString(final int code)
    {
        callCounts.merge("cudaGetErrorString", 1L, Long::sum);
        return errorStrings.computeIfAbsent(code, c -> stubArena.allocateFrom(SimulatedErrors.description(c)));
    }

    @SuppressWarnings("unused")
    private synchronized int do_cudaGetLastError()
    {
        callCounts.merge("cudaGetLastError", 1L, Long::sum);
        final int error = lastError;
        // an initialisation failure is sticky, as the real runtime's is
        lastError = profile.initError();
        return error == SUCCESS ? profile.initError() : error;
    }

    @SuppressWarnings("unused")
    private synchronized int do_cudaRuntimeGetVersion(final MemorySegment version)
    {
        final int rc = enter("cudaRuntimeGetVersion", true);
        if (rc != SUCCESS)
        {
            return rc;
        }
        out(version, ValueLayout.JAVA_INT).set(ValueLayout.JAVA_INT, 0, profile.runtimeVersion());
        return SUCCESS;
    }

    @SuppressWarnings("unused")
    private synchronized int do_cudaDriverGetVersion(final MemorySegment version)
    {
        final int rc = enter("cudaDriverGetVersion", true);
        if (rc != SUCCESS)
        {
            return rc;
        }
        out(version, ValueLayout.JAVA_INT).set(ValueLayout.JAVA_INT, 0, profile.driverVersion());
        return SUCCESS;
    }

    @SuppressWarnings("unused")
    private int do_cudaDeviceSynchronize()
    {
        synchronized (this)
        {
            final int rc = enter("cudaDeviceSynchronize", false);
            if (rc != SUCCESS)
            {
                return rc;
            }
        }
        final List<Stream> all;
        synchronized (this)
        {
            all = new ArrayList<>(streams.values());
        }
        int result = SUCCESS;
        for (final Stream stream : all)
        {
            final int rc = await(stream);
            if (rc != SUCCESS)
            {
                result = rc;
            }
        }
        return result;
    }

    // ------------------------------------------------------------------------------------------
    // The driver API. CUresult codes are the driver's own (cuda.h); a failure here does not become
    // the runtime's last error, as on a real machine.
    // ------------------------------------------------------------------------------------------

    private static final int CU_ERROR_NOT_INITIALIZED = 3;
    private static final int CU_ERROR_NO_DEVICE = 100;
    private static final int CU_ERROR_NO_BINARY_FOR_GPU = 209;
    private static final int CU_ERROR_INVALID_CONTEXT = 201;
    private static final int CU_ERROR_INVALID_IMAGE = 200;
    private static final int CU_ERROR_UNSUPPORTED_PTX_VERSION = 222;
    private static final int CU_ERROR_INVALID_HANDLE = 400;
    private static final int CU_ERROR_NOT_FOUND = 500;
    private static final int CU_ERROR_ILLEGAL_ADDRESS = 700;
    private static final int CU_ERROR_NOT_SUPPORTED = 801;
    /** Newest PTX ISA the simulated driver JIT-compiles (an R580 driver's, CUDA 13.0). */
    private static final int NEWEST_PTX_ISA = 90;
    private static final java.util.regex.Pattern PTX_VERSION = java.util.regex.Pattern.compile("(?m)^\\s*\\.version\\s+(\\d+)\\.(\\d+)");
    private static final java.util.regex.Pattern PTX_TARGET = java.util.regex.Pattern.compile("(?m)^\\s*\\.target\\s+sm_(\\d+)");
    private static final java.util.regex.Pattern PTX_ENTRY = java.util.regex.Pattern.compile("\\.entry\\s+([A-Za-z_$][\\w$]*)\\s*\\(([^)]*)\\)");

    /** Counts the call and answers an injected fault, or 0; the driver has no init error of the runtime's kind. */
    private int enterDriver(final String function, final boolean needsInit)
    {
        callCounts.merge(function, 1L, Long::sum);
        final Fault fault = faults.get(function);
        if (fault != null && --fault.remaining == 0)
        {
            faults.remove(function);
            return fault.code;
        }
        if (needsInit && !driverInitialised)
        {
            return CU_ERROR_NOT_INITIALIZED;
        }
        return SUCCESS;
    }

    @SuppressWarnings("unused")
    private synchronized int do_cuGetErrorName(final int code, final MemorySegment name)
    {
        callCounts.merge("cuGetErrorName", 1L, Long::sum);
        final String text = SimulatedErrors.driverName(code);
        if (text == null)
        {
            out(name, ValueLayout.ADDRESS).set(ValueLayout.ADDRESS, 0, MemorySegment.NULL);
            return INVALID_VALUE;
        }
        out(name, ValueLayout.ADDRESS).set(ValueLayout.ADDRESS, 0,
            errorNames.computeIfAbsent(-1 - code, c -> stubArena.allocateFrom(text)));
        return SUCCESS;
    }

    @SuppressWarnings("unused")
    private synchronized int do_cuInit(final int flags)
    {
        final int rc = enterDriver("cuInit", false);
        if (rc != SUCCESS)
        {
            return rc;
        }
        if (flags != 0)
        {
            return INVALID_VALUE;
        }
        if (profile.initError() != 0 || profile.deviceCount() == 0)
        {
            return CU_ERROR_NO_DEVICE;
        }
        driverInitialised = true;
        return SUCCESS;
    }

    @SuppressWarnings("unused")
    private synchronized int do_cuDriverGetVersion(final MemorySegment version)
    {
        final int rc = enterDriver("cuDriverGetVersion", false);
        if (rc != SUCCESS)
        {
            return rc;
        }
        out(version, ValueLayout.JAVA_INT).set(ValueLayout.JAVA_INT, 0, profile.driverVersion());
        return SUCCESS;
    }

    @SuppressWarnings("unused")
    private synchronized int do_cuDeviceGet(final MemorySegment device, final int ordinal)
    {
        final int rc = enterDriver("cuDeviceGet", true);
        if (rc != SUCCESS)
        {
            return rc;
        }
        if (ordinal < 0 || ordinal >= profile.deviceCount())
        {
            return INVALID_DEVICE;
        }
        out(device, ValueLayout.JAVA_INT).set(ValueLayout.JAVA_INT, 0, ordinal);
        return SUCCESS;
    }

    /** The primary context of a device is one fixed handle, as the driver's is. */
    private static long primaryContext(final int device)
    {
        return (0x5CL << 56) | ((long)(device + 1) << 8);
    }

    @SuppressWarnings("unused")
    private synchronized int do_cuDevicePrimaryCtxRetain(final MemorySegment context, final int device)
    {
        final int rc = enterDriver("cuDevicePrimaryCtxRetain", true);
        if (rc != SUCCESS)
        {
            return rc;
        }
        if (device < 0 || device >= primaryRetains.length)
        {
            return INVALID_DEVICE;
        }
        primaryRetains[device]++;
        out(context, ValueLayout.ADDRESS).set(ValueLayout.ADDRESS, 0, MemorySegment.ofAddress(primaryContext(device)));
        return SUCCESS;
    }

    @SuppressWarnings("unused")
    private synchronized int do_cuDevicePrimaryCtxRelease_v2(final int device)
    {
        final int rc = enterDriver("cuDevicePrimaryCtxRelease_v2", true);
        if (rc != SUCCESS)
        {
            return rc;
        }
        if (device < 0 || device >= primaryRetains.length)
        {
            return INVALID_DEVICE;
        }
        if (primaryRetains[device] == 0)
        {
            return CU_ERROR_INVALID_CONTEXT;
        }
        primaryRetains[device]--;
        return SUCCESS;
    }

    private int deviceOfContext(final long context)
    {
        for (int device = 0; device < primaryRetains.length; device++)
        {
            if (primaryContext(device) == context)
            {
                return primaryRetains[device] > 0 ? device : -1;
            }
        }
        return -1;
    }

    @SuppressWarnings("unused")
    private synchronized int do_cuCtxSetCurrent(final MemorySegment context)
    {
        final int rc = enterDriver("cuCtxSetCurrent", true);
        if (rc != SUCCESS)
        {
            return rc;
        }
        if (!context.equals(MemorySegment.NULL) && deviceOfContext(context.address()) < 0)
        {
            return CU_ERROR_INVALID_CONTEXT;
        }
        currentContext.get()[0] = context.address();
        return SUCCESS;
    }

    /** The calling thread's current context if it is still retained, else 0. */
    private long liveCurrentContext()
    {
        final long context = currentContext.get()[0];
        return context != 0 && deviceOfContext(context) >= 0 ? context : 0;
    }

    @SuppressWarnings("unused")
    private synchronized int do_cuModuleLoadData(final MemorySegment module, final MemorySegment image)
    {
        final int rc = enterDriver("cuModuleLoadData", true);
        if (rc != SUCCESS)
        {
            return rc;
        }
        final long context = liveCurrentContext();
        if (context == 0)
        {
            return CU_ERROR_INVALID_CONTEXT;
        }
        if (image.equals(MemorySegment.NULL) || module.equals(MemorySegment.NULL))
        {
            return INVALID_VALUE;
        }
        final String ptx = image.reinterpret(Long.MAX_VALUE).getString(0);
        final java.util.regex.Matcher version = PTX_VERSION.matcher(ptx);
        final java.util.regex.Matcher target = PTX_TARGET.matcher(ptx);
        if (!version.find() || !target.find())
        {
            return CU_ERROR_INVALID_IMAGE;
        }
        if (Integer.parseInt(version.group(1)) * 10 + Integer.parseInt(version.group(2)) > NEWEST_PTX_ISA)
        {
            return CU_ERROR_UNSUPPORTED_PTX_VERSION;
        }
        if (Integer.parseInt(target.group(1)) > profile.computeMajor() * 10 + profile.computeMinor())
        {
            return CU_ERROR_NO_BINARY_FOR_GPU;
        }
        final Map<String, Integer> entries = new HashMap<>();
        final java.util.regex.Matcher entry = PTX_ENTRY.matcher(ptx);
        while (entry.find())
        {
            final String parameters = entry.group(2).strip();
            entries.put(entry.group(1), parameters.isEmpty() ? 0 : parameters.split(",").length);
        }
        final long handle = newHandle();
        modules.put(handle, new Module(context, Map.copyOf(entries)));
        out(module, ValueLayout.ADDRESS).set(ValueLayout.ADDRESS, 0, MemorySegment.ofAddress(handle));
        return SUCCESS;
    }

    @SuppressWarnings("unused")
    private synchronized int do_cuModuleGetFunction(final MemorySegment function, final MemorySegment module, final MemorySegment name)
    {
        final int rc = enterDriver("cuModuleGetFunction", true);
        if (rc != SUCCESS)
        {
            return rc;
        }
        final Module loaded = modules.get(module.address());
        if (loaded == null)
        {
            return CU_ERROR_INVALID_HANDLE;
        }
        if (name.equals(MemorySegment.NULL) || function.equals(MemorySegment.NULL))
        {
            return INVALID_VALUE;
        }
        final String entry = name.reinterpret(Long.MAX_VALUE).getString(0);
        if (!loaded.entries.containsKey(entry))
        {
            return CU_ERROR_NOT_FOUND;
        }
        if (!SimulatedKernels.knows(entry, loaded.entries.get(entry)))
        {
            // the simulator runs only kernels whose semantics it has in Java
            return CU_ERROR_NOT_SUPPORTED;
        }
        final long handle = newHandle();
        functions.put(handle, new Function(module.address(), entry));
        out(function, ValueLayout.ADDRESS).set(ValueLayout.ADDRESS, 0, MemorySegment.ofAddress(handle));
        return SUCCESS;
    }

    @SuppressWarnings("unused")
    private synchronized int do_cuModuleUnload(final MemorySegment module)
    {
        final int rc = enterDriver("cuModuleUnload", true);
        if (rc != SUCCESS)
        {
            return rc;
        }
        if (modules.remove(module.address()) == null)
        {
            return CU_ERROR_INVALID_HANDLE;
        }
        functions.values().removeIf(f -> f.module == module.address());
        return SUCCESS;
    }

    @SuppressWarnings("unused")
    private int do_cuLaunchKernel(
        final MemorySegment function, final int gridX, final int gridY, final int gridZ, final int blockX, final int blockY,
        final int blockZ, final int sharedBytes, final MemorySegment stream, final MemorySegment parameters, final MemorySegment extra)
    {
        final Runnable kernel;
        synchronized (this)
        {
            final int rc = enterDriver("cuLaunchKernel", true);
            if (rc != SUCCESS)
            {
                return rc;
            }
            final Function launched = functions.get(function.address());
            if (launched == null)
            {
                return CU_ERROR_INVALID_HANDLE;
            }
            final long context = liveCurrentContext();
            if (context == 0 || modules.get(launched.module).context != context)
            {
                return CU_ERROR_INVALID_CONTEXT;
            }
            final long threadsPerBlock = (long)blockX * blockY * blockZ;
            if (gridX <= 0 || gridY <= 0 || gridZ <= 0 || blockX <= 0 || blockY <= 0 || blockZ <= 0 || threadsPerBlock > 1024 ||
                sharedBytes != 0 || parameters.equals(MemorySegment.NULL) || !extra.equals(MemorySegment.NULL))
            {
                return INVALID_VALUE;
            }
            final SimulatedKernels.Launch launch = SimulatedKernels.read(launched.name, parameters);
            final long source = deviceToHost(launch.source(), launch.count());
            final long destination = deviceToHost(launch.destination(), launch.count() * launch.outputBytes());
            if (launch.count() > 0 && (source == 0 || destination == 0))
            {
                // a real device faults asynchronously; the simulator refuses the launch at once
                return CU_ERROR_ILLEGAL_ADDRESS;
            }
            if (launch.plane() == 0 || launch.channels() == 0)
            {
                // a division by zero on a device gives garbage, not an error; refusing it is stricter
                return INVALID_VALUE;
            }
            kernel = () -> SimulatedKernels.run(launch, source, destination);
            if (!stream.equals(MemorySegment.NULL))
            {
                final Stream target = streams.get(stream.address());
                if (target == null)
                {
                    return CU_ERROR_INVALID_HANDLE;
                }
                enqueue(target, kernel);
                return SUCCESS;
            }
        }
        final int drained = drainBlockingStreams();
        if (drained != SUCCESS)
        {
            return drained;
        }
        kernel.run();
        return SUCCESS;
    }

    // ------------------------------------------------------------------------------------------

    /**
     * Checks a copy's pointers against its kind and resolves them to host addresses.
     *
     * @return 0, or the error a device would give.
     */
    private int resolveCopy(final long dst, final long src, final long count, final int kind, final long[] resolved)
    {
        if (count < 0 || kind < 0 || kind > 4)
        {
            return INVALID_VALUE;
        }
        if (count == 0)
        {
            resolved[0] = dst;
            resolved[1] = src;
            return SUCCESS;
        }
        final boolean dstDevice = isDevice(dst);
        final boolean srcDevice = isDevice(src);
        final boolean wantDstDevice = kind == 4 ? dstDevice : kind == 1 || kind == 3;
        final boolean wantSrcDevice = kind == 4 ? srcDevice : kind == 2 || kind == 3;
        if (dstDevice != wantDstDevice || srcDevice != wantSrcDevice || dst == 0 || src == 0)
        {
            return INVALID_VALUE;
        }
        resolved[0] = dstDevice ? deviceToHost(dst, count) : dst;
        resolved[1] = srcDevice ? deviceToHost(src, count) : src;
        return resolved[0] == 0 || resolved[1] == 0 ? INVALID_VALUE : SUCCESS;
    }

    private Runnable copyTask(final long dst, final long src, final long count, final long dstPointer, final long srcPointer)
    {
        final boolean crossesLink = isDevice(dstPointer) != isDevice(srcPointer);
        final long delayNanos = linkEmulation && crossesLink ?
            profile.linkLatencyNanos() + (long) (count / profile.linkBytesPerSecond() * 1e9) : 0;
        return () ->
        {
            if (count > 0)
            {
                MemorySegment.copy(
                    MemorySegment.ofAddress(src).reinterpret(count), 0, MemorySegment.ofAddress(dst).reinterpret(count), 0, count);
            }
            if (delayNanos > 0)
            {
                final long until = System.nanoTime() + delayNanos;
                for (long left = delayNanos; left > 0; left = until - System.nanoTime())
                {
                    LockSupport.parkNanos(left);
                }
            }
        };
    }

    /**
     * The host address behind {@code [pointer, pointer + count)} if the range lies inside one live
     * device allocation, else 0.
     */
    private long deviceToHost(final long pointer, final long count)
    {
        if (!isDevice(pointer))
        {
            return 0;
        }
        final Map.Entry<Long, Allocation> entry = deviceAllocations.floorEntry(pointer);
        if (entry == null)
        {
            return 0;
        }
        final Allocation allocation = entry.getValue();
        final long offset = pointer - entry.getKey();
        if (count < 0 || offset + count > allocation.size)
        {
            return 0;
        }
        return allocation.base + offset;
    }

    static boolean isDevice(final long pointer)
    {
        return (pointer & TAG_MASK) == DEVICE_TAG;
    }

    private CompletableFuture<Void> enqueue(final Stream stream, final Runnable work)
    {
        final CompletableFuture<Void> next = stream.tail.thenRunAsync(() ->
        {
            try
            {
                work.run();
            }
            catch (final Throwable ex)
            {
                lastInternalError = ex;
                stream.stickyError = UNKNOWN;
            }
        }, stream.worker);
        stream.tail = next;
        return next;
    }

    private int await(final Stream stream)
    {
        final CompletableFuture<Void> tail;
        synchronized (this)
        {
            tail = stream.tail;
        }
        try
        {
            tail.get(1, TimeUnit.HOURS);
        }
        catch (final InterruptedException ex)
        {
            Thread.currentThread().interrupt();
            return UNKNOWN;
        }
        catch (final ExecutionException | java.util.concurrent.TimeoutException ex)
        {
            lastInternalError = ex;
            return UNKNOWN;
        }
        return stream.stickyError;
    }

    private int drainBlockingStreams()
    {
        final List<Stream> blocking = new ArrayList<>();
        synchronized (this)
        {
            for (final Stream stream : streams.values())
            {
                if (!stream.nonBlocking)
                {
                    blocking.add(stream);
                }
            }
        }
        int result = SUCCESS;
        for (final Stream stream : blocking)
        {
            final int rc = await(stream);
            if (rc != SUCCESS)
            {
                result = rc;
            }
        }
        return result;
    }

    private long newHandle()
    {
        // handles are opaque tagged values, never host addresses
        return (0x5EL << 56) | (handleCounter.getAndIncrement() << 4);
    }

    private static MemorySegment out(final MemorySegment pointer, final MemoryLayout layout)
    {
        if (pointer.equals(MemorySegment.NULL))
        {
            throw new IllegalArgumentException("NULL output pointer");
        }
        return pointer.reinterpret(layout.byteSize());
    }

    private long mallocRaw(final long size)
    {
        try
        {
            return ((MemorySegment) malloc.invokeExact(size)).address();
        }
        catch (final Throwable ex)
        {
            throw new IllegalStateException("malloc(" + size + ") failed", ex);
        }
    }

    private void freeRaw(final long raw)
    {
        try
        {
            free.invokeExact(MemorySegment.ofAddress(raw));
        }
        catch (final Throwable ex)
        {
            throw new IllegalStateException("free(0x" + Long.toHexString(raw) + ") failed", ex);
        }
    }

    private static long roundUp(final long value, final long alignment)
    {
        return (value + alignment - 1) & -alignment;
    }
}
