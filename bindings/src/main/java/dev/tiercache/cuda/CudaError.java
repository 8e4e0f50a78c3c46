package dev.tiercache.cuda;

/**
 * The {@code cudaError_t} values tiercache names, with their numeric codes (checked against the
 * CUDA 13.0 {@code driver_types.h}; the same values hold in 11.x and 12.x).
 *
 * <p>{@link #valueOf(int)} tolerates codes it does not know: they map to {@link #UNRECOGNIZED}
 * and the raw code is kept by whoever holds it ({@link CudaException#code()}).
 */
public enum CudaError
{
    /** No error. */
    SUCCESS(0, "cudaSuccess"),
    /** An argument is out of range. */
    INVALID_VALUE(1, "cudaErrorInvalidValue"),
    /** The device (or pinned host memory) cannot satisfy an allocation. */
    MEMORY_ALLOCATION(2, "cudaErrorMemoryAllocation"),
    /** The driver or runtime failed to initialise. */
    INITIALIZATION_ERROR(3, "cudaErrorInitializationError"),
    /** The runtime is being unloaded. */
    CUDART_UNLOADING(4, "cudaErrorCudartUnloading"),
    /** A device pointer is not one the runtime handed out. */
    INVALID_DEVICE_POINTER(17, "cudaErrorInvalidDevicePointer"),
    /** The copy direction does not match the pointers. */
    INVALID_MEMCPY_DIRECTION(21, "cudaErrorInvalidMemcpyDirection"),
    /** A stub library was loaded instead of the real one. */
    STUB_LIBRARY(34, "cudaErrorStubLibrary"),
    /** The installed driver is older than the runtime, or there is no driver at all. */
    INSUFFICIENT_DRIVER(35, "cudaErrorInsufficientDriver"),
    /** The call needs a newer driver. */
    CALL_REQUIRES_NEWER_DRIVER(36, "cudaErrorCallRequiresNewerDriver"),
    /** The driver found no CUDA-capable device. */
    NO_DEVICE(100, "cudaErrorNoDevice"),
    /** The device ordinal is not valid. */
    INVALID_DEVICE(101, "cudaErrorInvalidDevice"),
    /** No kernel image for this device's architecture. */
    NO_KERNEL_IMAGE_FOR_DEVICE(209, "cudaErrorNoKernelImageForDevice"),
    /** A stream or event handle is not valid. */
    INVALID_RESOURCE_HANDLE(400, "cudaErrorInvalidResourceHandle"),
    /** Work is still in flight (an answer of the query calls, not a failure). */
    NOT_READY(600, "cudaErrorNotReady"),
    /** The host range is already registered. */
    HOST_MEMORY_ALREADY_REGISTERED(712, "cudaErrorHostMemoryAlreadyRegistered"),
    /** The host range was not registered. */
    HOST_MEMORY_NOT_REGISTERED(713, "cudaErrorHostMemoryNotRegistered"),
    /** The operation is not supported on this system. */
    NOT_SUPPORTED(801, "cudaErrorNotSupported"),
    /** The kernel driver and the user-mode driver do not match. */
    SYSTEM_DRIVER_MISMATCH(803, "cudaErrorSystemDriverMismatch"),
    /** Forward compatibility is not supported on this device. */
    COMPAT_NOT_SUPPORTED_ON_DEVICE(804, "cudaErrorCompatNotSupportedOnDevice"),
    /** An unknown internal error. */
    UNKNOWN(999, "cudaErrorUnknown"),
    /** A code this enum does not list; the raw value is kept alongside. */
    UNRECOGNIZED(-1, "unrecognized");

    private static final CudaError[] BY_SMALL_CODE = new CudaError[1000];

    static
    {
        for (final CudaError error : values())
        {
            if (error.code >= 0)
            {
                BY_SMALL_CODE[error.code] = error;
            }
        }
    }

    private final int code;
    private final String cName;

    CudaError(final int code, final String cName)
    {
        this.code = code;
        this.cName = cName;
    }

    /**
     * The numeric {@code cudaError_t} value.
     *
     * @return the code, or {@code -1} for {@link #UNRECOGNIZED}.
     */
    public int code()
    {
        return code;
    }

    /**
     * The C enumerator's name, as {@code cudaGetErrorName} would give it.
     *
     * @return e.g. {@code "cudaErrorInsufficientDriver"}.
     */
    public String cName()
    {
        return cName;
    }

    /**
     * The constant for a numeric code; never fails.
     *
     * @param code a {@code cudaError_t} value.
     * @return its constant, or {@link #UNRECOGNIZED} for a code not listed here.
     */
    public static CudaError valueOf(final int code)
    {
        if (code >= 0 && code < BY_SMALL_CODE.length)
        {
            final CudaError error = BY_SMALL_CODE[code];
            if (error != null)
            {
                return error;
            }
        }
        return UNRECOGNIZED;
    }
}
