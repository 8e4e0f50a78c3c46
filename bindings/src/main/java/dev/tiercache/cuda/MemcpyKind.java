package dev.tiercache.cuda;

/** The direction of a copy ({@code enum cudaMemcpyKind}). */
public enum MemcpyKind
{
    /** Host to host. */
    HOST_TO_HOST(0),
    /** Host to device. */
    HOST_TO_DEVICE(1),
    /** Device to host. */
    DEVICE_TO_HOST(2),
    /** Device to device. */
    DEVICE_TO_DEVICE(3),
    /** Inferred from the pointers (unified virtual addressing). */
    DEFAULT(4);

    private final int value;

    MemcpyKind(final int value)
    {
        this.value = value;
    }

    /**
     * The C enumerator's value.
     *
     * @return the value passed to {@code cudaMemcpy}.
     */
    public int value()
    {
        return value;
    }
}
