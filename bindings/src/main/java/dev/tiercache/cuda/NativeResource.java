package dev.tiercache.cuda;

import java.util.concurrent.atomic.AtomicBoolean;

/**
 * The close-once discipline every CUDA resource shares: closing twice is a no-op and any use
 * after close is an {@link IllegalStateException} naming the resource, never a native call on a
 * freed handle.
 */
abstract class NativeResource implements AutoCloseable
{
    private final AtomicBoolean closed = new AtomicBoolean();

    /**
     * Throws unless the resource is still open.
     */
    final void checkOpen()
    {
        if (closed.get())
        {
            throw new IllegalStateException(this + " is closed");
        }
    }

    /**
     * Whether {@link #close()} has run.
     *
     * @return true once closed.
     */
    public final boolean isClosed()
    {
        return closed.get();
    }

    @Override
    public final void close()
    {
        if (closed.compareAndSet(false, true))
        {
            release();
        }
    }

    /**
     * Frees the native resource; called exactly once.
     */
    abstract void release();
}
