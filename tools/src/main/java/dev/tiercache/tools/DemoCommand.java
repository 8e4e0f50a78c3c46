package dev.tiercache.tools;

import dev.tiercache.DType;
import dev.tiercache.Part;
import dev.tiercache.TensorSpec;
import dev.tiercache.Tier;
import dev.tiercache.TierCache;
import dev.tiercache.cuda.CudaLibrary;
import dev.tiercache.cuda.CudaRuntime;
import dev.tiercache.cuda.DeviceInfo;
import dev.tiercache.cuda.sim.SimulatedDeviceProfile;
import dev.tiercache.dataset.DatasetCache;
import dev.tiercache.dataset.PrefetchResult;
import dev.tiercache.dataset.PreloadSummary;
import dev.tiercache.dataset.ProgressBar;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

import java.io.IOException;
import java.io.PrintWriter;
import java.io.UncheckedIOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Locale;
import java.util.SplittableRandom;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Future;

/**
 * {@code tiercache demo}: the training seeds' workload on this machine. N synthetic uint8 images
 * are written to a data folder once, preloaded into a cache whose L1 and L2 together hold less
 * than the dataset (so all three levels are used), then read for E epochs, each in a new shuffled
 * order, in batches, normalised to floats on read, with the next batch prefetched. Every epoch is
 * also read straight from the image files in the same order, normalised the same way: the
 * baseline. It prints which GPU is used, progress, the per-level statistics and the speed-up.
 *
 * <h2>Choosing the GPU</h2>
 * CUDA discovery runs once per process and cannot be redone, so the choice is made before the
 * first CUDA call: {@code --simulate-gpu NAME} selects a simulated device; a {@code tiercache.cudart}
 * property or {@code TIERCACHE_CUDART} setting is respected as given; otherwise, when the machine
 * shows no NVIDIA driver ({@code /proc/driver/nvidia/version} on Linux, {@code nvcuda.dll} on
 * Windows), the simulated {@code mx250} is selected and the banner says so. With a driver, the real
 * runtime is used; if it still turns out unusable, L1 is off and the banner gives the reason.
 */
@Command(
    name = "demo",
    mixinStandardHelpOptions = true,
    description = {"Run the training-data workload: synthetic images preloaded into all three levels, read in shuffled epochs",
        "through the cache and, as the baseline, from their files; prints the GPU used, progress, statistics and the speed-up."},
    exitCodeListHeading = "%nExit codes:%n",
    exitCodeList = {"0:the demo ran", "1:it failed (I/O error, cache error); the message says why", "2:usage error"})
public final class DemoCommand implements Callable<Integer>
{
    /** Exit code: the demo failed at run time. */
    public static final int EXIT_FAILED = 1;

    private static final int CHANNELS = 3;
    private static final long MIB = 1024 * 1024;
    private static final float SCALE = 1f / 255f;
    private static final int CHECKSUM_STRIDE = 61;

    /** Held so that the level set on it stays (the logging framework keeps loggers weakly). */
    private static final java.util.logging.Logger LIBRARY_LOG = java.util.logging.Logger.getLogger("dev.tiercache");

    @Spec
    CommandSpec spec;

    @Option(names = "--images", defaultValue = "200", description = "Number of images (default: ${DEFAULT-VALUE}).")
    int images;

    @Option(names = "--epochs", defaultValue = "3", description = "Epochs, each in a new shuffled order (default: ${DEFAULT-VALUE}).")
    int epochs;

    @Option(names = "--side", defaultValue = "512",
        description = "Image side in pixels; images are uint8 3 x SIDE x SIDE (default: ${DEFAULT-VALUE}, 768 KiB each).")
    int side;

    @Option(names = "--batch", defaultValue = "16", description = "Images per batch (default: ${DEFAULT-VALUE}).")
    int batch;

    @Option(names = "--simulate-gpu", paramLabel = "NAME",
        description = "Use a simulated GPU: mx250 (the target laptop's), h100. Without it and without an NVIDIA driver, mx250 is simulated.")
    String simulateGpu;

    @Option(names = "--data", paramLabel = "DIR",
        description = "Folder for the image files, written once and reused (default: tiercache-demo in the system temp folder).")
    Path data;

    @Option(names = "--l3", paramLabel = "PATH",
        description = "L3 file; kept after the run, so 'inspect' and 'verify' can read it (default: a file in the data folder, removed after).")
    Path l3;

    @Option(names = "--l1-mib", description = "L1 size in MiB (default: 30 % of the dataset).")
    Long l1Mib;

    @Option(names = "--l2-mib", description = "L2 size in MiB (default: 55 % of the dataset).")
    Long l2Mib;

    @Option(names = "--prefetch", negatable = true, defaultValue = "true",
        description = "Prefetch the next batch on a background thread (default: on; --no-prefetch turns it off).")
    boolean prefetch;

    @Option(names = "--baseline", defaultValue = "direct", paramLabel = "MODE",
        description = "How the baseline reads the image files: direct (O_DIRECT, from the disk every time, as a dataset larger than"
            + " RAM is read) or cached (through the page cache, which holds this small dataset after the first pass)."
            + " Default: ${DEFAULT-VALUE}, or cached where the file system refuses O_DIRECT.")
    String baseline;

    @Option(names = "--promote-after", paramLabel = "N",
        description = "Accesses after which an entry moves up a level (L3 to L2 and L2 to L1; the seeds' cache_hit_threshold)."
            + " Default: the cache's defaults (2 and 4).")
    Integer promoteAfter;

    @Option(names = {"-v", "--verbose"}, description = "Show the library's INFO log lines (hidden by default).")
    boolean verbose;

    @Option(names = "--seed", defaultValue = "42", description = "Seed of the images and the epoch orders (default: ${DEFAULT-VALUE}).")
    long seed;

    @Override
    public Integer call()
    {
        checkArguments();
        final PrintWriter out = spec.commandLine().getOut();
        final PrintWriter err = spec.commandLine().getErr();
        LIBRARY_LOG.setLevel(verbose ? java.util.logging.Level.INFO : java.util.logging.Level.WARNING);
        try
        {
            run(out);
            return 0;
        }
        catch (final IOException | UncheckedIOException | IllegalStateException | IllegalArgumentException ex)
        {
            out.flush();
            err.println("tiercache demo: failed: " + ex.getMessage());
            err.flush();
            return EXIT_FAILED;
        }
        finally
        {
            out.flush();
        }
    }

    private void checkArguments()
    {
        check(images >= 1, "images=" + images + " < 1");
        check(epochs >= 1, "epochs=" + epochs + " < 1");
        check(side >= 8 && side <= 4096, "side=" + side + " is not in [8, 4096]");
        check(batch >= 1 && batch <= images, "batch=" + batch + " is not in [1, images=" + images + "]");
        check(l1Mib == null || l1Mib >= 0, "l1-mib=" + l1Mib + " < 0");
        check(l2Mib == null || l2Mib >= 1, "l2-mib=" + l2Mib + " < 1");
        check("direct".equals(baseline) || "cached".equals(baseline), "baseline=" + baseline + " is neither direct nor cached");
        check(promoteAfter == null || promoteAfter >= 1, "promote-after=" + promoteAfter + " < 1");
        check(simulateGpu == null || SimulatedDeviceProfile.names().contains(simulateGpu),
            "simulate-gpu=" + simulateGpu + " is not one of " + SimulatedDeviceProfile.names());
    }

    private void check(final boolean ok, final String message)
    {
        if (!ok)
        {
            throw new ParameterException(spec.commandLine(), message);
        }
    }

    private void run(final PrintWriter out) throws IOException
    {
        final long imageBytes = (long)CHANNELS * side * side;
        final long datasetBytes = imageBytes * images;
        final long l1Bytes = l1Mib != null ? l1Mib * MIB : align(Math.max(2 * imageBytes, datasetBytes * 3 / 10), 64 * 1024);
        final long l2Bytes = l2Mib != null ? l2Mib * MIB : align(Math.max(2 * imageBytes, datasetBytes * 55 / 100), 64 * 1024);
        final long regionBytes = Math.max(4 * MIB, align(2 * imageBytes + 8192, MIB));
        final long l3Bytes = align(Math.max(2 * datasetBytes, 4 * regionBytes), regionBytes);
        final Path folder = data != null ? data : Path.of(System.getProperty("java.io.tmpdir"), "tiercache-demo");
        final boolean keepL3 = l3 != null;
        final Path l3File = keepL3 ? l3 : folder.resolve("demo-l3-" + ProcessHandle.current().pid() + ".tc");

        out.printf(Locale.ROOT, "tiercache demo: %d images of uint8 %dx%dx%d (%s each, %s in all), %d epochs, batches of %d%n",
            images, CHANNELS, side, side, InspectCommand.bytes(imageBytes), InspectCommand.bytes(datasetBytes), epochs, batch);
        out.println("GPU: " + chooseGpu());
        out.flush();

        final ImageFiles files = new ImageFiles(folder, images, side, seed);
        files.writeMissing(out);
        if ("direct".equals(baseline))
        {
            final String refused = files.useDirect();
            out.println("baseline: " + (refused == null ? "every image read from its file with O_DIRECT (from the disk, no page cache)" :
                "reads through the page cache (O_DIRECT refused here: " + refused + ")"));
        }
        else
        {
            out.println("baseline: every image read from its file through the page cache");
        }

        final TierCache.Builder config = TierCache.builder().name("demo").deviceBytes(l1Bytes).hostBytes(l2Bytes)
            .file(l3File, l3Bytes).fileRegionBytes(regionBytes).maxEntries(Math.max(64, 2 * images)).persistOnClose(keepL3);
        if (promoteAfter != null)
        {
            config.promoteToHostAfter(promoteAfter).promoteToDeviceAfter(promoteAfter);
        }
        try (TierCache cache = config.build();
             DatasetCache dataset = DatasetCache.builder(cache)
                 .progress(new ProgressBar(out, System.console() != null))
                 .statsEvery(out, 0, 10_000_000_000L)
                 .build();
             Arena arena = Arena.ofConfined())
        {
            printLevels(out, cache, datasetBytes);
            final long[] keys = new long[images];
            for (int i = 0; i < images; i++)
            {
                keys[i] = i;
            }
            final TierCache.Loader loader = files::load;
            final PreloadSummary first = dataset.preload(keys, loader);
            if (!first.complete())
            {
                out.println("the rest goes to L3 (preload with spillToFile):");
                final long[] rest = java.util.Arrays.copyOfRange(keys, first.stoppedAt(), keys.length);
                dataset.preload(rest, loader, Long.MAX_VALUE, true);
            }
            out.println("after preload:");
            out.println(cache.stats());

            final MemorySegment bytes = arena.allocate(imageBytes * batch, 64);
            final MemorySegment floats = arena.allocate(imageBytes * batch * Float.BYTES, 64);
            final EpochTimes warmUp = new EpochTimes();
            final long[] warmKeys = java.util.Arrays.copyOf(keys, Math.min(images, 2 * batch));
            epochThroughCache(dataset, warmKeys, bytes, floats, loader, warmUp);
            epochFromFiles(files, warmKeys, bytes, floats, warmUp);
            out.printf(Locale.ROOT, "warm-up: %d images through both paths, not timed (lets the JIT compile both)%n", warmKeys.length);
            final EpochTimes viaCache = new EpochTimes();
            final EpochTimes viaFiles = new EpochTimes();
            final SplittableRandom orders = new SplittableRandom(seed ^ 0x5DEECE66DL);
            for (int epoch = 1; epoch <= epochs; epoch++)
            {
                final long[] order = shuffled(keys, orders);
                final EpochTimes cacheEpoch = new EpochTimes();
                final EpochTimes fileEpoch = new EpochTimes();
                final double cacheSum = epochThroughCache(dataset, order, bytes, floats, loader, cacheEpoch);
                final double fileSum = epochFromFiles(files, order, bytes, floats, fileEpoch);
                if (Double.compare(cacheSum, fileSum) != 0)
                {
                    throw new IllegalStateException("epoch " + epoch + ": checksum through the cache " + cacheSum + " != from the files " + fileSum);
                }
                viaCache.add(cacheEpoch);
                viaFiles.add(fileEpoch);
                out.printf(Locale.ROOT, "epoch %d: read cache %.3f s, files %.3f s (%.1fx); with normalisation cache %.3f s, files %.3f s (%.1fx); checksums match%n",
                    epoch, cacheEpoch.readNanos / 1e9, fileEpoch.readNanos / 1e9, (double)fileEpoch.readNanos / cacheEpoch.readNanos,
                    cacheEpoch.total() / 1e9, fileEpoch.total() / 1e9, (double)fileEpoch.total() / cacheEpoch.total());
                out.flush();
            }
            out.println("statistics:");
            dataset.statsReporter().report();
            out.printf(Locale.ROOT, "speed-up: %.2fx reading (cache %.3f s vs files %.3f s), %.2fx with normalisation to float (%.3f s vs %.3f s);"
                + " %d epochs, %s, same bytes in the same order%n",
                (double)viaFiles.readNanos / viaCache.readNanos, viaCache.readNanos / 1e9, viaFiles.readNanos / 1e9,
                (double)viaFiles.total() / viaCache.total(), viaCache.total() / 1e9, viaFiles.total() / 1e9, epochs,
                InspectCommand.bytes(datasetBytes * epochs));
            if (keepL3)
            {
                out.println("L3 file kept: " + l3File + " (see 'tiercache inspect' and 'tiercache verify')");
            }
        }
        finally
        {
            if (!keepL3)
            {
                Files.deleteIfExists(l3File);
            }
        }
    }

    /** Nanoseconds one path spent reading and normalising. */
    static final class EpochTimes
    {
        long readNanos;
        long normaliseNanos;

        long total()
        {
            return readNanos + normaliseNanos;
        }

        void add(final EpochTimes other)
        {
            readNanos += other.readNanos;
            normaliseNanos += other.normaliseNanos;
        }
    }

    private double epochThroughCache(
        final DatasetCache dataset, final long[] order, final MemorySegment bytes, final MemorySegment floats,
        final TierCache.Loader loader, final EpochTimes times)
    {
        double sum = 0;
        Future<PrefetchResult> pending = null;
        for (int from = 0; from < order.length; from += batch)
        {
            final long start = System.nanoTime();
            final long[] keys = java.util.Arrays.copyOfRange(order, from, Math.min(order.length, from + batch));
            if (prefetch && from + batch < order.length)
            {
                await(pending);
                pending = dataset.prefetch(java.util.Arrays.copyOfRange(order, from + batch, Math.min(order.length, from + 2 * batch)));
            }
            final long read = dataset.getBatch(keys, bytes, null, loader);
            final long gathered = System.nanoTime();
            times.readNanos += gathered - start;
            normalise(bytes, floats, read);
            sum += checksum(floats, read);
            times.normaliseNanos += System.nanoTime() - gathered;
        }
        final long start = System.nanoTime();
        await(pending);
        times.readNanos += System.nanoTime() - start;
        return sum;
    }

    private double epochFromFiles(
        final ImageFiles files, final long[] order, final MemorySegment bytes, final MemorySegment floats, final EpochTimes times)
        throws IOException
    {
        double sum = 0;
        final long imageBytes = files.imageBytes;
        for (int from = 0; from < order.length; from += batch)
        {
            final long start = System.nanoTime();
            final int to = Math.min(order.length, from + batch);
            for (int i = from; i < to; i++)
            {
                files.read((int)order[i], bytes.asSlice((i - from) * imageBytes, imageBytes));
            }
            final long read = (to - from) * imageBytes;
            final long gathered = System.nanoTime();
            times.readNanos += gathered - start;
            normalise(bytes, floats, read);
            sum += checksum(floats, read);
            times.normaliseNanos += System.nanoTime() - gathered;
        }
        return sum;
    }

    /** uint8 to float, {@code value / 255}: what {@code EntryHandle.readAsFloat} computes, for both paths alike. */
    private static void normalise(final MemorySegment bytes, final MemorySegment floats, final long count)
    {
        for (long i = 0; i < count; i++)
        {
            floats.setAtIndex(ValueLayout.JAVA_FLOAT_UNALIGNED, i, (bytes.get(ValueLayout.JAVA_BYTE, i) & 0xFF) * SCALE + 0f);
        }
    }

    private static void await(final Future<PrefetchResult> pending)
    {
        if (pending == null)
        {
            return;
        }
        try
        {
            pending.get();
        }
        catch (final InterruptedException ex)
        {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while waiting for a prefetch", ex);
        }
        catch (final ExecutionException ex)
        {
            throw new IllegalStateException("prefetch failed: " + ex.getCause(), ex.getCause());
        }
    }

    /** A sample of the batch's floats: the same for both paths exactly when they read the same bytes there. */
    private static double checksum(final MemorySegment floats, final long count)
    {
        double sum = 0;
        for (long i = 0; i < count; i += CHECKSUM_STRIDE)
        {
            sum += floats.getAtIndex(ValueLayout.JAVA_FLOAT, i) * (1 + (i & 7));
        }
        return sum;
    }

    private static long[] shuffled(final long[] keys, final SplittableRandom random)
    {
        final long[] order = keys.clone();
        for (int i = order.length - 1; i > 0; i--)
        {
            final int j = random.nextInt(i + 1);
            final long swap = order[i];
            order[i] = order[j];
            order[j] = swap;
        }
        return order;
    }

    private static long align(final long value, final long unit)
    {
        return (value + unit - 1) / unit * unit;
    }

    private static void printLevels(final PrintWriter out, final TierCache cache, final long datasetBytes)
    {
        final long l1 = cache.stats().level(Tier.DEVICE).capacityBytes();
        final long l2 = cache.stats().level(Tier.HOST).capacityBytes();
        out.printf(Locale.ROOT, "levels: L1 %s, L2 %s, L3 %s: L1+L2 = %s %s dataset %s%n",
            cache.hasDevice() ? InspectCommand.bytes(l1) + " (device)" : "off (" + cache.stats().level(Tier.DEVICE).disabledReason() + ")",
            InspectCommand.bytes(l2) + " (host)", InspectCommand.bytes(cache.stats().level(Tier.FILE).capacityBytes()) + " (file)",
            InspectCommand.bytes(l1 + l2), l1 + l2 < datasetBytes ? "<" : ">=", InspectCommand.bytes(datasetBytes) +
                (l1 + l2 < datasetBytes ? ", so entries live in all three levels" : ": L3 gets only what the levels above push down"));
        out.flush();
    }

    /**
     * Decides which CUDA runtime this process uses (before the first CUDA call; see the class
     * comment) and describes it.
     */
    private String chooseGpu()
    {
        final String property = System.getProperty(CudaLibrary.CUDART_PROP_NAME);
        final String environment = System.getenv(CudaLibrary.CUDART_ENV_NAME);
        final String why;
        if (simulateGpu != null)
        {
            if (property == null)
            {
                System.setProperty(CudaLibrary.CUDART_PROP_NAME, CudaLibrary.SIMULATED_PREFIX + simulateGpu);
            }
            why = "asked for with --simulate-gpu " + simulateGpu;
        }
        else if (property != null || (environment != null && !environment.isBlank()))
        {
            why = property != null ? "selected by -D" + CudaLibrary.CUDART_PROP_NAME + "=" + property :
                "selected by " + CudaLibrary.CUDART_ENV_NAME + "=" + environment;
        }
        else if (!nvidiaDriverPresent())
        {
            System.setProperty(CudaLibrary.CUDART_PROP_NAME, CudaLibrary.SIMULATED_PREFIX + SimulatedDeviceProfile.MX250.name());
            why = "this machine shows no NVIDIA driver, so the target laptop's MX250 is simulated (device memory is host memory)";
        }
        else
        {
            why = "found by discovery";
        }
        final CudaRuntime runtime = CudaRuntime.open();
        final CudaLibrary.Location location = CudaLibrary.location();
        if (!runtime.isUsable())
        {
            return "none usable (" + runtime.unavailableReason() + "); L1 is off. Run with --simulate-gpu mx250 to simulate one.";
        }
        final DeviceInfo device = runtime.deviceInfo(0);
        final String description = String.format(Locale.ROOT, "compute capability %s, %s, CUDA runtime %s", device.computeCapability(),
            InspectCommand.bytes(device.totalBytes()), CudaRuntime.version(runtime.runtimeVersion()));
        if (runtime.isSimulated())
        {
            final String note = simulateGpu != null && !location.description().contains("'" + simulateGpu + "'") ?
                " [CUDA was already set up in this process as " + location.description() + "; --simulate-gpu had no effect]" : "";
            return "simulated: " + location.description() + ", " + description + "; " + why + note;
        }
        return "real device 0 at PCI " + device.pciBusId() + ", " + description + ", from " + location.description() + "; " + why;
    }

    private static boolean nvidiaDriverPresent()
    {
        final String os = System.getProperty("os.name", "").toLowerCase(Locale.ROOT);
        if (os.contains("linux"))
        {
            return Files.exists(Path.of("/proc/driver/nvidia/version"));
        }
        if (os.contains("windows"))
        {
            final String root = System.getenv().getOrDefault("SystemRoot", "C:\\Windows");
            return Files.exists(Path.of(root, "System32", "nvcuda.dll"));
        }
        return false;
    }

    /**
     * The demo's dataset on disk: one raw uint8 file per image, named by index, written once.
     */
    static final class ImageFiles
    {
        private final Path folder;
        private final int count;
        private final int side;
        private final long seed;
        final long imageBytes;
        private final MemorySegment scratch;
        private MemorySegment directScratch;
        private boolean direct;

        ImageFiles(final Path folder, final int count, final int side, final long seed)
        {
            this.folder = folder;
            this.count = count;
            this.side = side;
            this.seed = seed;
            this.imageBytes = (long)CHANNELS * side * side;
            this.scratch = Arena.ofAuto().allocate(imageBytes, 64);
        }

        Path path(final int index)
        {
            return folder.resolve(String.format(Locale.ROOT, "img-%d-s%d-%05d.u8", seed, side, index));
        }

        void writeMissing(final PrintWriter out) throws IOException
        {
            Files.createDirectories(folder);
            int missing = 0;
            for (int i = 0; i < count; i++)
            {
                if (!Files.isRegularFile(path(i)) || Files.size(path(i)) != imageBytes)
                {
                    missing++;
                }
            }
            if (missing == 0)
            {
                out.println("data: " + count + " image files in " + folder + " (reused)");
                out.flush();
                return;
            }
            final ProgressBar bar = new ProgressBar(out, System.console() != null);
            final long start = System.nanoTime();
            int written = 0;
            for (int i = 0; i < count; i++)
            {
                final Path file = path(i);
                if (Files.isRegularFile(file) && Files.size(file) == imageBytes)
                {
                    continue;
                }
                generate(i, scratch);
                try (FileChannel channel = FileChannel.open(file, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
                    StandardOpenOption.TRUNCATE_EXISTING))
                {
                    final java.nio.ByteBuffer buffer = scratch.asByteBuffer();
                    while (buffer.hasRemaining())
                    {
                        channel.write(buffer);
                    }
                }
                written++;
                bar.onProgress("write data", written, missing, written * imageBytes, System.nanoTime() - start);
            }
            bar.onDone("write data", written, missing, written * imageBytes, System.nanoTime() - start, written + " image files written to " + folder);
        }

        /**
         * Image {@code index}: 4x4 blocks of one colour with a little noise, so LZ4 finds matches
         * as it does in real decoded images, without them being trivially compressible.
         */
        void generate(final int index, final MemorySegment target)
        {
            final SplittableRandom random = new SplittableRandom(seed * 1_000_003L + index);
            final int blocks = (side + 3) / 4;
            final byte[] colours = new byte[CHANNELS * blocks * blocks];
            for (int i = 0; i < colours.length; i++)
            {
                colours[i] = (byte)random.nextInt(256);
            }
            long at = 0;
            for (int c = 0; c < CHANNELS; c++)
            {
                for (int y = 0; y < side; y++)
                {
                    for (int x = 0; x < side; x++)
                    {
                        final int colour = colours[(c * blocks + y / 4) * blocks + x / 4] & 0xFF;
                        final int noise = (x & 15) == 0 ? random.nextInt(4) : 0;
                        target.set(ValueLayout.JAVA_BYTE, at++, (byte)(colour + noise));
                    }
                }
            }
        }

        /**
         * Turns direct reads on when the file system takes them.
         *
         * @return null when on, else why not.
         */
        String useDirect() throws IOException
        {
            final long block = Files.getFileStore(folder).getBlockSize();
            directScratch = Arena.ofAuto().allocate(align(imageBytes, block), Math.max(block, 4096));
            try
            {
                readDirect(0, directScratch.asSlice(0, imageBytes));
                direct = true;
                return null;
            }
            catch (final IOException | UnsupportedOperationException ex)
            {
                return ex.toString();
            }
        }

        /**
         * The JDK's {@code ExtendedOpenOption.DIRECT} ({@code O_DIRECT}), found by name: javac flags
         * the class as internal API, though its module exports it for exactly this use.
         */
        private static java.nio.file.OpenOption directOption()
        {
            try
            {
                for (final Object option : Class.forName("com.sun.nio.file.ExtendedOpenOption").getEnumConstants())
                {
                    if ("DIRECT".equals(((Enum<?>)option).name()))
                    {
                        return (java.nio.file.OpenOption)option;
                    }
                }
            }
            catch (final ClassNotFoundException ex)
            {
                throw new UnsupportedOperationException("this JDK has no ExtendedOpenOption", ex);
            }
            throw new UnsupportedOperationException("this JDK has no ExtendedOpenOption.DIRECT");
        }

        private void readDirect(final int index, final MemorySegment target) throws IOException
        {
            try (FileChannel channel = FileChannel.open(path(index), StandardOpenOption.READ, directOption()))
            {
                final java.nio.ByteBuffer buffer = directScratch.asByteBuffer();
                // O_DIRECT reads whole blocks into a block-aligned buffer; the last one comes back short
                while (buffer.hasRemaining())
                {
                    if (channel.read(buffer) < 0)
                    {
                        break;
                    }
                }
                if (buffer.position() < imageBytes)
                {
                    throw new IOException(path(index) + " is shorter than " + imageBytes + " bytes");
                }
            }
            MemorySegment.copy(directScratch, 0, target, 0, imageBytes);
        }

        void read(final int index, final MemorySegment target) throws IOException
        {
            if (direct)
            {
                readDirect(index, target);
                return;
            }
            readCached(index, target);
        }

        private void readCached(final int index, final MemorySegment target) throws IOException
        {
            try (FileChannel channel = FileChannel.open(path(index), StandardOpenOption.READ))
            {
                final java.nio.ByteBuffer buffer = target.asSlice(0, imageBytes).asByteBuffer();
                while (buffer.hasRemaining())
                {
                    if (channel.read(buffer) < 0)
                    {
                        throw new IOException(path(index) + " is shorter than " + imageBytes + " bytes");
                    }
                }
            }
        }

        /** The cache's loader: reads an image file into a part (copied by {@code put}). */
        Part[] load(final long key)
        {
            try
            {
                readCached((int)key, scratch);
            }
            catch (final IOException ex)
            {
                throw new UncheckedIOException("cannot read image " + key + ": " + ex.getMessage(), ex);
            }
            return new Part[] {new Part(TensorSpec.of(DType.U8, CHANNELS, side, side), scratch)};
        }
    }
}
