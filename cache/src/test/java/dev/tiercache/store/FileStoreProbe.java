package dev.tiercache.store;

import dev.tiercache.libc.Libc;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.UncheckedIOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;

/**
 * Run in a second JVM by the tests: opens or inspects a store file and prints one line per step,
 * so the tests can see what another process experiences, kill it at a known step, or change the
 * file under it between steps. Steps that wait read a line from standard input.
 */
public final class FileStoreProbe
{
    private static final BufferedReader STDIN = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));

    private FileStoreProbe()
    {
    }

    /**
     * Entry point.
     *
     * @param args {@code COMMAND PATH [REGION_SIZE REGION_COUNT]}, the command one of
     *             {@code open} (open, print the entry count, close), {@code inspect},
     *             {@code hold} (open, print, wait for a line, close), {@code create} (print
     *             {@code CREATING}, open, print {@code CREATED}), {@code create-paused} (open,
     *             waiting for a line in the middle of preallocating), {@code append-after-truncate}
     *             (open, append, print {@code READY}, wait for a line, then append a compressible
     *             entry with the LZ4 codec and read the first one back).
     */
    public static void main(final String[] args)
    {
        final Path path = Path.of(args[1]);
        try
        {
            switch (args[0])
            {
                case "open" ->
                {
                    try (FileStore store = FileStore.open(config(path, args).build()))
                    {
                        System.out.println("OPENED " + store.recover().size());
                    }
                }
                case "hold" ->
                {
                    try (FileStore store = FileStore.open(config(path, args).build()))
                    {
                        System.out.println("OPENED " + store.recover().size());
                        System.out.flush();
                        STDIN.readLine();
                    }
                }
                case "create" ->
                {
                    System.out.println("CREATING");
                    System.out.flush();
                    try (FileStore store = FileStore.open(config(path, args).build()))
                    {
                        System.out.println("CREATED " + store.recover().size());
                    }
                }
                case "create-paused" ->
                {
                    final FileStore.Preallocator paused = (file, length) ->
                    {
                        System.out.println("PREALLOCATING");
                        System.out.flush();
                        awaitLine();
                        return Libc.posixFallocate(file, 0, length);
                    };
                    try (FileStore store = FileStore.open(config(path, args).build(), paused))
                    {
                        System.out.println("OPENED " + store.recover().size());
                    }
                }
                case "append-after-truncate" -> appendAfterTruncate(path, args);
                default ->
                {
                    final FileStoreReport report = FileStore.inspect(path);
                    System.out.println("INSPECTED inUse=" + report.inUseByOtherProcess() + " live=" + report.liveEntries());
                }
            }
        }
        catch (final FileStoreException ex)
        {
            System.out.println("FAILED " + ex.getMessage());
        }
        catch (final IOException ex)
        {
            throw new UncheckedIOException(ex);
        }
    }

    private static void appendAfterTruncate(final Path path, final String[] args)
    {
        final Codec lz4 = Codecs.lz4();
        try (FileStore store = FileStore.open(config(path, args).codecs(lz4).build());
             Arena arena = Arena.ofConfined())
        {
            final MemorySegment key = arena.allocate(8).fill((byte)1);
            final MemorySegment value = arena.allocate(4096).fill((byte)7);
            final long first = store.append(1, key, MemorySegment.NULL, value, null);
            store.force();
            System.out.println("READY codec=" + lz4.name());
            System.out.flush();
            awaitLine();
            final long second = store.append(2, key, MemorySegment.NULL, value, lz4);
            System.out.println("APPENDED " + second + " failure=" + store.failure());
            System.out.println("READ " + store.read(first, value));
            System.out.flush();
        }
        System.out.println("CLOSED");
    }

    private static FileStoreConfig.Builder config(final Path path, final String[] args)
    {
        return FileStoreConfig.builder(path).regionSizeBytes(Long.parseLong(args[2])).regionCount(Integer.parseInt(args[3]));
    }

    private static void awaitLine()
    {
        try
        {
            STDIN.readLine();
        }
        catch (final IOException ex)
        {
            throw new UncheckedIOException(ex);
        }
    }
}
