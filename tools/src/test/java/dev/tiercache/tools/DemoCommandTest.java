package dev.tiercache.tools;

import dev.tiercache.store.FileStore;
import dev.tiercache.store.FileStoreReport;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

import javax.imageio.ImageIO;
import java.awt.image.BufferedImage;
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
    void tinyDemo_decodesImages_readsThemThroughAllLevels_andChecksTheDeviceBatches() throws IOException
    {
        final Path data = dir.resolve("data");
        final Path l3 = dir.resolve("demo.tc");
        assertEquals(0, execute("demo", "--count", "24", "--epochs", "2", "--side", "32", "--batch", "4", "--threads", "2",
            "--data", data.toString(), "--l3", l3.toString()), err.toString() + out);
        final String text = out.toString();
        assertTrue(text.contains("GPU: simulated: simulated device 'mx250', compute capability 6.1"), text);
        assertTrue(text.contains("24 images (PNG and JPEG) written to "), text);
        assertTrue(text.contains("decoded to uint8 3x32x32 (3.0 KiB each, 72.0 KiB in all)"), text);
        assertTrue(text.contains("workload: 2 epochs, batches of 4, 2 loader threads, normalised to float32"), text);
        assertTrue(text.matches("(?s).*\\nepoch 2: decode baseline [\\d.]+ s \\(\\d+ samples/s\\), heap byte\\[]\\[] [\\d.]+ s \\(\\d+ samples/s\\), "
            + "cached .*"), text);
        assertTrue(text.matches("(?s).*\\nheap array: a byte\\[]\\[] of the decoded tensors took [\\d.]+ s \\(\\d+ samples/s\\); "
            + "the cache ran at \\d+\\.\\d\\dx its samples/s, with the batches normalised on the device.*"), text);
        assertTrue(text.contains("batches normalised on the device; first batch checked"), text);
        assertTrue(text.contains("L1 (device) - Usage: "), text);
        assertTrue(text.contains("L3 (file) - Usage: "), text);
        assertTrue(text.contains("  decode baseline: read files "), text);
        assertTrue(text.matches("(?s).*\\n  cached: reads L1 \\d+, L2 \\d+, L3 \\d+ .*"), text);
        assertTrue(text.matches("(?s).*\\nspeed-up: \\d+\\.\\dx over the decode baseline .*L1 on the GPU\\n.*"), text);
        assertTrue(text.contains("note: the GPU is simulated"), text);
        assertTrue(text.contains("L3 file kept: " + l3), text);
        try (Stream<Path> files = Files.list(data.resolve("images-42-24")))
        {
            assertEquals(24, files.count());
        }
        final FileStoreReport report = FileStore.verify(l3);
        assertTrue(report.clean(), report.toString());
        assertEquals(24, report.liveEntries(), "the kept L3 file holds every image (written back on close)");

        out.getBuffer().setLength(0);
        assertEquals(0, execute("demo", "--count", "24", "--epochs", "1", "--side", "32", "--batch", "5", "--no-gpu", "--fp16",
            "--threads", "1", "--data", data.toString(), "--no-heap"), err.toString() + out);
        final String noGpu = out.toString();
        assertTrue(noGpu.contains("24 images in " + data.resolve("images-42-24") + " (reused)"), noGpu);
        assertTrue(noGpu.contains("GPU: off (--no-gpu)"), noGpu);
        assertTrue(noGpu.contains("every batch's checksum matches"), noGpu);
        assertTrue(noGpu.contains("normalised to fp16"), noGpu);
        assertFalse(noGpu.contains("note: the GPU is simulated"), noGpu);
        assertTrue(noGpu.contains("\nheap array: skipped (--no-heap)\n"), noGpu);
        assertFalse(noGpu.contains("heap byte[][]"), noGpu);
        try (Stream<Path> files = Files.list(data))
        {
            assertFalse(files.anyMatch(p -> p.getFileName().toString().endsWith(".tc")), "the default L3 file is removed");
        }
    }

    @Test
    void restart_reopensTheCacheFromItsFile_andReadsAnEpochWithoutDecoding() throws IOException
    {
        final Path data = dir.resolve("data");
        assertEquals(0, execute("demo", "--count", "24", "--epochs", "1", "--side", "32", "--batch", "4", "--threads", "2",
            "--data", data.toString(), "--no-heap", "--restart"), err.toString() + out);
        final String text = out.toString();
        assertTrue(text.matches("(?s).*\\nwarm restart: the cache reopened from its L3 file in [\\d.]+ s \\(24 entries recovered\\), then its first"
            + " epoch took [\\d.]+ s with 0 of 24 images decoded again; .*: \\d+\\.\\dx\\n.*"), text);
        try (Stream<Path> files = Files.list(data))
        {
            assertFalse(files.anyMatch(p -> p.getFileName().toString().endsWith(".tc")), "the default L3 file is removed after the restart too");
        }
    }

    @Test
    void usersFolder_skipsAndCountsWhatIsNotAnImage() throws IOException
    {
        final Path folder = Files.createDirectories(dir.resolve("mine"));
        for (int i = 0; i < 5; i++)
        {
            final BufferedImage image = new BufferedImage(40 + i, 30, BufferedImage.TYPE_3BYTE_BGR);
            image.setRGB(i, i, 0xFF8040);
            ImageIO.write(image, i % 2 == 0 ? "png" : "jpg", folder.resolve("p" + i + (i % 2 == 0 ? ".png" : ".jpg")).toFile());
        }
        Files.writeString(folder.resolve("notes.txt"), "not an image");
        Files.write(folder.resolve("broken.png"), new byte[] {(byte)0x89, 'P', 'N', 'G'});
        assertEquals(0, execute("demo", "--images", folder.toString(), "--epochs", "1", "--side", "16", "--batch", "2", "--no-gpu",
            "--data", dir.resolve("d").toString()), err.toString() + out);
        assertTrue(out.toString().contains("5 images in " + folder + " (2 files skipped: unreadable or not an image)"), out.toString());
    }

    @Test
    void emptyFolder_exitsOne_namingIt() throws IOException
    {
        final Path folder = Files.createDirectories(dir.resolve("empty"));
        Files.writeString(folder.resolve("readme.txt"), "nothing here");
        assertEquals(1, execute("demo", "--images", folder.toString(), "--no-gpu", "--data", dir.resolve("d").toString()));
        assertTrue(err.toString().contains("images=" + folder + " holds no image that can be read (1 files, 1 skipped)"), err.toString());
    }

    @Test
    void badArguments_exitTwo()
    {
        assertEquals(2, execute("demo", "--count", "0"));
        assertTrue(err.toString().contains("count=0 < 1"), err.toString());
        assertEquals(2, execute("demo", "--threads", "0"));
        assertTrue(err.toString().contains("threads=0 is not in [1, 256]"), err.toString());
        assertEquals(2, execute("demo", "--simulate-gpu", "gtx9000"));
        assertTrue(err.toString().contains("simulate-gpu=gtx9000 is not one of"), err.toString());
        assertEquals(2, execute("demo", "--no-gpu", "--simulate-gpu", "mx250"));
        assertEquals(2, execute("demo", "--epochs", "x"));
    }

    @Test
    void unwritableDataFolder_exitsOne() throws IOException
    {
        final Path blocker = dir.resolve("file");
        Files.writeString(blocker, "not a folder");
        assertEquals(1, execute("demo", "--count", "2", "--epochs", "1", "--side", "16", "--batch", "1", "--data",
            blocker.resolve("sub").toString()));
        assertTrue(err.toString().startsWith("tiercache demo: failed: "), err.toString());
    }
}
