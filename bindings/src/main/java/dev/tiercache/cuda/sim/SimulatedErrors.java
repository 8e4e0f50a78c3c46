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

    private SimulatedErrors()
    {
    }

    static String name(final int code)
    {
        final String[] known = KNOWN.get(code);
        return known == null ? "unrecognized error code" : known[0];
    }

    static String description(final int code)
    {
        final String[] known = KNOWN.get(code);
        return known == null ? "unrecognized error code" : known[1];
    }
}
