package dev.tiercache.tools;

import dev.tiercache.DType;
import dev.tiercache.Part;
import dev.tiercache.TensorSpec;
import dev.tiercache.Tier;
import dev.tiercache.TierCache;
import dev.tiercache.cuda.CudaLibrary;
import dev.tiercache.cuda.CudaRuntime;
import dev.tiercache.cuda.DeviceBuffer;
import dev.tiercache.cuda.DeviceInfo;
import dev.tiercache.cuda.sim.SimulatedDeviceProfile;
import dev.tiercache.dataset.BatchStats;
import dev.tiercache.dataset.DatasetCache;
import dev.tiercache.dataset.Normalization;
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
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.SplittableRandom;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.zip.CRC32C;

/**
 * {@code tiercache demo}: a training loader's workload on this machine. A dataset of encoded images
 * (PNG and JPEG, made once and reused, or the user's own folder with {@code --images}) is read for E
 * epochs, each in a new shuffled order, in batches, by N loader threads, two ways:
 * <ul>
 *   <li>the <b>decode baseline</b>, what a loader does without a cache: read the file, decode it,
 *       resize and crop it to the model's shape, lay it out as uint8 CHW, normalise it to float;</li>
 *   <li>the <b>cached</b> loop through {@link DatasetCache}: the uint8 tensors, decoded once, live in
 *       L1/L2/L3 and are normalised on read; with a GPU level each batch is gathered and normalised
 *       on the device ({@link DatasetCache#getBatchOnDevice(long[], DeviceBuffer, DeviceBuffer,
 *       Normalization, TierCache.Loader)}) and never copied back to the host;</li>
 *   <li>the <b>heap array</b>, the simplest peer: the same decoded uint8 tensors in a
 *       {@code byte[][]} on the Java heap, normalised from there into each batch (skipped with
 *       {@code --no-heap}, or when the decoded dataset is more than half the heap: the case a
 *       cache is for).</li>
 * </ul>
 * Both produce the same numbers: the CRC32C of every host batch, and of the first device batch of
 * each epoch (copied back for the check only), are compared; the baseline checks the same batches
 * as the cached loop, so the check weighs the same in both (its time is printed). It prints
 * per-epoch times, samples/s, the speed-up (over all epochs and once warm), the per-level
 * statistics and where the time went. The baseline leaves its batch in host memory: on a machine
 * with a GPU it would still have to copy it there, which the cached loop with L1 does not.
 *
 * <h2>Choosing the GPU</h2>
 * CUDA discovery runs once per process and cannot be redone, so the choice is made before the
 * first CUDA call: {@code --simulate-gpu NAME} selects a simulated device; a {@code tiercache.cudart}
 * property or {@code TIERCACHE_CUDART} setting is respected as given; otherwise, when the machine
 * shows no NVIDIA driver ({@code /proc/driver/nvidia/version} on Linux, {@code nvcuda.dll} on
 * Windows), the simulated {@code mx250} is selected and the output says so. {@code --no-gpu} turns
 * L1 off.
 */
@Command(
    name = "demo",
    mixinStandardHelpOptions = true,
    description = {"Run the training-data workload: encoded images read in shuffled epochs by N loader threads, once decoded from",
        "their files every time (the baseline) and once through the cache (uint8 in L1/L2/L3, normalised on read, on the GPU when",
        "there is one); prints per-epoch times, samples/s, the speed-up, statistics and where the time went."},
    exitCodeListHeading = "%nExit codes:%n",
    exitCodeList = {"0:the demo ran", "1:it failed (I/O error, cache error, checksum mismatch); the message says why", "2:usage error"})
public final class DemoCommand implements Callable<Integer>
{
    /** Exit code: the demo failed at run time. */
    public static final int EXIT_FAILED = 1;

    private static final long MIB = 1024 * 1024;
    private static final float[] MEAN = {0.485f, 0.456f, 0.406f};
    private static final float[] STD = {0.229f, 0.224f, 0.225f};

    /** Held so that the level set on it stays (the logging framework keeps loggers weakly). */
    private static final java.util.logging.Logger LIBRARY_LOG = java.util.logging.Logger.getLogger("dev.tiercache");

    @Spec
    CommandSpec spec;

    @Option(names = "--count", defaultValue = "1000", description = "Images to make (default: ${DEFAULT-VALUE}); ignored with --images.")
    int count;

    @Option(names = "--images", paramLabel = "DIR",
        description = "Use the images in this folder instead (PNG, JPEG, whatever the JDK reads; other files are skipped and counted).")
    Path images;

    @Option(names = "--epochs", defaultValue = "3", description = "Epochs, each in a new shuffled order (default: ${DEFAULT-VALUE}).")
    int epochs;

    @Option(names = "--side", defaultValue = "224",
        description = "The model's input side: images are resized and cropped to uint8 3 x SIDE x SIDE (default: ${DEFAULT-VALUE}).")
    int side;

    @Option(names = "--batch", defaultValue = "32", description = "Images per batch (default: ${DEFAULT-VALUE}).")
    int batch;

    @Option(names = "--threads", description = "Loader threads, for both loops (default: the core count).")
    Integer threads;

    @Option(names = "--fp16", description = "Normalise to fp16 instead of float32.")
    boolean fp16;

    @Option(names = "--simulate-gpu", paramLabel = "NAME",
        description = "Use a simulated GPU: mx250 (the target laptop's), h100. Without it and without an NVIDIA driver, mx250 is simulated.")
    String simulateGpu;

    @Option(names = "--no-gpu", description = "Turn L1 off: the cache uses host memory and the file only.")
    boolean noGpu;

    @Option(names = "--restart", description = "Then close the cache, open it again from its L3 file (as a restarted job does) and time the"
        + " first epoch through it against the decode baseline's mean epoch.")
    boolean restart;

    @Option(names = "--no-heap", description = "Skip the third loop, a byte[][] of the decoded tensors on the Java heap.")
    boolean noHeap;

    @Option(names = "--data", paramLabel = "DIR",
        description = "Folder for the made images and the L3 file (default: tiercache-demo in the system temp folder).")
    Path data;

    @Option(names = "--l3", paramLabel = "PATH",
        description = "L3 file; kept after the run, so 'inspect' and 'verify' can read it (default: a file in the data folder, removed after).")
    Path l3;

    @Option(names = "--l1-mib", description = "L1 size in MiB (default: 30 % of the decoded dataset).")
    Long l1Mib;

    @Option(names = "--l2-mib", description = "L2 size in MiB (default: 55 % of the decoded dataset).")
    Long l2Mib;

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
        check(count >= 1, "count=" + count + " < 1");
        check(epochs >= 1, "epochs=" + epochs + " < 1");
        check(side >= 8 && side <= 4096, "side=" + side + " is not in [8, 4096]");
        check(batch >= 1, "batch=" + batch + " < 1");
        check(threads == null || (threads >= 1 && threads <= 256), "threads=" + threads + " is not in [1, 256]");
        check(l1Mib == null || l1Mib >= 0, "l1-mib=" + l1Mib + " < 0");
        check(l2Mib == null || l2Mib >= 1, "l2-mib=" + l2Mib + " < 1");
        check(simulateGpu == null || SimulatedDeviceProfile.names().contains(simulateGpu),
            "simulate-gpu=" + simulateGpu + " is not one of " + SimulatedDeviceProfile.names());
        check(!(noGpu && simulateGpu != null), "--no-gpu and --simulate-gpu exclude each other");
    }

    private void check(final boolean ok, final String message)
    {
        if (!ok)
        {
            throw new ParameterException(spec.commandLine(), message);
        }
    }

    /** One loader thread's buffers, reused for every batch it makes. */
    private static final class Worker
    {
        final Arena arena = Arena.ofShared();
        final MemorySegment bytes;
        final MemorySegment output;
        final DemoImages.Times times = new DemoImages.Times();
        DeviceBuffer gathered;
        DeviceBuffer normalized;

        Worker(final long batchBytes, final long outputBytes)
        {
            bytes = arena.allocate(batchBytes, 64);
            output = arena.allocate(outputBytes, 64);
        }

        void close()
        {
            if (gathered != null)
            {
                gathered.close();
            }
            if (normalized != null)
            {
                normalized.close();
            }
            arena.close();
        }
    }

    /** A batch's fingerprint where it was not checked. */
    private static final long UNCHECKED = Long.MIN_VALUE;

    /** What one epoch of one loop gave: per-batch fingerprints ({@link #UNCHECKED} where a batch was not checked) and the wall time. */
    private record Epoch(long[] checksums, long nanos)
    {
    }

    private void run(final PrintWriter out) throws IOException
    {
        final int loaders = threads != null ? threads : Runtime.getRuntime().availableProcessors();
        final Path folder = data != null ? data : Path.of(System.getProperty("java.io.tmpdir"), "tiercache-demo");
        final ExecutorService pool = Executors.newFixedThreadPool(loaders, task ->
        {
            final Thread thread = new Thread(task, "demo-loader");
            thread.setDaemon(true);
            return thread;
        });
        final List<Worker> workers = new ArrayList<>();
        final ThreadLocal<Worker> mine = new ThreadLocal<>();
        final boolean keepL3 = l3 != null;
        final Path l3File = keepL3 ? l3 : folder.resolve("demo-l3-" + ProcessHandle.current().pid() + ".tc");
        try
        {
            out.println("GPU: " + (noGpu ? "off (--no-gpu)" : chooseGpu()));
            out.flush();
            final DemoImages dataset = images != null ? DemoImages.scan(images) :
                DemoImages.make(folder.resolve("images-" + seed + "-" + count), count, seed, pool, out);
            final int n = dataset.count();
            final long imageBytes = (long)DemoImages.CHANNELS * side * side;
            final long datasetBytes = imageBytes * n;
            final int batchSize = Math.min(batch, n);
            final Normalization normalization = Normalization.meanStd(fp16 ? DType.F16 : DType.F32, MEAN, STD);
            out.printf(Locale.ROOT, "data: %s, %s encoded; decoded to uint8 %dx%dx%d (%s each, %s in all)%n", dataset.origin(),
                InspectCommand.bytes(dataset.encodedBytes()), DemoImages.CHANNELS, side, side, InspectCommand.bytes(imageBytes),
                InspectCommand.bytes(datasetBytes));
            out.printf(Locale.ROOT, "workload: %d epochs, batches of %d, %d loader threads, normalised to %s with ImageNet's mean and std%n",
                epochs, batchSize, loaders, fp16 ? "fp16" : "float32");

            final long l1Bytes = l1Mib != null ? l1Mib * MIB : align(Math.max(2 * imageBytes, datasetBytes * 3 / 10), 64 * 1024);
            final long l2Bytes = l2Mib != null ? l2Mib * MIB : align(Math.max(2 * imageBytes, datasetBytes * 55 / 100), 64 * 1024);
            final long regionBytes = Math.max(4 * MIB, align(2 * imageBytes + 8192, MIB));
            final long l3Bytes = align(Math.max(2 * datasetBytes, 4 * regionBytes), regionBytes);
            Files.createDirectories(l3File.toAbsolutePath().getParent());
            final TierCache.Builder config = TierCache.builder().name("demo").useGpu(!noGpu).deviceBytes(l1Bytes).hostBytes(l2Bytes)
                .file(l3File, l3Bytes).fileRegionBytes(regionBytes).maxEntries(Math.max(64, 2 * n)).persistOnClose(keepL3 || restart);
            final long outputBytes = normalization.outputBytes(imageBytes * batchSize);
            final long heapLimit = Runtime.getRuntime().maxMemory() / 2;
            final String heapSkipped = noHeap ? "skipped (--no-heap)" : datasetBytes > heapLimit ? String.format(Locale.ROOT,
                "skipped: the decoded dataset (%s) is more than half the Java heap (%s); there a heap array is not an option",
                InspectCommand.bytes(datasetBytes), InspectCommand.bytes(2 * heapLimit)) : null;
            // the simplest peer: each image, decoded once (by the preload's loader), kept on the heap
            final byte[][] heap = heapSkipped == null ? new byte[n][] : null;
            // set in the cached run, run once that cache is closed
            final RestartEpoch[] afterClose = new RestartEpoch[1];
            try (TierCache cache = config.build();
                 DatasetCache cached = DatasetCache.builder(cache).progress(new ProgressBar(out, System.console() != null)).build())
            {
                printLevels(out, cache, datasetBytes);
                final boolean onDevice = cache.hasDevice();
                final CudaRuntime cuda = onDevice ? CudaRuntime.open() : null;
                final java.util.function.Supplier<Worker> worker = () ->
                {
                    Worker w = mine.get();
                    if (w == null)
                    {
                        w = new Worker(imageBytes * batchSize, outputBytes);
                        if (cuda != null)
                        {
                            w.gathered = cuda.allocateDevice(imageBytes * batchSize);
                            w.normalized = cuda.allocateDevice(outputBytes);
                        }
                        mine.set(w);
                        synchronized (workers)
                        {
                            workers.add(w);
                        }
                    }
                    return w;
                };
                final long[] keys = new long[n];
                Arrays.setAll(keys, i -> i);
                final TierCache.Loader loader = key ->
                {
                    final Worker w = worker.get();
                    final MemorySegment target = w.bytes.asSlice(0, imageBytes);
                    dataset.decode((int)key, side, target, w.times);
                    if (heap != null)
                    {
                        heap[(int)key] = target.toArray(ValueLayout.JAVA_BYTE);
                    }
                    return new Part[] {new Part(TensorSpec.of(DType.U8, DemoImages.CHANNELS, side, side), target)};
                };
                final long preloadStart = System.nanoTime();
                final PreloadSummary first = cached.preload(keys, loader);
                if (!first.complete())
                {
                    out.println("the rest goes to L3 (preload with spillToFile):");
                    cached.preload(Arrays.copyOfRange(keys, first.stoppedAt(), keys.length), loader, Long.MAX_VALUE, true);
                }
                out.printf(Locale.ROOT, "preload: every image decoded once and stored as uint8 in %.3f s%n", (System.nanoTime() - preloadStart) / 1e9);
                out.println(cache.stats());
                for (final Worker w : workers)
                {
                    w.times.readNanos = w.times.decodeNanos = w.times.resizeNanos = 0;
                }

                final SplittableRandom orders = new SplittableRandom(seed ^ 0x5DEECE66DL);
                final long[] baselineNanos = new long[epochs];
                final long[] cachedNanos = new long[epochs];
                final long[] heapNanos = new long[epochs];
                final BatchStats before = cached.batchStats();
                for (int epoch = 0; epoch < epochs; epoch++)
                {
                    final long[] order = shuffled(keys, orders);
                    final Epoch base = epoch(pool, order, batchSize, from ->
                    {
                        final Worker w = worker.get();
                        final int size = Math.min(batchSize, order.length - from);
                        for (int i = 0; i < size; i++)
                        {
                            dataset.decode((int)order[from + i], side, w.bytes.asSlice(i * imageBytes, imageBytes), w.times);
                        }
                        final long started = System.nanoTime();
                        normalization.applyOnHost(w.bytes, w.output, size * imageBytes, (long)side * side);
                        final long normalized = System.nanoTime();
                        w.times.normalizeNanos += normalized - started;
                        if (onDevice && from != 0)
                        {
                            // only the batches the cached loop checks (it copies back the first of each epoch)
                            return UNCHECKED;
                        }
                        final long sum = fingerprint(w.output, normalization.outputBytes(size * imageBytes));
                        w.times.baselineCheckNanos += System.nanoTime() - normalized;
                        return sum;
                    });
                    final Epoch onHeap = heap == null ? null : epoch(pool, order, batchSize, from ->
                    {
                        final Worker w = worker.get();
                        final int size = Math.min(batchSize, order.length - from);
                        final long imageOutput = normalization.outputBytes(imageBytes);
                        for (int i = 0; i < size; i++)
                        {
                            normalization.applyOnHost(MemorySegment.ofArray(heap[(int)order[from + i]]), w.output.asSlice(i * imageOutput, imageOutput),
                                imageBytes, (long)side * side);
                        }
                        if (onDevice && from != 0)
                        {
                            // the same batches as the baseline checks, at the same cost
                            return UNCHECKED;
                        }
                        return fingerprint(w.output, size * imageOutput);
                    });
                    final Epoch viaCache = epoch(pool, order, batchSize, from ->
                    {
                        final Worker w = worker.get();
                        final long[] batchKeys = Arrays.copyOfRange(order, from, Math.min(order.length, from + batchSize));
                        final long written;
                        if (onDevice)
                        {
                            written = cached.getBatchOnDevice(batchKeys, w.gathered, w.normalized, normalization, loader);
                            if (from != 0)
                            {
                                return UNCHECKED;
                            }
                        }
                        else
                        {
                            written = cached.getBatchNormalized(batchKeys, w.output, normalization, loader);
                        }
                        final long started = System.nanoTime();
                        if (onDevice)
                        {
                            // the check only: the first batch of the epoch comes back to compare
                            w.normalized.copyToHost(0, w.output.asSlice(0, written));
                        }
                        final long sum = fingerprint(w.output, written);
                        w.times.cachedCheckNanos += System.nanoTime() - started;
                        return sum;
                    });
                    for (int b = 0; b < base.checksums.length; b++)
                    {
                        if (viaCache.checksums[b] != UNCHECKED && base.checksums[b] != UNCHECKED && viaCache.checksums[b] != base.checksums[b])
                        {
                            throw new IllegalStateException("epoch " + (epoch + 1) + ", batch " + b + ": checksum through the cache " +
                                Long.toHexString(viaCache.checksums[b]) + " != decoded from the files " + Long.toHexString(base.checksums[b]));
                        }
                        if (onHeap != null && onHeap.checksums[b] != UNCHECKED && base.checksums[b] != UNCHECKED &&
                            onHeap.checksums[b] != base.checksums[b])
                        {
                            throw new IllegalStateException("epoch " + (epoch + 1) + ", batch " + b + ": checksum from the heap array " +
                                Long.toHexString(onHeap.checksums[b]) + " != decoded from the files " + Long.toHexString(base.checksums[b]));
                        }
                    }
                    baselineNanos[epoch] = base.nanos;
                    cachedNanos[epoch] = viaCache.nanos;
                    heapNanos[epoch] = onHeap == null ? 0 : onHeap.nanos;
                    out.printf(Locale.ROOT, "epoch %d: decode baseline %.3f s (%.0f samples/s), %scached %.3f s (%.0f samples/s): %.1fx; %s%n",
                        epoch + 1, base.nanos / 1e9, n / (base.nanos / 1e9), onHeap == null ? "" : String.format(Locale.ROOT,
                            "heap byte[][] %.3f s (%.0f samples/s), ", onHeap.nanos / 1e9, n / (onHeap.nanos / 1e9)),
                        viaCache.nanos / 1e9, n / (viaCache.nanos / 1e9),
                        (double)base.nanos / viaCache.nanos, onDevice ? "batches normalised on the device; first batch checked" :
                            "every batch's checksum matches");
                    out.flush();
                }
                final BatchStats read = cached.batchStats().minus(before);
                final DemoImages.Times spent = new DemoImages.Times();
                for (final Worker w : workers)
                {
                    spent.add(w.times);
                }
                out.println("statistics:");
                out.println(cache.stats());
                out.printf(Locale.ROOT, "where the time went, summed over %d loader threads:%n", loaders);
                out.printf(Locale.ROOT, "  decode baseline: read files %.3f s, decode %.3f s, resize+crop+CHW %.3f s, normalise %.3f s%n",
                    spent.readNanos / 1e9, spent.decodeNanos / 1e9, spent.resizeNanos / 1e9, spent.normalizeNanos / 1e9);
                out.printf(Locale.ROOT, "  cached: %s%n", read);
                out.printf(Locale.ROOT, "  the demo's own check of the same batches in both loops (in the epoch times; not a loader's work): baseline %.3f s, cached %.3f s%n",
                    spent.baselineCheckNanos / 1e9, spent.cachedCheckNanos / 1e9);
                final long baseTotal = Arrays.stream(baselineNanos).sum();
                final long cachedTotal = Arrays.stream(cachedNanos).sum();
                out.printf(Locale.ROOT, "speed-up: %.1fx over the decode baseline (%d epochs: %.3f s vs %.3f s; %.0f vs %.0f samples/s), %s%n",
                    (double)baseTotal / cachedTotal, epochs, cachedTotal / 1e9, baseTotal / 1e9, (double)n * epochs / (cachedTotal / 1e9),
                    (double)n * epochs / (baseTotal / 1e9), onDevice ? "L1 on the GPU" : "L1 off");
                if (epochs > 1)
                {
                    // the first epoch also pays for the JIT compiling both loops and for the cache's first touches
                    final long warmBase = baseTotal - baselineNanos[0];
                    final long warmCached = cachedTotal - cachedNanos[0];
                    out.printf(Locale.ROOT, "once warm (epochs 2-%d): %.1fx (%.3f s vs %.3f s; %.0f vs %.0f samples/s)%n", epochs,
                        (double)warmBase / warmCached, warmCached / 1e9, warmBase / 1e9, (double)n * (epochs - 1) / (warmCached / 1e9),
                        (double)n * (epochs - 1) / (warmBase / 1e9));
                }
                if (heap == null)
                {
                    out.println("heap array: " + heapSkipped);
                }
                else
                {
                    final long heapTotal = Arrays.stream(heapNanos).sum();
                    out.printf(Locale.ROOT, "heap array: a byte[][] of the decoded tensors took %.3f s (%.0f samples/s); the cache ran at %.2fx its"
                        + " samples/s, %s%n", heapTotal / 1e9, (double)n * epochs / (heapTotal / 1e9), (double)heapTotal / cachedTotal,
                        onDevice ? "with the batches normalised on the device (the heap array's on the host)" :
                            "both normalised on the host; the cache's entries in L1/L2/L3 against the heap's in RAM");
                }
                if (onDevice && cuda.isSimulated())
                {
                    out.println("note: the GPU is simulated: its memory is host memory and the kernel runs in Java on the CPU, so the cached"
                        + " loop's device steps are CPU timings, not GPU timings");
                }
                if (keepL3)
                {
                    out.println("L3 file kept: " + l3File + " (see 'tiercache inspect' and 'tiercache verify')");
                }
                if (restart)
                {
                    final long baselineMean = baseTotal / epochs;
                    afterClose[0] = () ->
                    {
                        final java.util.concurrent.atomic.AtomicLong loads = new java.util.concurrent.atomic.AtomicLong();
                        final TierCache.Loader counting = key ->
                        {
                            loads.incrementAndGet();
                            return loader.load(key);
                        };
                        final long opening = System.nanoTime();
                        try (TierCache again = config.persistOnClose(keepL3).build();
                             DatasetCache reopened = DatasetCache.builder(again).build())
                        {
                            final long opened = System.nanoTime() - opening;
                            final long[] order = shuffled(keys, orders);
                            final Epoch restarted = epoch(pool, order, batchSize, from ->
                            {
                                final Worker w = worker.get();
                                final long[] batchKeys = Arrays.copyOfRange(order, from, Math.min(order.length, from + batchSize));
                                final long written = onDevice && again.hasDevice() ?
                                    reopened.getBatchOnDevice(batchKeys, w.gathered, w.normalized, normalization, counting) :
                                    reopened.getBatchNormalized(batchKeys, w.output, normalization, counting);
                                return written;
                            });
                            out.printf(Locale.ROOT, "warm restart: the cache reopened from its L3 file in %.3f s (%d entries recovered), then its"
                                + " first epoch took %.3f s with %d of %d images decoded again; open + first epoch %.3f s against the decode"
                                + " baseline's mean epoch %.3f s: %.1fx%n", opened / 1e9, again.size(), restarted.nanos / 1e9, loads.get(), n,
                                (opened + restarted.nanos) / 1e9, baselineMean / 1e9, (double)baselineMean / (opened + restarted.nanos));
                            out.println(again.stats());
                        }
                    };
                }
            }
            if (afterClose[0] != null)
            {
                afterClose[0].run();
            }
        }
        finally
        {
            pool.shutdownNow();
            synchronized (workers)
            {
                for (final Worker w : workers)
                {
                    w.close();
                }
            }
            if (!keepL3)
            {
                Files.deleteIfExists(l3File);
            }
        }
    }

    /** The restart measurement, run once the first cache is closed. */
    private interface RestartEpoch
    {
        void run() throws IOException;
    }

    /** A batch: its start in the order, done on a loader thread, answering its fingerprint. */
    private interface BatchTask
    {
        long run(int from);
    }

    /**
     * One epoch: every batch given to the pool at once (the loader threads take them in order) and
     * the results taken in order, as a training loop consumes them.
     */
    private static Epoch epoch(final ExecutorService pool, final long[] order, final int batchSize, final BatchTask task)
    {
        final long start = System.nanoTime();
        final List<Future<Long>> batches = new ArrayList<>();
        for (int from = 0; from < order.length; from += batchSize)
        {
            final int at = from;
            batches.add(pool.submit(() -> task.run(at)));
        }
        final long[] checksums = new long[batches.size()];
        DemoImages.await(batches);
        for (int b = 0; b < checksums.length; b++)
        {
            checksums[b] = batches.get(b).resultNow();
        }
        return new Epoch(checksums, System.nanoTime() - start);
    }

    /**
     * The CRC32C of a batch's output bits: equal for both loops when they wrote the same bits in the
     * same order (a change the size of a burst of up to 32 bits always shows). The JDK computes it
     * with the processor's CRC32C instructions, so the check costs a small part of a batch's time;
     * the demo reports what it cost.
     */
    static long fingerprint(final MemorySegment values, final long bytes)
    {
        final CRC32C crc = new CRC32C();
        for (long at = 0; at < bytes; at += Integer.MAX_VALUE)
        {
            crc.update(values.asSlice(at, Math.min(Integer.MAX_VALUE, bytes - at)).asByteBuffer());
        }
        return crc.getValue();
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
        out.printf(Locale.ROOT, "levels: L1 %s, L2 %s, L3 %s: L1+L2 = %s %s decoded dataset %s%n",
            cache.hasDevice() ? InspectCommand.bytes(l1) + " (device)" : "off (" + cache.stats().level(Tier.DEVICE).disabledReason() + ")",
            InspectCommand.bytes(l2) + " (host)", InspectCommand.bytes(cache.stats().level(Tier.FILE).capacityBytes()) + " (file)",
            InspectCommand.bytes((cache.hasDevice() ? l1 : 0) + l2), (cache.hasDevice() ? l1 : 0) + l2 < datasetBytes ? "<" : ">=",
            InspectCommand.bytes(datasetBytes));
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

}
