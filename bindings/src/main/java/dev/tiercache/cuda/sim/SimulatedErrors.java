package dev.tiercache.cuda.sim;

import java.util.Map;

/**
 * The names and descriptions the simulated runtime gives for error codes, worded as the real
 * runtime's {@code cudaGetErrorName} and {@code cudaGetErrorString} answer them.
 */
final class SimulatedErrors
{
    private static final Map<Integer, String[]> KNOWN = Map.ofEntries(
        Map.entry(0, new String[] {"cudaSuccess", "no error"}),
        Map.entry(1, new String[] {"cudaErrorInvalidValue", "invalid argument"}),
        Map.entry(2, new String[] {"cudaErrorMemoryAllocation", "out of memory"}),
        Map.entry(3, new String[] {"cudaErrorInitializationError", "initialization error"}),
        Map.entry(4, new String[] {"cudaErrorCudartUnloading", "driver shutting down"}),
        Map.entry(17, new String[] {"cudaErrorInvalidDevicePointer", "invalid device pointer"}),
        Map.entry(21, new String[] {"cudaErrorInvalidMemcpyDirection", "invalid copy direction for memcpy"}),
        Map.entry(35, new String[] {"cudaErrorInsufficientDriver", "CUDA driver version is insufficient for CUDA runtime version"}),
        Map.entry(100, new String[] {"cudaErrorNoDevice", "no CUDA-capable device is detected"}),
        Map.entry(101, new String[] {"cudaErrorInvalidDevice", "invalid device ordinal"}),
        Map.entry(400, new String[] {"cudaErrorInvalidResourceHandle", "invalid resource handle"}),
        Map.entry(600, new String[] {"cudaErrorNotReady", "device not ready"}),
        Map.entry(712, new String[] {"cudaErrorHostMemoryAlreadyRegistered", "part or all of the requested memory range is already mapped"}),
        Map.entry(713, new String[] {"cudaErrorHostMemoryNotRegistered", "pointer does not correspond to a registered memory region"}),
        Map.entry(999, new String[] {"cudaErrorUnknown", "unknown error"}));

    private static final Map<Integer, String> DRIVER_NAMES = Map.ofEntries(
        Map.entry(0, "CUDA_SUCCESS"),
        Map.entry(1, "CUDA_ERROR_INVALID_VALUE"),
        Map.entry(2, "CUDA_ERROR_OUT_OF_MEMORY"),
        Map.entry(3, "CUDA_ERROR_NOT_INITIALIZED"),
        Map.entry(100, "CUDA_ERROR_NO_DEVICE"),
        Map.entry(101, "CUDA_ERROR_INVALID_DEVICE"),
        Map.entry(200, "CUDA_ERROR_INVALID_IMAGE"),
        Map.entry(201, "CUDA_ERROR_INVALID_CONTEXT"),
        Map.entry(209, "CUDA_ERROR_NO_BINARY_FOR_GPU"),
        Map.entry(218, "CUDA_ERROR_INVALID_PTX"),
        Map.entry(222, "CUDA_ERROR_UNSUPPORTED_PTX_VERSION"),
        Map.entry(400, "CUDA_ERROR_INVALID_HANDLE"),
        Map.entry(500, "CUDA_ERROR_NOT_FOUND"),
        Map.entry(700, "CUDA_ERROR_ILLEGAL_ADDRESS"),
        Map.entry(701, "CUDA_ERROR_LAUNCH_OUT_OF_RESOURCES"),
        Map.entry(801, "CUDA_ERROR_NOT_SUPPORTED"),
        Map.entry(999, "CUDA_ERROR_UNKNOWN"));

    private SimulatedErrors()
    {
    }

    static String name(final int code)
    {
        final String[] known = KNOWN.get(code);
        return known == null ? "unrecognized error code" : known[0];
    }

    /** The driver's {@code cuGetErrorName} answer, or {@code null} for a code it does not know. */
    static String driverName(final int code)
    {
        return DRIVER_NAMES.get(code);
    }

    static String description(final int code)
    {
        final String[] known = KNOWN.get(code);
        return known == null ? "unrecognized error code" : known[1];
    }
}
