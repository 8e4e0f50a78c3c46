package dev.tiercache;

import dev.tiercache.cuda.sim.SimulatedCuda;
import dev.tiercache.cuda.sim.SimulatedDeviceProfile;
import dev.tiercache.store.NativeMemoryCounters;
import dev.tiercache.store.NativeMemoryCounters.Owner;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStreamWriter;
import java.io.Writer;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * After {@code close()} every native allocation is freed: caches on the simulated GPU, with all
 * three levels, compression on and off, are opened, used (puts that spill to L3, reads that
 * promote, an L3 read staged outside a full L2) and closed in a loop, and after each close the
 * library's own counts of live native bytes ({@link NativeMemoryCounters}) are back where they
 * started and the simulated GPU holds no allocation, pinned buffer, stream or event. A second JVM
 * runs the same loop under Native Memory Tracking, and {@code jcmd VM.native_memory summary.diff}
 * against a baseline taken after a warm-up must show no growth of the memory FFM allocates, nor
 * of the process's mapped address space (the index and the meta arena are anonymous mappings,
 * which NMT does not track).
 */
class NativeMemoryLeakTest
{
    private static final long KIB = 1024;
    private static final long MIB = 1024 * KIB;
    private static final int CYCLES = Integer.getInteger("tiercache.leakCycles", 20);
    /** Growth of NMT's "Other" (where FFM arenas allocate) that 40 cycles may show: one cycle holds above 2 MiB. */
    private static final long ALLOWED_GROWTH_KIB = 1024;
    /** Growth of the mapped address space that 40 cycles may show (thread stacks, code): each cycle maps above 1 MiB. */
    private static final long ALLOWED_MAPPED_GROWTH_KIB = 16 * 1024;

    @TempDir
    Path dir;

    @BeforeEach
    void setUp()
    {
        dev.tiercache.cuda.CudaLibrary.location();
        SimulatedCuda.current().reset(SimulatedDeviceProfile.MX250);
    }

    @AfterEach
    void resetDevice()
    {
        SimulatedCuda.current().reset(SimulatedDeviceProfile.MX250);
    }

    @Test
    void openUseClose_inALoop_returnsEveryCountedByteAndEveryDeviceResource() throws IOException
    {
        final Map<Owner, Long> before = snapshot();
        final Map<Owner, Long> peak = new EnumMap<>(Owner.class);
        for (int cycle = 0; cycle < CYCLES; cycle++)
        {
            final Map<Owner, Long> held = cycle(dir.resolve("l3-" + cycle + ".tc"), cycle, cycle % 2 == 0);
            held.forEach((owner, bytes) -> peak.merge(owner, bytes, Math::max));
            assertEquals(before, snapshot(), "cycle " + cycle + ": counted native bytes after close, " + NativeMemoryCounters.describe());
            assertEquals("", SimulatedCuda.current().outstandingDescription(), "cycle " + cycle + ": simulated GPU resources after close");
        }
        System.out.println("native bytes held while open, by owner (peak over " + CYCLES + " cycles): " + peak);
        for (final Owner owner : Owner.values())
        {
            assertTrue(peak.getOrDefault(owner, 0L) > 0, owner + " was never counted while a cache was open: " + peak);
        }
    }

    @Test
    void nativeMemoryTracking_showsNoGrowthOverOpenCloseCycles() throws Exception
    {
        final Path jcmd = Path.of(System.getProperty("java.home"), "bin", "jcmd");
        assumeTrue(Files.isExecutable(jcmd), "no jcmd in " + jcmd.getParent() + ": Native Memory Tracking check skipped");
        final String java = ProcessHandle.current().info().command().orElseThrow();
        final List<String> command = new ArrayList<>(List.of(java, "-XX:NativeMemoryTracking=summary", "-Xms64m", "-Xmx64m",
            "--enable-native-access=ALL-UNNAMED", "-Dtiercache.cudart=sim:mx250", "-cp", System.getProperty("java.class.path"),
            NativeMemoryLeakTest.class.getName() + "$Child", dir.toString()));
        final Process child = new ProcessBuilder(command).directory(dir.toFile()).redirectErrorStream(true).start();
        try (BufferedReader out = new BufferedReader(new InputStreamReader(child.getInputStream(), StandardCharsets.UTF_8));
             Writer in = new OutputStreamWriter(child.getOutputStream(), StandardCharsets.UTF_8))
        {
            awaitLine(out, "WARM");
            final long mappedBefore = mappedKib(child.pid());
            final String baseline = run(jcmd.toString(), Long.toString(child.pid()), "VM.native_memory", "baseline");
            assertTrue(baseline.contains("Baseline taken") || baseline.contains("Baseline succeeded"), baseline);
            in.write("go\n");
            in.flush();
            awaitLine(out, "DONE");
            final String diff = run(jcmd.toString(), Long.toString(child.pid()), "VM.native_memory", "summary.diff", "scale=KB");
            System.out.println("jcmd VM.native_memory summary.diff after " + Child.MEASURED_CYCLES + " cycles:\n" + diff);
            final long otherGrowth = committedGrowthKib(diff, "Other");
            assertTrue(otherGrowth < ALLOWED_GROWTH_KIB, "NMT Other grew by " + otherGrowth + " KB over " + Child.MEASURED_CYCLES +
                " open/close cycles:\n" + diff);
            // the index and the meta arena are anonymous mappings, which NMT does not see: the
            // process's mapped address space must not grow either (each cycle maps over 1 MiB)
            final long mappedDone = mappedKib(child.pid());
            System.out.println("mapped address space over " + Child.MEASURED_CYCLES + " cycles: " + mappedBefore + " KB -> " + mappedDone + " KB");
            assertTrue(mappedDone - mappedBefore < ALLOWED_MAPPED_GROWTH_KIB, "the child's mapped address space grew by " +
                (mappedDone - mappedBefore) + " KB over " + Child.MEASURED_CYCLES + " open/close cycles");
            // the probe sees a cache's memory: one left open shows up
            in.write("hold\n");
            in.flush();
            awaitLine(out, "HOLDING 0");
            final String held = run(jcmd.toString(), Long.toString(child.pid()), "VM.native_memory", "summary.diff", "scale=KB");
            in.write("exit\n");
            in.flush();
            final long heldGrowth = committedGrowthKib(held, "Other");
            final long heldMapped = mappedKib(child.pid()) - mappedDone;
            System.out.println("with one cache open: NMT Other +" + heldGrowth + " KB, mapped address space +" + heldMapped + " KB");
            assertTrue(heldGrowth + heldMapped >= 2 * ALLOWED_MAPPED_GROWTH_KIB, "one open cache holds its index and meta arena, " +
                "yet NMT Other grew by " + heldGrowth + " KB and the mapped address space by " + heldMapped + " KB:\n" + held);
        }
        finally
        {
            if (!child.waitFor(60, TimeUnit.SECONDS))
            {
                child.destroyForcibly();
            }
        }
        assertEquals(0, child.exitValue(), "the child reports leaks itself too");
    }

    /** Opens a cache, uses every level and the staging path, closes it; returns what it held while open. */
    static Map<Owner, Long> cycle(final Path file, final int seed, final boolean compression)
    {
        final Map<Owner, Long> held = new EnumMap<>(Owner.class);
        try (Arena values = Arena.ofConfined();
             TierCache cache = TierCache.builder().deviceBytes(2 * MIB).hostBytes(512 * KIB).file(file, 8 * MIB)
            .fileRegionBytes(256 * KIB).compression(compression).maxEntries(1024).promoteToDeviceAfter(2).build())
        {
            final int entries = 24;
            for (int key = 0; key < entries; key++)
            {
                cache.put(key, value(values, key, seed));
            }
            for (int round = 0; round < 3; round++)
            {
                for (int key = 0; key < entries; key++)
                {
                    try (EntryHandle handle = cache.get(key))
                    {
                        assertNotNull(handle, "key " + key);
                        assertSameBytes(handle, value(values, key, seed), values, "key " + key);
                    }
                }
            }
            held.putAll(snapshot());
        }
        final Map<Owner, Long> staged = stagedRead(file.resolveSibling(file.getFileName() + ".staging"), seed);
        staged.forEach((owner, bytes) -> held.merge(owner, bytes, Math::max));
        return held;
    }

    /**
     * A cache without L1 whose L2 holds one entry: with that entry leased, an L3 read is staged
     * in memory of its own, freed when its handle closes.
     */
    private static Map<Owner, Long> stagedRead(final Path file, final int seed)
    {
        try (Arena values = Arena.ofConfined();
             TierCache cache = TierCache.builder().useGpu(false).hostBytes(64 * KIB).file(file, 4 * MIB).fileRegionBytes(256 * KIB)
                 .maxEntries(64).build())
        {
            for (int key = 0; key < 4; key++)
            {
                cache.put(key, value(values, key, seed));
            }
            final List<EntryHandle> leases = new ArrayList<>();
            try
            {
                for (int key = 0; key < 4; key++)
                {
                    final EntryHandle handle = cache.get(key);
                    assertNotNull(handle, "key " + key);
                    leases.add(handle);
                    assertSameBytes(handle, value(values, key, seed), values, "key " + key);
                }
                return snapshot();
            }
            finally
            {
                leases.forEach(EntryHandle::close);
            }
        }
    }

    private static void assertSameBytes(final EntryHandle handle, final MemorySegment expected, final Arena arena, final String what)
    {
        final MemorySegment copy = arena.allocate(expected.byteSize());
        handle.copyTo(0, copy);
        assertEquals(-1L, copy.mismatch(expected), what + " in " + handle.tier());
    }

    /** 48 KiB derived from key and seed, in the cycle's confined arena (freed at once, unlike an automatic one). */
    private static MemorySegment value(final Arena arena, final int key, final int seed)
    {
        final MemorySegment segment = arena.allocate(48 * KIB, 64);
        final java.util.SplittableRandom random = new java.util.SplittableRandom(key * 1_000_003L + seed);
        // half random, half a run: compressible and not
        for (long i = 0; i < segment.byteSize() / 2; i += Long.BYTES)
        {
            segment.set(java.lang.foreign.ValueLayout.JAVA_LONG_UNALIGNED, i, random.nextLong());
        }
        segment.asSlice(segment.byteSize() / 2).fill((byte)key);
        return segment;
    }

    private static Map<Owner, Long> snapshot()
    {
        final Map<Owner, Long> counts = new EnumMap<>(Owner.class);
        for (final Owner owner : Owner.values())
        {
            counts.put(owner, NativeMemoryCounters.liveBytes(owner));
        }
        return counts;
    }

    /** The process's mapped address space ({@code VmSize} in {@code /proc/PID/status}), in KB. */
    private static long mappedKib(final long pid) throws IOException
    {
        final Path status = Path.of("/proc", Long.toString(pid), "status");
        assumeTrue(Files.isReadable(status), "no " + status + ": mapped address space check skipped");
        for (final String line : Files.readAllLines(status))
        {
            if (line.startsWith("VmSize:"))
            {
                return Long.parseLong(line.substring("VmSize:".length()).trim().split("\\s+")[0]);
            }
        }
        throw new AssertionError("no VmSize in " + status);
    }

    /** The committed growth of one NMT category in a {@code summary.diff} in KB, 0 when it did not change. */
    static long committedGrowthKib(final String diff, final String category)
    {
        final Matcher line = Pattern.compile("(?m)^[-\\s]*" + Pattern.quote(category) + " \\(reserved=.*committed=(\\d+)KB( [+-]\\d+KB)?\\)")
            .matcher(diff);
        assertTrue(line.find(), "no " + category + " line in:\n" + diff);
        return line.group(2) == null ? 0 : Long.parseLong(line.group(2).trim().replace("KB", "").replace("+", ""));
    }

    private static void awaitLine(final BufferedReader out, final String expected) throws IOException
    {
        final StringBuilder seen = new StringBuilder();
        for (String line = out.readLine(); line != null; line = out.readLine())
        {
            if (line.equals(expected))
            {
                return;
            }
            seen.append(line).append('\n');
        }
        throw new AssertionError("the child ended before " + expected + ":\n" + seen);
    }

    private static String run(final String... command) throws IOException, InterruptedException
    {
        final Process process = new ProcessBuilder(command).redirectErrorStream(true).start();
        final String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(process.waitFor(60, TimeUnit.SECONDS), String.join(" ", command) + " timed out");
        assertEquals(0, process.exitValue(), String.join(" ", command) + ":\n" + output);
        return output;
    }

    /**
     * The child JVM: warms up, says {@code WARM}, waits for {@code go}, runs the measured cycles,
     * says {@code DONE}, then on {@code hold} opens one cache, says {@code HOLDING} and waits for
     * {@code exit}. Exits 1 when its own counters showed a leak after the measured cycles.
     */
    static final class Child
    {
        static final int WARM_UP_CYCLES = 10;
        static final int MEASURED_CYCLES = 40;

        private Child()
        {
        }

        public static void main(final String[] args) throws IOException
        {
            final Path dir = Path.of(args[0]);
            final BufferedReader in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
            int cycle = 0;
            for (; cycle < WARM_UP_CYCLES; cycle++)
            {
                cycle(dir.resolve("child-" + cycle + ".tc"), cycle, cycle % 2 == 0);
            }
            System.gc();
            System.out.println("WARM");
            System.out.flush();
            if (!"go".equals(in.readLine()))
            {
                System.exit(2);
            }
            for (; cycle < WARM_UP_CYCLES + MEASURED_CYCLES; cycle++)
            {
                cycle(dir.resolve("child-" + cycle + ".tc"), cycle, cycle % 2 == 0);
                Files.deleteIfExists(dir.resolve("child-" + cycle + ".tc"));
            }
            System.gc();
            System.out.println("DONE");
            System.out.flush();
            final boolean clean = NativeMemoryCounters.liveBytes() == 0 && SimulatedCuda.current().outstandingDescription().isEmpty();
            if (!"hold".equals(in.readLine()))
            {
                System.exit(2);
            }
            try (TierCache open = TierCache.builder().deviceBytes(2 * MIB).hostBytes(512 * KIB).file(dir.resolve("held.tc"), 8 * MIB)
                .fileRegionBytes(256 * KIB).maxEntries(1 << 18).build())
            {
                System.out.println("HOLDING " + open.size());
                System.out.flush();
                in.readLine();
            }
            System.exit(clean ? 0 : 1);
        }
    }
}
