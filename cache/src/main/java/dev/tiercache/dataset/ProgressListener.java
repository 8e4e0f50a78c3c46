package dev.tiercache.dataset;

/**
 * Hears how a long task (a preload) advances. Called on the thread that runs the task.
 */
public interface ProgressListener
{
    /** A listener that ignores everything (tests, batch jobs). */
    ProgressListener NONE = new ProgressListener()
    {
        @Override
        public void onProgress(final String task, final long done, final long total, final long bytes, final long elapsedNanos)
        {
        }

        @Override
        public void onDone(final String task, final long done, final long total, final long bytes, final long elapsedNanos, final String outcome)
        {
        }
    };

    /**
     * One more item is done.
     *
     * @param task         what runs, e.g. {@code "preload"}.
     * @param done         items done so far.
     * @param total        items the task may do at most.
     * @param bytes        bytes done so far.
     * @param elapsedNanos time since the task started.
     */
    void onProgress(String task, long done, long total, long bytes, long elapsedNanos);

    /**
     * The task ended, complete or stopped early.
     *
     * @param task         what ran.
     * @param done         items done.
     * @param total        items it might have done.
     * @param bytes        bytes done.
     * @param elapsedNanos how long it took.
     * @param outcome      one line on how it ended.
     */
    void onDone(String task, long done, long total, long bytes, long elapsedNanos, String outcome);
}
