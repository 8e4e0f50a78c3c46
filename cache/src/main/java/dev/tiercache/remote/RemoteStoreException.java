package dev.tiercache.remote;

import java.io.Serial;

/**
 * A remote call that failed: the server did not answer in time, could not be reached, or refused
 * the value. Its message never contains a password.
 */
public final class RemoteStoreException extends RuntimeException
{
    @Serial
    private static final long serialVersionUID = 1L;

    /** Whether the whole server is unreachable (false: one node of a cluster). */
    private final boolean wholeStore;
    /** Whether the server answered and refused the value (over a limit). */
    private final boolean refused;

    /**
     * A failure.
     *
     * @param message    what failed, naming the node and the reason, without secrets.
     * @param wholeStore whether the whole server is unreachable (false: one node of a cluster).
     * @param refused    whether the server answered and refused this value (over a limit).
     * @param cause      the client's exception, or {@code null}.
     */
    public RemoteStoreException(final String message, final boolean wholeStore, final boolean refused, final Throwable cause)
    {
        super(message, cause, false, false);
        this.wholeStore = wholeStore;
        this.refused = refused;
    }

    /**
     * Whether the whole server is gone, not only the node that owns the key.
     *
     * @return true for a standalone server that did not answer, or a cluster none of whose nodes did.
     */
    public boolean wholeStore()
    {
        return wholeStore;
    }

    /**
     * Whether the server answered and refused the value (too large, or over its memory limit).
     *
     * @return true for a refusal; the store stays on.
     */
    public boolean refused()
    {
        return refused;
    }
}
