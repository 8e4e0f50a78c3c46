package dev.tiercache.store;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * A {@link FileStoreProbe} running in a child JVM, driven line by line: the test reads what it
 * prints, answers its waits, kills it or waits for it to end. Its working folder is the test's
 * temporary folder, so a crash report would land there and not in the project.
 */
final class FileStoreProbeProcess implements AutoCloseable
{
    private final Process process;
    private final BufferedReader out;
    private final OutputStream in;
    private final List<String> seen = new ArrayList<>();

    private FileStoreProbeProcess(final Process process)
    {
        this.process = process;
        this.out = new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8));
        this.in = process.getOutputStream();
    }

    static FileStoreProbeProcess start(final Path workingFolder, final String... args) throws IOException
    {
        final String java = ProcessHandle.current().info().command().orElseThrow();
        final List<String> command = new ArrayList<>(List.of(java, "--enable-native-access=ALL-UNNAMED",
            "-cp", System.getProperty("java.class.path"), FileStoreProbe.class.getName()));
        command.addAll(Arrays.asList(args));
        return new FileStoreProbeProcess(
            new ProcessBuilder(command).directory(workingFolder.toFile()).redirectErrorStream(true).start());
    }

    long pid()
    {
        return process.pid();
    }

    /**
     * Reads lines until one starts with {@code prefix}.
     *
     * @return that line, or null when the process ended first.
     */
    String awaitLine(final String prefix) throws IOException
    {
        for (String line = out.readLine(); line != null; line = out.readLine())
        {
            seen.add(line);
            if (line.startsWith(prefix))
            {
                return line;
            }
        }
        return null;
    }

    String awaitResult() throws IOException
    {
        for (String line = out.readLine(); line != null; line = out.readLine())
        {
            seen.add(line);
            if (line.startsWith("OPENED") || line.startsWith("FAILED") || line.startsWith("CREATED"))
            {
                return line;
            }
        }
        return "no result line in: " + seen;
    }

    void answer() throws IOException
    {
        in.write('\n');
        in.flush();
    }

    /** SIGKILL, as the kernel's OOM killer or a power button would. */
    void kill() throws InterruptedException
    {
        process.destroyForcibly();
        process.waitFor();
    }

    int awaitExit() throws IOException, InterruptedException
    {
        for (String line = out.readLine(); line != null; line = out.readLine())
        {
            seen.add(line);
        }
        if (!process.waitFor(60, TimeUnit.SECONDS))
        {
            fail("probe did not end: " + seen);
        }
        return process.exitValue();
    }

    List<String> seen()
    {
        return seen;
    }

    /** Kills the process if it still runs, and waits for it (uninterruptibly: a test's cleanup). */
    @Override
    public void close()
    {
        if (process.isAlive())
        {
            process.destroyForcibly();
        }
        boolean interrupted = false;
        while (true)
        {
            try
            {
                assertTrue(process.waitFor(60, TimeUnit.SECONDS), "a killed probe did not end");
                break;
            }
            catch (final InterruptedException ex)
            {
                interrupted = true;
            }
        }
        if (interrupted)
        {
            Thread.currentThread().interrupt();
        }
    }
}
