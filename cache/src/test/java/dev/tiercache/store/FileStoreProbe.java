package dev.tiercache.store;

import java.nio.file.Path;

/**
 * Run in a second JVM by the tests: opens or inspects a store file and prints one line, so the
 * tests can see what another process experiences.
 */
public final class FileStoreProbe
{
    private FileStoreProbe()
    {
    }

    /**
     * Entry point.
     *
     * @param args {@code open PATH REGION_SIZE REGION_COUNT} or {@code inspect PATH}.
     */
    public static void main(final String[] args)
    {
        final Path path = Path.of(args[1]);
        try
        {
            if ("open".equals(args[0]))
            {
                final FileStoreConfig config = FileStoreConfig.builder(path)
                    .regionSizeBytes(Long.parseLong(args[2]))
                    .regionCount(Integer.parseInt(args[3]))
                    .build();
                try (FileStore store = FileStore.open(config))
                {
                    System.out.println("OPENED " + store.recover().size());
                }
            }
            else
            {
                final FileStoreReport report = FileStore.inspect(path);
                System.out.println("INSPECTED inUse=" + report.inUseByOtherProcess() + " live=" + report.liveEntries());
            }
        }
        catch (final FileStoreException ex)
        {
            System.out.println("FAILED " + ex.getMessage());
        }
    }
}
