package dev.tiercache.store;

import java.nio.file.Path;

/**
 * A {@link FileStore} file cannot be created, opened or inspected: wrong format, newer version,
 * other geometry, truncated, locked, or no room on the disk. The message names the file and the
 * values involved.
 */
public final class FileStoreException extends RuntimeException
{
    private static final long serialVersionUID = 1L;

    private final String file;

    /**
     * A failure about {@code file}.
     *
     * @param file    the store's file.
     * @param message what went wrong, naming the file and the values.
     */
    public FileStoreException(final Path file, final String message)
    {
        super(message);
        this.file = file.toString();
    }

    /**
     * A failure about {@code file} with an underlying cause.
     *
     * @param file    the store's file.
     * @param message what went wrong, naming the file and the values.
     * @param cause   the I/O or native failure beneath.
     */
    public FileStoreException(final Path file, final String message, final Throwable cause)
    {
        super(message, cause);
        this.file = file.toString();
    }

    /**
     * The file concerned.
     *
     * @return the path as given to the store.
     */
    public Path path()
    {
        return Path.of(file);
    }
}
