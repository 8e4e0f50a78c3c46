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
    void aSettingThatNamesNothing_isReported_notPassedOver()
    {
        final CudaLibrary.Discovery typo = CudaLibrary.discover("sim:mx25", "sim:mx250", List.of());
        assertEquals(CudaLibrary.Kind.NOT_FOUND, typo.location().kind());
        assertTrue(typo.location().description().startsWith("tiercache.cudart=sim:mx25 names no CUDA runtime") &&
            typo.location().description().contains("unknown simulated device profile 'mx25'"), typo.location().description());
        assertTrue(typo.lookup().find("cudaMalloc").isEmpty());

        final CudaLibrary.Discovery missing = CudaLibrary.discover(null, "/nonexistent/libcudart.so.99", List.of());
        assertEquals(CudaLibrary.Kind.NOT_FOUND, missing.location().kind());
        assertTrue(missing.location().description().startsWith("TIERCACHE_CUDART=/nonexistent/libcudart.so.99 names no CUDA runtime"),
            missing.location().description());
        assertEquals(1, missing.location().tried().size(), "nothing else was tried: " + missing.location().tried());
    }

    @Test
    void withoutSettings_theSearchTriesTheToolkitAndTheSonames()
    {
        final CudaLibrary.Discovery discovery = CudaLibrary.discover(null, " ", List.of(Optional.of("/nonexistent-toolkit")));
        final List<String> tried = discovery.location().tried();
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
