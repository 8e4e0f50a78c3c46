package dev.tiercache.tools.simulate;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.zip.GZIPOutputStream;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class TraceReaderTest
{
    @TempDir
    Path dir;

    @Test
    void lirs_skipsCheckpointsAndBlankLines()
    {
        final Trace trace = read("1\n*\n2\n\n  3 \n1\n", TraceFormat.LIRS, false, Integer.MAX_VALUE);
        assertArrayEquals(new long[] {1, 2, 3, 1}, keys(trace));
        assertEquals(3, trace.distinctKeys());
        assertFalse(trace.isSized());
    }

    @Test
    void gzip_isDetectedByMagicBytes_notByName()
    {
        final Trace trace = read("-5\n7\n", TraceFormat.CACHE2K, true, Integer.MAX_VALUE);
        assertArrayEquals(new long[] {-5, 7}, keys(trace));
    }

    @Test
    void arc_expandsRunsOfBlocks_andLimitCutsInsideARun()
    {
        final Trace trace = read("10 3 0 0\n5 1 0 1\n", TraceFormat.ARC, true, Integer.MAX_VALUE);
        assertArrayEquals(new long[] {10, 11, 12, 5}, keys(trace));
        assertArrayEquals(new long[] {10, 11}, keys(read("10 3 0 0\n5 1 0 1\n", TraceFormat.ARC, false, 2)));
    }

    @Test
    void csv_readsKeysAndSizes()
    {
        final Trace trace = read("1,100\n2, 50\n1,100\n", TraceFormat.CSV, false, Integer.MAX_VALUE);
        assertTrue(trace.isSized());
        assertArrayEquals(new long[] {1, 2, 1}, keys(trace));
        assertEquals(50, trace.size(1));
        assertEquals(150, trace.footprint());
    }

    @Test
    void malformedLine_isReportedWithItsNumber() throws IOException
    {
        final Path file = dir.resolve("bad.trace");
        Files.writeString(file, "1\nx\n");
        final IOException ex = assertThrows(IOException.class, () -> TraceReader.read(file, TraceFormat.LIRS, 10));
        assertTrue(ex.getMessage().contains("bad:2"), ex.getMessage());
        Files.writeString(file, "1\n");
        assertThrows(IOException.class, () -> TraceReader.read(file, TraceFormat.CSV, 10));
    }

    @Test
    void format_namesAreCaseInsensitive()
    {
        assertEquals(TraceFormat.ARC, TraceFormat.of("ARC"));
        assertThrows(IllegalArgumentException.class, () -> TraceFormat.of("parquet"));
    }

    private Trace read(final String text, final TraceFormat format, final boolean gzip, final int limit)
    {
        try
        {
            final Path file = dir.resolve("t.txt");
            try (OutputStream out = Files.newOutputStream(file))
            {
                if (gzip)
                {
                    try (GZIPOutputStream zipped = new GZIPOutputStream(out))
                    {
                        zipped.write(text.getBytes(StandardCharsets.US_ASCII));
                    }
                }
                else
                {
                    out.write(text.getBytes(StandardCharsets.US_ASCII));
                }
            }
            return TraceReader.read(file, format, limit);
        }
        catch (final IOException ex)
        {
            throw new AssertionError(ex);
        }
    }

    static long[] keys(final Trace trace)
    {
        final long[] keys = new long[trace.length()];
        for (int i = 0; i < keys.length; i++)
        {
            keys[i] = trace.key(i);
        }
        return keys;
    }
}
