package dev.tiercache;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * What a kill -9 keeps, scenario by scenario, with the cache in a child JVM
 * ({@link TierCacheCrashChild}) killed once it has done its work.
 */
class TierCacheCrashTest
{
    @TempDir
    Path dir;

    /** Runs a scenario in a child JVM and kills it with SIGKILL once it says READY. */
    static String runAndKill(final Path workingFolder, final String... args) throws Exception
    {
        final Process process = new ProcessBuilder(childCommand(TierCacheCrashChild.class, args)).directory(workingFolder.toFile())
            .redirectErrorStream(true).start();
        final List<String> seen = new ArrayList<>();
        try
        {
            final BufferedReader out = new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8));
            for (String line = out.readLine(); line != null; line = out.readLine())
            {
                seen.add(line);
                if (line.startsWith("READY"))
                {
                    return line;
                }
            }
            throw new AssertionError("the child ended before READY: " + seen);
        }
        finally
        {
            process.destroyForcibly();
            assertTrue(process.waitFor(60, TimeUnit.SECONDS), "the killed child did not end");
        }
    }

    /** A child JVM on this one's class path and simulated device, running {@code main} with {@code args}. */
    static List<String> childCommand(final Class<?> main, final String... args)
    {
        final String java = ProcessHandle.current().info().command().orElseThrow();
        final List<String> command = new ArrayList<>(List.of(java, "--enable-native-access=ALL-UNNAMED", "-cp",
            System.getProperty("java.class.path")));
        final String cudart = System.getProperty("tiercache.cudart");
        if (cudart != null)
        {
            command.add("-Dtiercache.cudart=" + cudart);
        }
        command.add(main.getName());
        command.addAll(List.of(args));
        return command;
    }

    static MemorySegment read(final TierCache cache, final long key)
    {
        try (EntryHandle handle = cache.get(key))
        {
            if (handle == null)
            {
                return null;
            }
            final MemorySegment out = Arena.ofAuto().allocate(handle.byteSize(), 64);
            handle.copyTo(0, out);
            return out;
        }
    }

    @Test
    void entriesReadOutOfL3_keepTheirL3Copy_andSurviveAKill() throws Exception
    {
        final Path file = dir.resolve("l3.tc");
        final int n = 500;
        final String ready = runAndKill(dir, "hot", file.toString(), Integer.toString(n));
        final String[] levels = ready.split(" ");
        assertTrue(Integer.parseInt(levels[1]) + Integer.parseInt(levels[2]) > 100, "the scenario must hold many entries above L3: " + ready);
        try (TierCache cache = TierCacheCrashChild.config(file).build())
        {
            int found = 0;
            for (int key = 0; key < n; key++)
            {
                final MemorySegment value = read(cache, key);
                if (value != null)
                {
                    assertTrue(TierCacheCrashChild.holds(key, 1, value), "key " + key + " reads another value");
                    found++;
                }
            }
            assertEquals(n, found, "entries recovered after the kill (levels at the kill: " + ready + ")");
        }
    }

    @Test
    void aReplacingPutNotYetDurable_leavesTheOldValue_neverNeither() throws Exception
    {
        final Path file = dir.resolve("l3.tc");
        runAndKill(dir, "replace", file.toString());
        try (TierCache cache = TierCacheCrashChild.config(file).build())
        {
            final MemorySegment value = read(cache, 1L);
            assertNotNull(value, "both the old and the new value were lost");
            assertTrue(TierCacheCrashChild.holds(1L, 1, value), "the old value, whole");
        }
    }

    @Test
    void aFlushedReplacement_isWhatComesBack_neverTheOlderValue() throws Exception
    {
        final Path file = dir.resolve("l3.tc");
        runAndKill(dir, "replace-flushed", file.toString());
        try (TierCache cache = TierCacheCrashChild.config(file).build())
        {
            final MemorySegment value = read(cache, 1L);
            assertNotNull(value);
            assertTrue(TierCacheCrashChild.holds(1L, 2, value), "the newer value");
        }
    }

    @Test
    void aFlushedRemove_staysRemoved() throws Exception
    {
        final Path file = dir.resolve("l3.tc");
        runAndKill(dir, "remove-flushed", file.toString());
        try (TierCache cache = TierCacheCrashChild.config(file).build())
        {
            assertNull(read(cache, 1L), "a removed key came back");
        }
    }
}
