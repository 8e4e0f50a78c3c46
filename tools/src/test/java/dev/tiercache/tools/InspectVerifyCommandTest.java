package dev.tiercache.tools;

import dev.tiercache.store.FileStore;
import dev.tiercache.store.FileStoreConfig;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

class InspectVerifyCommandTest
{
    private static final int PAYLOAD = 8192;

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

    /** Writes three raw entries and returns their locations. */
    private long[] writeStore(final Path file)
    {
        final long[] locations = new long[3];
        try (FileStore store = FileStore.open(FileStoreConfig.builder(file).regionSizeBytes(64 * 1024).capacityBytes(256 * 1024).build()))
        {
            for (int i = 0; i < locations.length; i++)
            {
                final byte[] payload = new byte[PAYLOAD];
                for (int b = 0; b < payload.length; b++)
                {
                    payload[b] = (byte)(b * 31 + i);
                }
                final MemorySegment key = MemorySegment.ofArray(new byte[] {(byte)i});
                locations[i] = store.append(1000 + i, key, MemorySegment.ofArray(new byte[8]), MemorySegment.ofArray(payload), null);
            }
        }
        return locations;
    }

    private static void flipByte(final Path file, final long position) throws IOException
    {
        try (FileChannel channel = FileChannel.open(file, StandardOpenOption.READ, StandardOpenOption.WRITE))
        {
            final ByteBuffer one = ByteBuffer.allocate(1);
            channel.read(one, position);
            one.flip();
            one.put(0, (byte)(one.get(0) ^ 0x5A));
            channel.write(one, position);
        }
    }

    @Test
    void inspect_printsGeometryEntriesBytesAndRegions()
    {
        final Path file = dir.resolve("l3.tc");
        writeStore(file);
        assertEquals(0, execute("inspect", file.toString()), err.toString());
        final String text = out.toString();
        assertTrue(text.contains("format       version 1"), text);
        assertTrue(text.contains("geometry     4 regions x 64.0 KiB = 256.0 KiB"), text);
        assertTrue(text.contains("entries      3 live, 0 removed, 0 superseded, 0 bad"), text);
        assertTrue(text.contains("bytes        24.0 KiB raw, 24.0 KiB stored, compression ratio 1.00"), text);
        assertTrue(text.matches("(?s).*\\n\\s+0\\s+ACTIVE\\s+1\\s+\\d+\\s+3\\s+3\\s+0\\s+0.*"), text);
        assertTrue(text.matches("(?s).*\\n\\s+3\\s+UNUSED.*"), text);
    }

    @Test
    void verify_ofAnIntactFile_exitsZero()
    {
        final Path file = dir.resolve("l3.tc");
        writeStore(file);
        assertEquals(0, execute("verify", file.toString()), err.toString());
        assertTrue(out.toString().contains("verify: OK: 3 live entries, every checksum intact"), out.toString());
    }

    @Test
    void verify_findsACorruptedEntry_andListsIt() throws IOException
    {
        final Path file = dir.resolve("l3.tc");
        final long[] locations = writeStore(file);
        flipByte(file, locations[1] + 1024 + PAYLOAD / 2);

        assertEquals(1, execute("verify", "--quiet", file.toString()), err.toString());
        final String text = out.toString();
        assertTrue(text.contains("bad entries\n  location " + locations[1] + ": "), text);
        assertFalse(text.contains("location " + locations[0] + ":"), text);
        assertFalse(text.contains("location " + locations[2] + ":"), text);
        assertTrue(text.contains("verify: FAILED: 1 bad entries; 2 intact live entries"), text);
        assertFalse(text.contains("geometry"), "--quiet leaves the summary out");

        out.getBuffer().setLength(0);
        assertEquals(0, execute("inspect", file.toString()), "inspect reads headers only; the payload damage is verify's to find");
    }

    @Test
    void missingOrForeignFiles_exitTwo_withAMessage() throws IOException
    {
        assertEquals(2, execute("verify", dir.resolve("nothing.tc").toString()));
        assertTrue(err.toString().contains("tiercache verify: " + dir.resolve("nothing.tc") + ": no such file"), err.toString());

        final Path foreign = dir.resolve("foreign.bin");
        Files.write(foreign, new byte[8192]);
        assertEquals(2, execute("inspect", foreign.toString()));
        assertTrue(err.toString().contains("tiercache inspect: "), err.toString());

        assertEquals(2, execute("inspect", dir.toString()));
        assertTrue(err.toString().contains("is not a regular file"), err.toString());
        assertEquals(2, execute("verify"));
        assertEquals(2, execute("inspect", "a", "b"));
    }

    @Test
    void help_listsTheCommandsAndExitCodes()
    {
        assertEquals(0, execute("--help"));
        final String usage = out.toString();
        for (final String command : new String[] {"simulate", "demo", "inspect", "verify"})
        {
            assertTrue(usage.contains("  " + command + " "), usage);
        }
        out.getBuffer().setLength(0);
        assertEquals(0, execute("verify", "--help"));
        assertTrue(out.toString().contains("Exit codes:"), out.toString());
        assertTrue(out.toString().contains("1   some entry"), out.toString());
    }
}
