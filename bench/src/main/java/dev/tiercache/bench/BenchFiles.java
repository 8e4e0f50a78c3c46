package dev.tiercache.bench;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.stream.Stream;

/**
 * Scratch folders for the benchmarks that need a file system.
 *
 * <p>They go under the folder named by {@value #DIR_PROP_NAME} (default: {@code java.io.tmpdir}),
 * which should sit on the disk whose page cache is to be measured.
 */
public final class BenchFiles
{
    /** System property naming the folder for scratch files. */
    public static final String DIR_PROP_NAME = "tiercache.bench.dir";

    private BenchFiles()
    {
    }

    /**
     * Makes a fresh folder.
     *
     * @param prefix the start of its name.
     * @return the folder.
     */
    public static Path createDirectory(final String prefix)
    {
        try
        {
            final Path parent = Path.of(System.getProperty(DIR_PROP_NAME, System.getProperty("java.io.tmpdir")));
            Files.createDirectories(parent);
            return Files.createTempDirectory(parent, prefix);
        }
        catch (final IOException ex)
        {
            throw new UncheckedIOException(ex);
        }
    }

    /**
     * Deletes a folder and everything in it.
     *
     * @param dir the folder; may be {@code null}.
     */
    public static void delete(final Path dir)
    {
        if (dir == null || !Files.exists(dir))
        {
            return;
        }
        try (Stream<Path> paths = Files.walk(dir))
        {
            for (final Path path : paths.sorted(Comparator.reverseOrder()).toList())
            {
                Files.deleteIfExists(path);
            }
        }
        catch (final IOException ex)
        {
            throw new UncheckedIOException(ex);
        }
    }
}
