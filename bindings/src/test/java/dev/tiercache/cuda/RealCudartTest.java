package dev.tiercache.cuda;

import dev.tiercache.cuda.raw.cudart_h;
import org.junit.jupiter.api.Test;

import java.lang.foreign.MemorySegment;
import java.lang.reflect.Method;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeFalse;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * The real {@code libcudart} found by discovery, in its own JVM (the surefire execution
 * {@code real-cudart}). On a build machine with the toolkit and no driver this is the
 * {@code cudaErrorInsufficientDriver} path; on a GPU machine the runtime is usable and
 * {@link RealCudartGpuTest} runs instead.
 */
class RealCudartTest
{
    @Test
    void everyBoundSymbol_resolvesInTheRealLibrary() throws ReflectiveOperationException
    {
        final CudaLibrary.Location location = CudaLibrary.location();
        assumeTrue(location.kind() == CudaLibrary.Kind.REAL, () -> "skipped: no libcudart on this machine: " + location);
        System.out.println("libcudart: " + location.description() + ", tried " + location.tried());

        final List<String> functions = new ArrayList<>();
        for (final Method method : cudart_h.class.getMethods())
        {
            if (method.getName().endsWith("$address"))
            {
                final String name = method.getName().substring(0, method.getName().length() - "$address".length());
                final MemorySegment address = (MemorySegment) method.invoke(null);
                assertNotEquals(MemorySegment.NULL, address, name);
                functions.add(name);
            }
        }
        assertEquals(30, functions.size(), functions.toString());
        assertFalse(functions.contains("cudaGetDeviceProperties"));
    }

    @Test
    void withoutDriver_runtimeIsUnavailableWithInsufficientDriver()
    {
        assumeTrue(CudaLibrary.location().kind() == CudaLibrary.Kind.REAL, "skipped: no libcudart on this machine");
        final CudaRuntime runtime = CudaRuntime.open();
        System.out.println(runtime);
        assumeFalse(runtime.isUsable(), "skipped: a GPU is present (RealCudartGpuTest covers it)");
        assumeTrue(runtime.driverVersion() == 0, () -> "skipped: a driver is loaded but unusable: " + runtime.unavailableReason());

        assertEquals(CudaError.INSUFFICIENT_DRIVER, runtime.unavailableError());
        assertTrue(runtime.unavailableReason().startsWith("cudaErrorInsufficientDriver (35): "), runtime.unavailableReason());
        // 13.0 reports its version without a driver; 11.8 was seen to report none (0)
        assertTrue(runtime.runtimeVersion() == 0 || runtime.runtimeVersion() >= 11000, "runtime version " + runtime.runtimeVersion());
        assertEquals(0, runtime.deviceCount());
        // the failure is sticky, as FACTS.md records: a second open says the same
        assertEquals(CudaError.INSUFFICIENT_DRIVER, CudaRuntime.open().unavailableError());
        assertEquals("cudaErrorInsufficientDriver", CudaRuntime.errorName(35));
        assertEquals("unrecognized error code", CudaRuntime.errorName(9999));
    }
}
