package dev.tiercache.dataset;

import java.io.PrintStream;
import java.io.PrintWriter;
import java.util.Locale;

/**
 * A text progress bar: {@code preload [##########----------]  120/200  60% 85.2 items/s 63.9 MiB/s ETA 0:01}.
 *
 * <p>On a terminal it redraws one line with a carriage return, at most every 100 ms; written to a
 * file or a pipe, where a carriage return only makes a mess, it prints a line every tenth of the
 * way instead. Not thread-safe: one task reports to one bar at a time.
 */
public final class ProgressBar implements ProgressListener
{
    private static final int WIDTH = 24;
    private static final long REDRAW_NANOS = 100_000_000L;
    private static final double MIB = 1024.0 * 1024.0;

    private final PrintWriter out;
    private final boolean redraw;
    private long lastDrawNanos = Long.MIN_VALUE;
    private long lastTenth = -1;

    /**
     * A bar on a writer.
     *
     * @param out    where it draws.
     * @param redraw true to redraw one line ({@code \r}, for terminals), false for a line per tenth.
     */
    public ProgressBar(final PrintWriter out, final boolean redraw)
    {
        this.out = out;
        this.redraw = redraw;
    }

    /**
     * A bar on standard error that redraws when the process has a terminal.
     *
     * @return the bar.
     */
    public static ProgressBar onStandardError()
    {
        return on(System.err, System.console() != null);
    }

    /**
     * A bar on a stream.
     *
     * @param out    where it draws.
     * @param redraw see {@link #ProgressBar(PrintWriter, boolean)}.
     * @return the bar.
     */
    public static ProgressBar on(final PrintStream out, final boolean redraw)
    {
        return new ProgressBar(new PrintWriter(java.util.Objects.requireNonNull(out, "out is null"), true), redraw);
    }

    @Override
    public void onProgress(final String task, final long done, final long total, final long bytes, final long elapsedNanos)
    {
        if (redraw)
        {
            final long now = System.nanoTime();
            if (now - lastDrawNanos < REDRAW_NANOS && done < total)
            {
                return;
            }
            lastDrawNanos = now;
            out.print('\r' + line(task, done, total, bytes, elapsedNanos));
            out.flush();
        }
        else
        {
            final long tenth = total == 0 ? 10 : done * 10 / total;
            if (tenth != lastTenth)
            {
                lastTenth = tenth;
                out.println(line(task, done, total, bytes, elapsedNanos));
                out.flush();
            }
        }
    }

    @Override
    public void onDone(final String task, final long done, final long total, final long bytes, final long elapsedNanos, final String outcome)
    {
        final String last = line(task, done, total, bytes, elapsedNanos);
        if (redraw)
        {
            out.println('\r' + last);
        }
        else if (done * 10 / Math.max(1, total) != lastTenth)
        {
            out.println(last);
        }
        out.println(task + ": " + outcome);
        out.flush();
        lastDrawNanos = Long.MIN_VALUE;
        lastTenth = -1;
    }

    /**
     * Renders one state of the bar.
     *
     * @param task         label.
     * @param done         items done.
     * @param total        items in all.
     * @param bytes        bytes done.
     * @param elapsedNanos time so far.
     * @return the line, without a line end.
     */
    public static String line(final String task, final long done, final long total, final long bytes, final long elapsedNanos)
    {
        final double fraction = total == 0 ? 1.0 : Math.min(1.0, (double)done / total);
        final int filled = (int)Math.round(fraction * WIDTH);
        final double seconds = elapsedNanos / 1e9;
        final double itemsPerSecond = seconds > 0 ? done / seconds : 0;
        final String eta = itemsPerSecond > 0 ? clock((total - done) / itemsPerSecond) : "?";
        final int digits = Long.toString(total).length();
        return String.format(Locale.ROOT, "%s [%s%s] %" + digits + "d/%d %3.0f%% %.1f items/s %.1f MiB/s ETA %s",
            task, "#".repeat(filled), "-".repeat(WIDTH - filled), done, total, 100 * fraction, itemsPerSecond,
            seconds > 0 ? bytes / MIB / seconds : 0, eta);
    }

    private static String clock(final double seconds)
    {
        final long whole = Math.round(seconds);
        return whole >= 3600 ?
            String.format(Locale.ROOT, "%d:%02d:%02d", whole / 3600, whole / 60 % 60, whole % 60) :
            String.format(Locale.ROOT, "%d:%02d", whole / 60, whole % 60);
    }
}
