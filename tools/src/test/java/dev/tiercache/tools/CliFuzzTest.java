package dev.tiercache.tools;

import com.code_intelligence.jazzer.junit.FuzzTest;
import dev.tiercache.store.L3FuzzInput;
import picocli.CommandLine;

import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@code tiercache inspect} and {@code tiercache verify} on arbitrary files (built from the
 * fuzzer's bytes by the cache module's {@link L3FuzzInput}): no exception leaves a command (picocli
 * would turn one into exit code 1 and a stack trace; here it is rethrown and fails the input), the
 * exit codes are the documented ones, a file {@code verify} passes {@code inspect} shows without a
 * note, and whatever is refused is refused on the error stream with the file's name.
 *
 * <p>Without {@code JAZZER_FUZZ} each build replays
 * {@code src/test/resources/dev/tiercache/tools/CliFuzzTestInputs/verifyAndInspect/}; the
 * module's {@code fuzz} profile fuzzes it.
 */
class CliFuzzTest
{
    private static final Path DIR = temporaryFolder();

    @FuzzTest(maxDuration = "30s")
    void verifyAndInspect(final byte[] input) throws IOException
    {
        final Path file = DIR.resolve("cli.bin");
        L3FuzzInput.write(input, file);
        try
        {
            final Result inspected = execute("inspect", file.toString());
            final Result verified = execute("verify", file.toString());
            assertTrue(inspected.code == 0 || inspected.code == InspectCommand.EXIT_UNREADABLE, inspected::toString);
            assertTrue(verified.code == 0 || verified.code == VerifyCommand.EXIT_BAD || verified.code == InspectCommand.EXIT_UNREADABLE,
                verified::toString);
            assertEquals(inspected.code == InspectCommand.EXIT_UNREADABLE, verified.code == InspectCommand.EXIT_UNREADABLE,
                () -> "inspect and verify agree on whether the file is readable: " + inspected + " / " + verified);
            for (final Result result : new Result[] {inspected, verified})
            {
                if (result.code == InspectCommand.EXIT_UNREADABLE)
                {
                    assertTrue(result.err.contains(file.toString()), result::toString);
                }
                else
                {
                    assertEquals("", result.err, result::toString);
                    assertTrue(result.out.contains("geometry") && result.out.contains("regions"), result::toString);
                }
            }
            if (verified.code == 0)
            {
                assertTrue(verified.out.contains("verify: OK"), verified::toString);
                assertTrue(!inspected.out.contains("note: the headers show problems"), () -> "verify passed, inspect noted problems: " + inspected);
            }
            if (verified.code == VerifyCommand.EXIT_BAD)
            {
                assertTrue(verified.out.contains("verify: FAILED"), verified::toString);
            }
        }
        finally
        {
            Files.deleteIfExists(file);
        }
    }

    private record Result(int code, String out, String err)
    {
    }

    private static Result execute(final String... args)
    {
        final StringWriter out = new StringWriter();
        final StringWriter err = new StringWriter();
        final CommandLine commandLine = new CommandLine(new TiercacheCommand());
        commandLine.setOut(new PrintWriter(out));
        commandLine.setErr(new PrintWriter(err));
        commandLine.setExecutionExceptionHandler((ex, line, parsed) ->
        {
            throw ex;
        });
        final int code = commandLine.execute(args);
        return new Result(code, out.toString(), err.toString());
    }

    private static Path temporaryFolder()
    {
        try
        {
            final Path dir = Files.createTempDirectory("cli-fuzz");
            dir.toFile().deleteOnExit();
            return dir;
        }
        catch (final IOException ex)
        {
            throw new UncheckedIOException(ex);
        }
    }
}
