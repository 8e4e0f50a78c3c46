package dev.tiercache.tools;

import dev.tiercache.dataset.ProgressBar;

import javax.imageio.ImageIO;
import javax.imageio.ImageReader;
import javax.imageio.stream.ImageInputStream;
import java.awt.BasicStroke;
import java.awt.Color;
import java.awt.GradientPaint;
import java.awt.Graphics2D;
import java.awt.RenderingHints;
import java.awt.image.BufferedImage;
import java.awt.image.DataBufferByte;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.UncheckedIOException;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Locale;
import java.util.SplittableRandom;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Stream;

/**
 * The demo's dataset: encoded image files (PNG and JPEG), and what a data loader does with each one
 * before a model sees it: read the file, decode it, resize its shorter side to the model's side,
 * crop the centre square, lay it out as uint8 CHW (RGB). Either made once by {@link #make} (varied
 * content: gradients, shapes, noise; varied sizes) or a user's folder scanned by {@link #scan}.
 */
final class DemoImages
{
    /** Channels of every decoded image (RGB). */
    static final int CHANNELS = 3;

    private final List<Path> files;
    private final int skipped;
    private final String origin;

    private DemoImages(final List<Path> files, final int skipped, final String origin)
    {
        this.files = List.copyOf(files);
        this.skipped = skipped;
        this.origin = origin;
    }

    /** Time one loader thread spent in each step, in nanoseconds. */
    static final class Times
    {
        long readNanos;
        long decodeNanos;
        long resizeNanos;
        long normalizeNanos;
        /** The demo's own check of the batches (not a loader's work), in the baseline. */
        long baselineCheckNanos;
        /** The same check in the cached loop. */
        long cachedCheckNanos;

        void add(final Times other)
        {
            baselineCheckNanos += other.baselineCheckNanos;
            cachedCheckNanos += other.cachedCheckNanos;
            readNanos += other.readNanos;
            decodeNanos += other.decodeNanos;
            resizeNanos += other.resizeNanos;
            normalizeNanos += other.normalizeNanos;
        }
    }

    int count()
    {
        return files.size();
    }

    int skipped()
    {
        return skipped;
    }

    String origin()
    {
        return origin;
    }

    long encodedBytes() throws IOException
    {
        long total = 0;
        for (final Path file : files)
        {
            total += Files.size(file);
        }
        return total;
    }

    /**
     * Makes {@code count} images in {@code folder} unless they are there already.
     *
     * @param pool threads to encode on.
     */
    static DemoImages make(final Path folder, final int count, final long seed, final ExecutorService pool, final PrintWriter out)
        throws IOException
    {
        Files.createDirectories(folder);
        final List<Path> files = new ArrayList<>(count);
        final List<Integer> missing = new ArrayList<>();
        for (int i = 0; i < count; i++)
        {
            final Path file = folder.resolve(String.format(Locale.ROOT, "img-%d-%05d.%s", seed, i, i % 2 == 0 ? "jpg" : "png"));
            files.add(file);
            if (!Files.isRegularFile(file) || Files.size(file) == 0)
            {
                missing.add(i);
            }
        }
        if (missing.isEmpty())
        {
            return new DemoImages(files, 0, count + " images in " + folder + " (reused)");
        }
        final ProgressBar bar = new ProgressBar(out, System.console() != null);
        final AtomicInteger done = new AtomicInteger();
        final long start = System.nanoTime();
        final List<Future<?>> tasks = new ArrayList<>();
        for (final int index : missing)
        {
            tasks.add(pool.submit(() ->
            {
                write(files.get(index), index, seed);
                final int n = done.incrementAndGet();
                synchronized (bar)
                {
                    bar.onProgress("make images", n, missing.size(), 0, System.nanoTime() - start);
                }
                return null;
            }));
        }
        await(tasks);
        bar.onDone("make images", missing.size(), missing.size(), 0, System.nanoTime() - start,
            missing.size() + " images (PNG and JPEG) written to " + folder);
        return new DemoImages(files, 0, count + " images in " + folder + " (made now)");
    }

    /**
     * The images of a user's folder (not recursive), in name order; files that cannot be read or
     * that no installed image reader recognises are skipped and counted.
     *
     * @throws IllegalArgumentException when the folder holds no image.
     */
    static DemoImages scan(final Path folder) throws IOException
    {
        if (!Files.isDirectory(folder))
        {
            throw new IllegalArgumentException("images=" + folder + " is not a folder");
        }
        final List<Path> images = new ArrayList<>();
        int skipped = 0;
        final List<Path> candidates;
        try (Stream<Path> listing = Files.list(folder))
        {
            candidates = listing.filter(Files::isRegularFile).sorted().toList();
        }
        for (final Path file : candidates)
        {
            if (Files.isReadable(file) && hasReader(file))
            {
                images.add(file);
            }
            else
            {
                skipped++;
            }
        }
        if (images.isEmpty())
        {
            throw new IllegalArgumentException("images=" + folder + " holds no image that can be read (" + candidates.size() + " files, " +
                skipped + " skipped)");
        }
        return new DemoImages(images, skipped, images.size() + " images in " + folder + (skipped > 0 ? " (" + skipped +
            " files skipped: unreadable or not an image)" : ""));
    }

    private static boolean hasReader(final Path file)
    {
        try (ImageInputStream in = ImageIO.createImageInputStream(file.toFile()))
        {
            if (in == null)
            {
                return false;
            }
            final Iterator<ImageReader> readers = ImageIO.getImageReaders(in);
            if (!readers.hasNext())
            {
                return false;
            }
            final ImageReader reader = readers.next();
            try
            {
                reader.setInput(in);
                return reader.getWidth(0) > 0 && reader.getHeight(0) > 0;
            }
            finally
            {
                reader.dispose();
            }
        }
        catch (final IOException | RuntimeException ex)
        {
            return false;
        }
    }

    /**
     * Image {@code index}: a gradient, a few filled and outlined shapes and some pixel noise, 240 to
     * 320 pixels a side, so that both codecs meet content like a photo's edges and smooth areas.
     */
    private static void write(final Path file, final int index, final long seed) throws IOException
    {
        final SplittableRandom random = new SplittableRandom(seed * 1_000_003L + index);
        final int width = 240 + random.nextInt(81);
        final int height = 240 + random.nextInt(81);
        final BufferedImage image = new BufferedImage(width, height, BufferedImage.TYPE_3BYTE_BGR);
        final Graphics2D g = image.createGraphics();
        try
        {
            g.setRenderingHint(RenderingHints.KEY_ANTIALIASING, RenderingHints.VALUE_ANTIALIAS_ON);
            g.setPaint(new GradientPaint(0, 0, colour(random), width, height, colour(random)));
            g.fillRect(0, 0, width, height);
            for (int s = 0, shapes = 3 + random.nextInt(6); s < shapes; s++)
            {
                g.setColor(colour(random));
                final int x = random.nextInt(width);
                final int y = random.nextInt(height);
                final int w = 10 + random.nextInt(width / 2);
                final int h = 10 + random.nextInt(height / 2);
                switch (random.nextInt(3))
                {
                    case 0 -> g.fillOval(x - w / 2, y - h / 2, w, h);
                    case 1 -> g.fillRect(x - w / 2, y - h / 2, w, h);
                    default ->
                    {
                        g.setStroke(new BasicStroke(1 + random.nextInt(6)));
                        g.drawLine(x, y, random.nextInt(width), random.nextInt(height));
                    }
                }
            }
        }
        finally
        {
            g.dispose();
        }
        final byte[] pixels = ((DataBufferByte)image.getRaster().getDataBuffer()).getData();
        for (int i = 0; i < pixels.length; i++)
        {
            pixels[i] = (byte)Math.clamp((pixels[i] & 0xFF) + random.nextInt(9) - 4, 0, 255);
        }
        final String format = file.getFileName().toString().endsWith(".png") ? "png" : "jpg";
        final Path partial = file.resolveSibling(file.getFileName() + ".part");
        if (!ImageIO.write(image, format, partial.toFile()))
        {
            throw new IOException("no " + format + " writer in this JDK");
        }
        Files.move(partial, file, java.nio.file.StandardCopyOption.REPLACE_EXISTING, java.nio.file.StandardCopyOption.ATOMIC_MOVE);
    }

    private static Color colour(final SplittableRandom random)
    {
        return new Color(random.nextInt(256), random.nextInt(256), random.nextInt(256));
    }

    /**
     * Image {@code index} as the model takes it: read, decoded, shorter side resized to
     * {@code side} (bilinear), centre-cropped to {@code side x side}, uint8 CHW RGB.
     *
     * @param target at least {@code 3 * side * side} bytes.
     * @param times  where the steps' time is added.
     */
    void decode(final int index, final int side, final MemorySegment target, final Times times)
    {
        final Path file = files.get(index);
        try
        {
            final long start = System.nanoTime();
            final byte[] encoded = Files.readAllBytes(file);
            final long read = System.nanoTime();
            final BufferedImage decoded = ImageIO.read(new ByteArrayInputStream(encoded));
            if (decoded == null)
            {
                throw new IOException(file + " is not an image this JDK can decode");
            }
            final long decodedAt = System.nanoTime();
            final BufferedImage square = new BufferedImage(side, side, BufferedImage.TYPE_3BYTE_BGR);
            final double scale = (double)side / Math.min(decoded.getWidth(), decoded.getHeight());
            final int width = (int)Math.round(decoded.getWidth() * scale);
            final int height = (int)Math.round(decoded.getHeight() * scale);
            final Graphics2D g = square.createGraphics();
            try
            {
                g.setRenderingHint(RenderingHints.KEY_INTERPOLATION, RenderingHints.VALUE_INTERPOLATION_BILINEAR);
                g.drawImage(decoded, (side - width) / 2, (side - height) / 2, width, height, null);
            }
            finally
            {
                g.dispose();
            }
            final byte[] bgr = ((DataBufferByte)square.getRaster().getDataBuffer()).getData();
            final int plane = side * side;
            for (int p = 0; p < plane; p++)
            {
                target.set(ValueLayout.JAVA_BYTE, p, bgr[3 * p + 2]);
                target.set(ValueLayout.JAVA_BYTE, plane + p, bgr[3 * p + 1]);
                target.set(ValueLayout.JAVA_BYTE, 2L * plane + p, bgr[3 * p]);
            }
            final long end = System.nanoTime();
            times.readNanos += read - start;
            times.decodeNanos += decodedAt - read;
            times.resizeNanos += end - decodedAt;
        }
        catch (final IOException ex)
        {
            throw new UncheckedIOException("cannot decode " + file + ": " + ex.getMessage(), ex);
        }
    }

    static void await(final List<? extends Future<?>> tasks)
    {
        for (final Future<?> task : tasks)
        {
            try
            {
                task.get();
            }
            catch (final InterruptedException ex)
            {
                Thread.currentThread().interrupt();
                throw new IllegalStateException("interrupted", ex);
            }
            catch (final java.util.concurrent.ExecutionException ex)
            {
                if (ex.getCause() instanceof RuntimeException runtime)
                {
                    throw runtime;
                }
                throw new IllegalStateException(ex.getCause().toString(), ex.getCause());
            }
        }
    }
}
