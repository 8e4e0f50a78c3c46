package dev.tiercache.tools;

import dev.tiercache.store.FileStore;
import dev.tiercache.store.FileStoreReport;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The demo with tiny sizes, on the simulated mx250 (the surefire configuration selects it).
 */
class DemoCommandTest
{
    @TempDir
    Path dir;

    private final StringWriter out = new StringWriter();
    private final StringWriter err = new StringWriter();

    private int execute(final String... args)
    {
        final CommandLine commandLine = new CommandLine(new TiercacheCommand());
        commandLine.setOut(new PrintWriter(out));
        commandLine.setErr(new PrintWriter(err));
        return commandLine.execute(args);
    }

    @Test
    void tinyDemo_usesAllLevels_andPrintsStatisticsAndTheSpeedUp() throws IOException
    {
        final Path data = dir.resolve("data");
        final Path l3 = dir.resolve("demo.tc");
        assertEquals(0, execute("demo", "--images", "12", "--epochs", "2", "--side", "256", "--batch", "4",
            "--data", data.toString(), "--l3", l3.toString()), err.toString() + out);
        final String text = out.toString();
        assertTrue(text.contains("tiercache demo: 12 images of uint8 3x256x256 (192.0 KiB each, 2.3 MiB in all), 2 epochs, batches of 4"), text);
        assertTrue(text.contains("GPU: simulated: simulated device 'mx250', compute capability 6.1"), text);
        assertTrue(text.contains("12 image files written to " + data), text);
        assertTrue(text.contains("so entries live in all three levels"), text);
        assertTrue(text.contains("preload: loaded "), text);
        assertTrue(text.contains("stopped at key "), text);
        assertTrue(text.contains("the rest goes to L3"), text);
        assertTrue(text.contains("epoch 2: read cache "), text);
        assertTrue(text.contains("checksums match"), text);
        assertTrue(text.contains("L1 (device) - Usage: "), text);
        assertTrue(text.contains("L3 (file) - Usage: "), text);
        assertTrue(text.matches("(?s).*\\nspeed-up: \\d+\\.\\d\\dx reading .*"), text);
        assertTrue(text.contains("L3 file kept: " + l3), text);
        try (Stream<Path> files = Files.list(data))
        {
            assertEquals(12, files.count());
        }
        final FileStoreReport report = FileStore.verify(l3);
        assertTrue(report.clean(), report.toString());
        assertEquals(12, report.liveEntries(), "the kept L3 file holds every image (written back on close)");

        out.getBuffer().setLength(0);
        assertEquals(0, execute("demo", "--images", "12", "--epochs", "1", "--side", "256", "--batch", "4", "--no-prefetch",
            "--baseline", "cached", "--data", data.toString()), err.toString() + out);
        assertTrue(out.toString().contains("data: 12 image files in " + data + " (reused)"), out.toString());
        assertTrue(out.toString().contains("baseline: every image read from its file through the page cache"), out.toString());
        try (Stream<Path> files = Files.list(data))
        {
            assertFalse(files.anyMatch(p -> p.getFileName().toString().endsWith(".tc")), "the default L3 file is removed");
        }
    }

    @Test
    void badArguments_exitTwo()
    {
        assertEquals(2, execute("demo", "--images", "0"));
        assertTrue(err.toString().contains("images=0 < 1"), err.toString());
        assertEquals(2, execute("demo", "--batch", "500", "--images", "10"));
        assertEquals(2, execute("demo", "--simulate-gpu", "gtx9000"));
        assertTrue(err.toString().contains("simulate-gpu=gtx9000 is not one of"), err.toString());
        assertEquals(2, execute("demo", "--baseline", "telepathy"));
        assertEquals(2, execute("demo", "--epochs", "x"));
    }

    @Test
    void unwritableDataFolder_exitsOne() throws IOException
    {
        final Path blocker = dir.resolve("file");
        Files.writeString(blocker, "not a folder");
        assertEquals(1, execute("demo", "--images", "2", "--epochs", "1", "--side", "64", "--batch", "1", "--data", blocker.resolve("sub").toString()));
        assertTrue(err.toString().startsWith("tiercache demo: failed: "), err.toString());
    }
}
