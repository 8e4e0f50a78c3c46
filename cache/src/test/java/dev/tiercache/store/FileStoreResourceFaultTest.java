package dev.tiercache.store;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.File;
import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * The L3 file when resources run out: a small tmpfs that fills up under a store, a sparse copy
 * reopened on a full disk, and a file this process's user may not open. The tmpfs cases need
 * {@code mount} (root); the other-user case needs {@code setpriv} and root. Where the machine does
 * not allow them they are skipped with the reason.
 *
 * <p>Also covered elsewhere: a file larger than the free space is refused before anything is
 * created ({@code FileStoreTest.notEnoughSpace_refusedBeforeCreatingAnything},
 * {@code smallTmpfs_refusedBeforeCreating}), a refused preallocation removes what it made
 * ({@code preallocationFailure_removesHalfMadeFile}), a second process is told who holds the lock,
 * naming the file ({@code openInAnotherProcess_failsClearlyButInspectionWorks}), and a new file is
 * owner-only ({@code newFile_isOwnerOnlyAndPreallocated},
 * {@code FileStoreDurabilityTest.aReadOnlyFile_isRefusedAtOpen_withItsModeAndOwner}).
 */
class FileStoreResourceFaultTest
{
    private static final long SEED = Long.getLong("tiercache.seed", System.nanoTime());
    private static final long REGION = 64 * 1024;
    private static final int REGIONS = 32;
    private static final int ENOSPC = 28;

    @TempDir
    Path dir;

    @Test
    void diskFillingUpWhileOpen_appendsStillLandInTheReservedFile_andNothingIsLost() throws Exception
    {
        final Path mountPoint = mountTmpfs("4m");
        try
        {
            final Path file = mountPoint.resolve("l3.bin");
            final SplittableRandom random = new SplittableRandom(SEED);
            final List<byte[]> values = new ArrayList<>();
            final List<Long> locations = new ArrayList<>();
            try (FileStore store = FileStore.open(FileStoreConfig.builder(file).regionSizeBytes(REGION).regionCount(REGIONS).build());
                 Arena arena = Arena.ofConfined())
            {
                appendSome(store, arena, random, 40, values, locations);
                final long filled = fillUp(mountPoint.resolve("filler"));
                assertTrue(filled > 0, "the filler took the free space");
                assertEquals(0, dev.tiercache.libc.Libc.statvfs(mountPoint).availableBytes(), "the disk is full");
                // every append lands in blocks reserved at open: none needs the disk
                appendSome(store, arena, random, 40, values, locations);
                assertNull(store.failure(), "the store stays healthy");
                store.force();
                assertAllReadBack(store, arena, values, locations, "with the disk full; " + seedNote());
            }
            // reopening a complete file on a full disk needs no new block
            try (FileStore store = FileStore.open(FileStoreConfig.builder(file).regionSizeBytes(REGION).regionCount(REGIONS).build());
                 Arena arena = Arena.ofConfined())
            {
                assertEquals(values.size(), store.recover().size(), "reopened on the full disk; " + seedNote());
                assertAllReadBack(store, arena, values, locations, "reopened on the full disk; " + seedNote());
            }
        }
        finally
        {
            unmount(mountPoint);
        }
    }

    @Test
    void sparseCopyReopenedOnAFullDisk_isRefusedNamingTheErrno_andKeepsItsEntries() throws Exception
    {
        final Path mountPoint = mountTmpfs("4m");
        try
        {
            final Path file = mountPoint.resolve("l3.bin");
            final FileStoreConfig config = FileStoreConfig.builder(file).regionSizeBytes(REGION).regionCount(REGIONS).build();
            final SplittableRandom random = new SplittableRandom(SEED);
            final List<byte[]> values = new ArrayList<>();
            final List<Long> locations = new ArrayList<>();
            try (FileStore store = FileStore.open(config); Arena arena = Arena.ofConfined())
            {
                appendSome(store, arena, random, 10, values, locations);
            }
            // what a plain copy tool may leave: the zero regions become holes
            final Path copy = mountPoint.resolve("copy.bin");
            assertTrue(run("cp", "--sparse=always", file.toString(), copy.toString()), "cp --sparse=always");
            Files.move(copy, file, java.nio.file.StandardCopyOption.REPLACE_EXISTING);
            final Path filler = mountPoint.resolve("filler");
            fillUp(filler);

            final FileStoreException ex = assertThrows(FileStoreException.class, () -> FileStore.open(config).close());

            assertTrue(ex.getMessage().contains(file.toString()) && ex.getMessage().contains("errno=" + ENOSPC) &&
                ex.getMessage().contains("No space left on device"), ex.getMessage());
            Files.delete(filler);
            try (FileStore store = FileStore.open(config); Arena arena = Arena.ofConfined())
            {
                assertEquals(values.size(), store.recover().size(), "with room again every entry is there; " + seedNote());
                assertAllReadBack(store, arena, values, locations, seedNote());
            }
        }
        finally
        {
            unmount(mountPoint);
        }
    }

    @Test
    void fileOfAnotherUser_isRefusedNamingModeOwnerAndUser() throws Exception
    {
        assumeTrue("root".equals(System.getProperty("user.name")), "running a second JVM as another user needs root");
        assumeTrue(Files.isExecutable(Path.of("/usr/bin/setpriv")), "no setpriv to run a second JVM as another user");
        final Path shared = Files.createDirectory(dir.resolve("shared"));
        final Path file = shared.resolve("l3.bin");
        try (FileStore store = FileStore.open(FileStoreConfig.builder(file).regionSizeBytes(REGION).regionCount(REGIONS).build()))
        {
            assertEquals(0, store.recover().size());
        }
        assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(file)));
        // the class path, readable by the other user (this one's home may not be)
        final Path classes = Files.createDirectory(dir.resolve("classpath"));
        final List<String> entries = new ArrayList<>();
        int n = 0;
        for (final String entry : System.getProperty("java.class.path").split(File.pathSeparator))
        {
            final Path source = Path.of(entry);
            // the fuzzer's jars are large and not needed to open a store
            if (Files.exists(source) && !source.getFileName().toString().startsWith("jazzer"))
            {
                final Path target = classes.resolve(n++ + "-" + source.getFileName());
                copyTree(source, target);
                entries.add(target.toString());
            }
        }
        makeReadableByAll(dir);
        final String javaCommand = ProcessHandle.current().info().command().orElseThrow();
        final Process process = new ProcessBuilder("/usr/bin/setpriv", "--reuid=65534", "--regid=65534", "--clear-groups", javaCommand,
            "--enable-native-access=ALL-UNNAMED", "-cp", String.join(File.pathSeparator, entries), FileStoreProbe.class.getName(),
            "open", file.toString(), Long.toString(REGION), Integer.toString(REGIONS))
            .directory(shared.toFile()).redirectErrorStream(true).start();
        final String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(process.waitFor(60, TimeUnit.SECONDS), output);
        final String result = output.lines().filter(line -> line.startsWith("OPENED") || line.startsWith("FAILED")).findFirst()
            .orElse("no result line in: " + output);

        assertTrue(result.startsWith("FAILED") && result.contains(file.toString()) && result.contains("mode rw-------") &&
            result.contains("owner root") && result.contains("runs as nobody") && result.contains("readable and writable by this process's user"),
            result);
        assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(file)), "the file is left as it was");
    }

    private static void appendSome(
        final FileStore store, final Arena arena, final SplittableRandom random, final int count, final List<byte[]> values,
        final List<Long> locations)
    {
        for (int i = 0; i < count; i++)
        {
            final int id = values.size();
            final byte[] value = new byte[1000 + random.nextInt(20_000)];
            random.nextBytes(value);
            final MemorySegment key = arena.allocateFrom("key-" + id);
            final MemorySegment raw = arena.allocate(value.length);
            MemorySegment.copy(value, 0, raw, ValueLayout.JAVA_BYTE, 0, value.length);
            final long location = store.append(id, key, arena.allocate(0), raw, null);
            assertTrue(location > 0, "append " + id + " answered " + location + "; " + seedNote());
            values.add(value);
            locations.add(location);
        }
    }

    private static void assertAllReadBack(
        final FileStore store, final Arena arena, final List<byte[]> values, final List<Long> locations, final String what)
    {
        for (int i = 0; i < values.size(); i++)
        {
            final MemorySegment dst = arena.allocate(values.get(i).length);
            assertEquals(values.get(i).length, store.read(locations.get(i), dst), "entry " + i + " " + what);
            assertArrayEquals(values.get(i), dst.toArray(ValueLayout.JAVA_BYTE), "entry " + i + " " + what);
        }
    }

    /** Writes zeros into {@code filler} until the file system has no room left. */
    private static long fillUp(final Path filler) throws IOException
    {
        long written = 0;
        try (FileChannel channel = FileChannel.open(filler, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE))
        {
            final ByteBuffer chunk = ByteBuffer.allocate(4096);
            while (true)
            {
                chunk.clear();
                written += channel.write(chunk);
            }
        }
        catch (final IOException ex)
        {
            if (!String.valueOf(ex.getMessage()).contains("No space left"))
            {
                throw ex;
            }
        }
        return written;
    }

    private Path mountTmpfs(final String size) throws Exception
    {
        final Path mountPoint = Files.createDirectory(dir.resolve("tmpfs"));
        assumeTrue(run("mount", "-t", "tmpfs", "-o", "size=" + size, "tmpfs", mountPoint.toString()),
            "mounting a tmpfs needs root and a system that allows it: the full-disk test is skipped");
        return mountPoint;
    }

    private static void unmount(final Path mountPoint) throws Exception
    {
        assertTrue(run("umount", mountPoint.toString()), "umount " + mountPoint);
    }

    private static void copyTree(final Path source, final Path target) throws IOException
    {
        if (Files.isDirectory(source))
        {
            try (Stream<Path> paths = Files.walk(source))
            {
                for (final Path path : paths.toList())
                {
                    Files.copy(path, target.resolve(source.relativize(path).toString()));
                }
            }
        }
        else
        {
            Files.copy(source, target);
        }
    }

    private static void makeReadableByAll(final Path root) throws IOException
    {
        try (Stream<Path> paths = Files.walk(root))
        {
            for (final Path path : paths.toList())
            {
                if (path.getFileName().toString().equals("l3.bin"))
                {
                    continue;
                }
                Files.setPosixFilePermissions(path, PosixFilePermissions.fromString(Files.isDirectory(path) ? "rwxr-xr-x" : "rw-r--r--"));
            }
        }
    }

    private static boolean run(final String... command) throws InterruptedException
    {
        try
        {
            final Process process = new ProcessBuilder(command).redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
            return process.waitFor(30, TimeUnit.SECONDS) && process.exitValue() == 0;
        }
        catch (final IOException ex)
        {
            return false;
        }
    }

    private static String seedNote()
    {
        return "seed=" + SEED + " (replay with -Dtiercache.seed=" + SEED + ")";
    }
}
