package dev.tiercache.cuda;

import java.io.Serial;

/**
 * A CUDA runtime call that returned an error: carries the raw code, its {@link CudaError}, the
 * runtime's own name and message for it, and the call that failed.
 */
public final class CudaException extends RuntimeException
{
    @Serial
    private static final long serialVersionUID = 1L;

    /** The {@code cudaError_t} value the runtime returned. */
    private final int code;
    /** The call that failed, e.g. {@code cudaMalloc(1048576)}. */
    private final String call;
    /** The runtime's name for the code, e.g. {@code cudaErrorMemoryAllocation}. */
    private final String errorName;

    /**
     * Creates the exception for a failed call.
     *
     * @param call         the call that failed, with its arguments, e.g. {@code "cudaMalloc(size=1048576)"}.
     * @param code         the {@code cudaError_t} it returned.
     * @param errorName    the runtime's name for the code ({@code cudaGetErrorName}).
     * @param errorMessage the runtime's description of the code ({@code cudaGetErrorString}).
     */
    public CudaException(final String call, final int code, final String errorName, final String errorMessage)
    {
        super(call + " failed: " + errorName + " (" + code + "): " + errorMessage);
        this.code = code;
        this.call = call;
        this.errorName = errorName;
    }

    /**
     * The raw {@code cudaError_t} value.
     *
     * @return the code the call returned.
     */
    public int code()
    {
        return code;
    }

    /**
     * The code as an enum constant.
     *
     * @return the constant, {@link CudaError#UNRECOGNIZED} for a code not listed.
     */
    public CudaError error()
    {
        return CudaError.valueOf(code);
    }

    /**
     * The call that failed.
     *
     * @return e.g. {@code "cudaMemcpy(bytes=4096, kind=HostToDevice)"}.
     */
    public String call()
    {
        return call;
    }

    /**
     * The runtime's name for the code.
     *
     * @return e.g. {@code "cudaErrorMemoryAllocation"}.
     */
    public String errorName()
    {
        return errorName;
    }
}
