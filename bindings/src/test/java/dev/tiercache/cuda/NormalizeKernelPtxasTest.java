package dev.tiercache.cuda;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * The kernels' PTX text through NVIDIA's own assembler, where a CUDA toolkit is installed: what a
 * driver's JIT will be given must assemble for the architectures the library runs on (Pascal's
 * {@code sm_61} where the toolkit still knows it, Turing and Hopper), with both entries and their
 * parameter lists as the launcher passes them. Without a toolkit ({@code ptxas} neither on the
 * path nor under {@code /usr/local/cuda*}) the test is skipped and says so; the simulated device's
 * tests cover the kernels' semantics either way.
 */
class NormalizeKernelPtxasTest
{
    private static final String[] ARCHITECTURES = {"sm_61", "sm_75", "sm_90"};

    @TempDir
    Path dir;

    @Test
    void thePtx_assemblesForEveryArchitectureTheToolkitKnows() throws Exception
    {
        final Path ptxas = findPtxas();
        assumeTrue(ptxas != null, "no ptxas on this machine (PATH, /usr/local/cuda*/bin): the PTX is not assembled here");
        final Path source = dir.resolve("normalize.ptx");
        Files.writeString(source, NormalizeKernel.PTX, StandardCharsets.US_ASCII);
        final List<String> assembled = new ArrayList<>();
        for (final String architecture : ARCHITECTURES)
        {
            final Path cubin = dir.resolve(architecture + ".cubin");
            final Process process = new ProcessBuilder(ptxas.toString(), "-arch=" + architecture, "-v", source.toString(), "-o", cubin.toString())
                .redirectErrorStream(true).start();
            final String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            assertTrue(process.waitFor(60, TimeUnit.SECONDS), "ptxas for " + architecture + " did not finish");
            if (output.contains("is not defined for option 'gpu-name'"))
            {
                // a newer toolkit that dropped the architecture: its driver JIT still takes the PTX
                System.out.println("NormalizeKernelPtxasTest: " + ptxas + " does not know " + architecture);
                continue;
            }
            assertEquals(0, process.exitValue(), "ptxas -arch=" + architecture + ":\n" + output);
            assertTrue(Files.size(cubin) > 0, "ptxas wrote no code for " + architecture);
            for (final String entry : new String[] {"tiercache_u8_to_f32", "tiercache_u8_to_f16"})
            {
                assertTrue(output.contains(entry), "ptxas -v for " + architecture + " does not mention " + entry + ":\n" + output);
            }
            assembled.add(architecture);
        }
        System.out.println("NormalizeKernelPtxasTest: assembled for " + assembled + " with " + ptxas);
        assertFalse(assembled.isEmpty(), "the toolkit at " + ptxas + " knew none of " + String.join(", ", ARCHITECTURES));
        assertTrue(assembled.contains("sm_90") || assembled.contains("sm_75"), "assembled only for " + assembled);
    }

    private static Path findPtxas() throws IOException
    {
        final String path = System.getenv("PATH");
        if (path != null)
        {
            for (final String folder : path.split(java.io.File.pathSeparator))
            {
                final Path candidate = Path.of(folder).resolve("ptxas");
                if (Files.isExecutable(candidate))
                {
                    return candidate;
                }
            }
        }
        final Path local = Path.of("/usr/local");
        if (!Files.isDirectory(local))
        {
            return null;
        }
        try (Stream<Path> toolkits = Files.list(local))
        {
            return toolkits.filter(p -> p.getFileName().toString().startsWith("cuda"))
                .map(p -> p.resolve("bin/ptxas"))
                .filter(Files::isExecutable)
                .sorted()
                .findFirst()
                .orElse(null);
        }
    }
}
