package dev.tiercache.tools.simulate;

import java.io.BufferedInputStream;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.zip.GZIPInputStream;

/**
 * Reads a trace file into a {@link Trace}. Gzip is recognised by its magic bytes, whatever the
 * file is called. A malformed line is a broken input, reported with its line number.
 */
public final class TraceReader
{
    private static final int GZIP_MAGIC_0 = 0x1F;
    private static final int GZIP_MAGIC_1 = 0x8B;

    private TraceReader()
    {
    }

    /**
     * Reads up to {@code limit} requests.
     *
     * @param path   the file, plain or gzip.
     * @param format its format.
     * @param limit  the most requests to keep (ARC lines count once per expanded key).
     * @return the trace, named after the file.
     * @throws IOException when the file cannot be read or a line is malformed.
     */
    public static Trace read(final Path path, final TraceFormat format, final int limit) throws IOException
    {
        try (BufferedReader reader = open(path))
        {
            return read(reader, traceName(path), format, limit);
        }
    }

    /**
     * Reads up to {@code limit} requests from text.
     *
     * @param reader the text.
     * @param name   the trace's name.
     * @param format its format.
     * @param limit  the most requests to keep.
     * @return the trace.
     * @throws IOException when reading fails or a line is malformed.
     */
    public static Trace read(final BufferedReader reader, final String name, final TraceFormat format, final int limit)
        throws IOException
    {
        final KeyBuffer keys = new KeyBuffer();
        long[] sizes = format == TraceFormat.CSV ? new long[1024] : null;
        int n = 0;
        int lineNumber = 0;
        String line;
        while (n < limit && (line = reader.readLine()) != null)
        {
            lineNumber++;
            final String text = line.strip();
            if (text.isEmpty() || "*".equals(text))
            {
                continue;
            }
            try
            {
                switch (format)
                {
                    case LIRS, CACHE2K ->
                    {
                        keys.add(Long.parseLong(text));
                        n++;
                    }
                    case ARC ->
                    {
                        final String[] fields = text.split("\\s+");
                        if (fields.length < 2)
                        {
                            throw new NumberFormatException("expected 'start count ignored requestNumber'");
                        }
                        final long start = Long.parseLong(fields[0]);
                        final long count = Long.parseLong(fields[1]);
                        if (count < 0)
                        {
                            throw new NumberFormatException("count=" + count + " < 0");
                        }
                        for (long k = 0; k < count && n < limit; k++)
                        {
                            keys.add(start + k);
                            n++;
                        }
                    }
                    case CSV ->
                    {
                        final int comma = text.indexOf(',');
                        if (comma < 0)
                        {
                            throw new NumberFormatException("expected 'key,size'");
                        }
                        final long size = Long.parseLong(text.substring(comma + 1).strip());
                        if (size < 0)
                        {
                            throw new NumberFormatException("size=" + size + " < 0");
                        }
                        final long key = Long.parseLong(text.substring(0, comma).strip());
                        if (n == sizes.length)
                        {
                            sizes = Arrays.copyOf(sizes, n * 2);
                        }
                        keys.add(key);
                        sizes[n++] = size;
                    }
                }
            }
            catch (final NumberFormatException ex)
            {
                throw new IOException(name + ":" + lineNumber + ": '" + text + "' is not " + format + ": " + ex.getMessage(), ex);
            }
        }
        return keys.toTrace(name, sizes == null ? null : Arrays.copyOf(sizes, n));
    }

    private static BufferedReader open(final Path path) throws IOException
    {
        final InputStream raw = new BufferedInputStream(Files.newInputStream(path), 1 << 16);
        try
        {
            raw.mark(2);
            final int b0 = raw.read();
            final int b1 = raw.read();
            raw.reset();
            final InputStream in = b0 == GZIP_MAGIC_0 && b1 == GZIP_MAGIC_1 ? new GZIPInputStream(raw, 1 << 16) : raw;
            return new BufferedReader(new InputStreamReader(in, StandardCharsets.US_ASCII), 1 << 16);
        }
        catch (final IOException ex)
        {
            raw.close();
            throw ex;
        }
    }

    private static String traceName(final Path path)
    {
        String name = path.getFileName().toString();
        for (final String suffix : new String[] {".gz", ".trace", ".lis", ".csv", ".txt"})
        {
            if (name.endsWith(suffix))
            {
                name = name.substring(0, name.length() - suffix.length());
            }
        }
        return name;
    }
}
