package dev.tiercache.cuda;

import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Optional;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class CudaLibraryTest
{
    @Test
    void none_turnsTheGpuLevelOff()
    {
        final CudaLibrary.Discovery discovery = CudaLibrary.discover("none", null, List.of());
        assertEquals(CudaLibrary.Kind.NOT_FOUND, discovery.location().kind());
        assertTrue(discovery.lookup().find("cudaMalloc").isEmpty());
    }

    @Test
    void badSettings_areRecordedAndTheSearchGoesOn()
    {
        final CudaLibrary.Discovery discovery = CudaLibrary.discover(
            "/nonexistent/libcudart.so.99", "sim:no-such-gpu", List.of(Optional.of("/nonexistent-toolkit")));
        final List<String> tried = discovery.location().tried();
        assertTrue(tried.get(0).startsWith("/nonexistent/libcudart.so.99: "), tried.toString());
        assertTrue(tried.get(1).contains("unknown simulated device profile 'no-such-gpu'"), tried.toString());
        assertTrue(tried.stream().anyMatch(t -> t.startsWith("libcudart.so.") || t.startsWith("/usr/local/cuda")), tried.toString());
        if (discovery.location().kind() == CudaLibrary.Kind.REAL)
        {
            assertTrue(discovery.lookup().find("cudaGetDeviceCount").isPresent());
        }
        else
        {
            assertEquals(CudaLibrary.Kind.NOT_FOUND, discovery.location().kind());
            assertTrue(discovery.location().description().startsWith("no CUDA runtime library found"));
        }
    }
}
