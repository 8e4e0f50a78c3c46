package dev.tiercache.cuda;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;

class CudaErrorTest
{
    @Test
    void valueOf_mapsKnownCodes_andToleratesUnknownOnes()
    {
        assertEquals(CudaError.SUCCESS, CudaError.valueOf(0));
        assertEquals(CudaError.MEMORY_ALLOCATION, CudaError.valueOf(2));
        assertEquals(CudaError.INSUFFICIENT_DRIVER, CudaError.valueOf(35));
        assertEquals(CudaError.NO_DEVICE, CudaError.valueOf(100));
        assertEquals(CudaError.UNKNOWN, CudaError.valueOf(999));
        assertEquals(CudaError.UNRECOGNIZED, CudaError.valueOf(9999));
        assertEquals(CudaError.UNRECOGNIZED, CudaError.valueOf(-5));
        assertEquals(CudaError.UNRECOGNIZED, CudaError.valueOf(5));
        for (final CudaError error : CudaError.values())
        {
            if (error != CudaError.UNRECOGNIZED)
            {
                assertEquals(error, CudaError.valueOf(error.code()), error.cName());
            }
        }
    }

    @Test
    void exception_carriesCodeNameAndCall()
    {
        final CudaException ex = new CudaException("cudaMalloc(size=1)", 2, "cudaErrorMemoryAllocation", "out of memory");
        assertEquals(CudaError.MEMORY_ALLOCATION, ex.error());
        assertEquals("cudaMalloc(size=1) failed: cudaErrorMemoryAllocation (2): out of memory", ex.getMessage());
        assertEquals(new CudaException("x", 4242, "n", "m").error(), CudaError.UNRECOGNIZED);
    }
}
