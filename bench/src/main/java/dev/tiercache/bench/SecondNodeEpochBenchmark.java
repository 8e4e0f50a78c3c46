package dev.tiercache.bench;

import dev.tiercache.EntryHandle;
import dev.tiercache.Part;
import dev.tiercache.RemoteSettings;
import dev.tiercache.TensorSpec;
import dev.tiercache.DType;
import dev.tiercache.TierCache;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

import javax.imageio.ImageIO;
import java.awt.image.BufferedImage;
import java.awt.image.DataBufferByte;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The second training node's first epoch: every sample read once through a cold local cache.
 * {@link #epochFromL4}: the first node decoded and wrote the samples to L4, so every read is an L4
 * hit and the loader is never called (checked). Baseline {@link #epochDecoding}: no L4, so every
 * read decodes its JPEG ({@link ImageIO}, to uint8 RGB). The ratio is what L4 saves a node.
 *
 * <p>Workload: {@code samples} JPEG images of {@code side} x {@code side} RGB pixels (made in
 * setup from {@link Workload} images), one part {@code U8[side, side, 3]} each. One epoch per
 * invocation, a fresh local cache each time.
 *
 * <p>Run: {@code java -jar bench/target/benchmarks.jar SecondNodeEpochBenchmark} (needs
 * {@code redis-server} on the PATH).
 */
@BenchmarkMode(Mode.SingleShotTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Warmup(iterations = 3)
@Measurement(iterations = 10)
@Fork(value = 1, jvmArgsAppend = {ForkArgs.NATIVE_ACCESS, ForkArgs.UNSAFE_ALLOW, ForkArgs.HEAP})
@State(Scope.Benchmark)
public class SecondNodeEpochBenchmark
{
    /** Samples per epoch. */
    @Param({"128"})
    public int samples;

    /** Image side in pixels. */
    @Param({"224"})
    public int side;

    private BenchRedis server;
    private RemoteSettings remote;
    private byte[][] jpegs;
    private TierCache local;
    private final AtomicLong decodes = new AtomicLong();

    /**
     * Encodes the samples and lets a first node decode them all into L4.
     *
     * @throws Exception when the server cannot start.
     */
    @Setup(Level.Trial)
    public void setUp() throws Exception
    {
        server = new BenchRedis();
        remote = RemoteSettings.of(server.uri(), "epoch").withTimeout(Duration.ofSeconds(2)).withQueueBytes(256L << 20);
        jpegs = new byte[samples][];
        for (int i = 0; i < samples; i++)
        {
            jpegs[i] = encode(i);
        }
        try (TierCache first = TierCache.builder().useGpu(false).hostBytes(256L << 20).remote(remote).build())
        {
            for (int i = 0; i < samples; i++)
            {
                first.get(i, this::decode).close();
            }
            if (!first.flushRemote(Duration.ofSeconds(60)))
            {
                throw new IllegalStateException("first node's writes not sent: " + first.remoteStats());
            }
        }
    }

    private byte[] encode(final int key) throws IOException
    {
        final BufferedImage image = new BufferedImage(side, side, BufferedImage.TYPE_3BYTE_BGR);
        final byte[] pixels = ((DataBufferByte) image.getRaster().getDataBuffer()).getData();
        final byte[] source = Workload.imageArray(pixels.length, key);
        System.arraycopy(source, 0, pixels, 0, pixels.length);
        final ByteArrayOutputStream out = new ByteArrayOutputStream();
        ImageIO.write(image, "jpg", out);
        return out.toByteArray();
    }

    private Part[] decode(final long key)
    {
        decodes.incrementAndGet();
        try
        {
            final BufferedImage image = ImageIO.read(new ByteArrayInputStream(jpegs[(int) key]));
            final BufferedImage rgb = new BufferedImage(side, side, BufferedImage.TYPE_3BYTE_BGR);
            rgb.getGraphics().drawImage(image, 0, 0, null);
            return new Part[] {Part.of(TensorSpec.of(DType.U8, side, side, 3), ((DataBufferByte) rgb.getRaster().getDataBuffer()).getData())};
        }
        catch (final IOException ex)
        {
            throw new UncheckedIOException(ex);
        }
    }

    /** A fresh, cold local cache for each epoch (set up outside the timing). */
    @State(Scope.Thread)
    public static class Cold
    {
        TierCache withL4;
        TierCache withoutL4;

        /**
         * Opens both caches.
         *
         * @param shared the samples and the server.
         */
        @Setup(Level.Invocation)
        public void open(final SecondNodeEpochBenchmark shared)
        {
            withL4 = TierCache.builder().useGpu(false).hostBytes(64L << 20).remote(shared.remote.withWriteBehind(false, false)).build();
            withoutL4 = TierCache.builder().useGpu(false).hostBytes(64L << 20).build();
        }

        /** Closes both. */
        @TearDown(Level.Invocation)
        public void close()
        {
            withL4.close();
            withoutL4.close();
        }
    }

    private long epoch(final TierCache cache)
    {
        long bytes = 0;
        for (int i = 0; i < samples; i++)
        {
            try (EntryHandle handle = cache.get(i, this::decode))
            {
                bytes += handle.byteSize();
            }
        }
        return bytes;
    }

    /**
     * One epoch on the second node, every sample from L4.
     *
     * @param cold the fresh caches.
     * @return bytes read.
     */
    @Benchmark
    public long epochFromL4(final Cold cold)
    {
        final long before = decodes.get();
        final long bytes = epoch(cold.withL4);
        if (decodes.get() != before)
        {
            throw new IllegalStateException((decodes.get() - before) + " samples decoded although L4 holds them: " + cold.withL4.remoteStats());
        }
        return bytes;
    }

    /**
     * One epoch on the second node decoding every sample itself: the baseline.
     *
     * @param cold the fresh caches.
     * @return bytes read.
     */
    @Benchmark
    public long epochDecoding(final Cold cold)
    {
        return epoch(cold.withoutL4);
    }

    /**
     * Stops the server.
     *
     * @throws Exception when interrupted.
     */
    @TearDown(Level.Trial)
    public void tearDown() throws Exception
    {
        server.close();
    }
}
