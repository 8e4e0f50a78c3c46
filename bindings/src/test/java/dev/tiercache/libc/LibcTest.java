package dev.tiercache.libc;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

class LibcTest
{
    @TempDir
    Path dir;

    @Test
    void statvfsLayout_matchesGlibcOn64BitLinux()
    {
        assertEquals(112, statvfs.sizeof());
        assertEquals(32, statvfs.f_bavail$offset());
        assertEquals(80, statvfs.f_namemax$offset());
        assertEquals(88, statvfs.__f_spare$offset());
    }

    @Test
    void posixFallocate_growsFileAndReservesBlocks() throws IOException, InterruptedException
    {
        final Path file = Files.createFile(dir.resolve("prealloc.bin"));
        final long length = 3 * 1024 * 1024 + 17;

        assertEquals(0, Libc.posixFallocate(file, 0, length));

        assertEquals(length, Files.size(file));
        final String allocated = output("stat", "-c", "%b %B", file.toString());
        assumeTrue(allocated != null, "stat(1) not available; block count not checked");
        final String[] blocksAndSize = allocated.strip().split(" ");
        final long allocatedBytes = Long.parseLong(blocksAndSize[0]) * Long.parseLong(blocksAndSize[1]);
        assertTrue(allocatedBytes >= length, "allocated=" + allocatedBytes + " length=" + length);
    }

    @Test
    void posixFallocate_missingFile_returnsEnoent()
    {
        assertEquals(libc_h.ENOENT(), Libc.posixFallocate(dir.resolve("missing.bin"), 0, 4096));
    }

    @Test
    void posixFallocate_zeroLength_returnsEinval() throws IOException
    {
        final Path file = Files.createFile(dir.resolve("zero.bin"));

        assertEquals(libc_h.EINVAL(), Libc.posixFallocate(file, 0, 0));
    }

    @Test
    void posixFallocate_onFullTmpfs_returnsEnospc() throws Exception
    {
        final Path mountPoint = Files.createDirectory(dir.resolve("small-tmpfs"));
        assumeTrue(run("mount", "-t", "tmpfs", "-o", "size=4m", "tmpfs", mountPoint.toString()),
            "mounting a tmpfs needs root; skipped");
        try
        {
            final Path file = Files.createFile(mountPoint.resolve("big.bin"));

            assertEquals(libc_h.ENOSPC(), Libc.posixFallocate(file, 0, 8L * 1024 * 1024));
            assertEquals("No space left on device", Libc.strerror(libc_h.ENOSPC()));
        }
        finally
        {
            assertTrue(run("umount", mountPoint.toString()), "umount " + mountPoint);
        }
    }

    @Test
    void madviseDontNeed_zeroesWholePagesOfAnonymousMemoryOnly()
    {
        final long page = Libc.pageSize();
        try (Arena arena = Arena.ofConfined())
        {
            final MemorySegment pages = arena.allocate(4 * page, page);
            pages.fill((byte)7);
            final MemorySegment range = pages.asSlice(page / 2, 2 * page);

            assertEquals(0, Libc.madviseDontNeed(range));

            assertEquals(7, pages.get(ValueLayout.JAVA_BYTE, page - 1), "partial first page kept");
            assertEquals(0, pages.get(ValueLayout.JAVA_BYTE, page), "whole page inside dropped");
            assertEquals(0, pages.get(ValueLayout.JAVA_BYTE, 2 * page - 1), "whole page inside dropped");
            assertEquals(7, pages.get(ValueLayout.JAVA_BYTE, 2 * page), "partial last page kept");
        }
    }

    @Test
    void madvise_rangeWithoutWholePage_isNoOp()
    {
        final long page = Libc.pageSize();
        try (Arena arena = Arena.ofConfined())
        {
            final MemorySegment pages = arena.allocate(2 * page, page);
            pages.fill((byte)3);

            assertEquals(0, Libc.madviseDontNeed(pages.asSlice(1, page)));

            assertEquals(3, pages.get(ValueLayout.JAVA_BYTE, page));
        }
    }

    @Test
    void madvise_unknownAdvice_returnsEinval()
    {
        final long page = Libc.pageSize();
        try (Arena arena = Arena.ofConfined())
        {
            assertEquals(libc_h.EINVAL(), Libc.madvise(arena.allocate(page, page), 9999));
        }
    }

    @Test
    void madvise_heapSegment_isRejected()
    {
        assertThrows(IllegalArgumentException.class, () -> Libc.madviseDontNeed(MemorySegment.ofArray(new byte[8192])));
    }

    @Test
    void madvisePageOut_onSharedFileMapping_keepsContents() throws IOException
    {
        final long page = Libc.pageSize();
        final Path file = Files.createFile(dir.resolve("mapped.bin"));
        assertEquals(0, Libc.posixFallocate(file, 0, 8 * page));
        try (FileChannel channel = FileChannel.open(file, StandardOpenOption.READ, StandardOpenOption.WRITE);
             Arena arena = Arena.ofConfined())
        {
            final MemorySegment mapped = channel.map(FileChannel.MapMode.READ_WRITE, 0, 8 * page, arena);
            mapped.fill((byte)5);
            mapped.force();

            final int rc = Libc.madvisePageOut(mapped);
            assertTrue(rc == 0 || rc == libc_h.EINVAL(), "rc=" + rc + " (" + Libc.strerror(rc) + ")");
            assertEquals(0, Libc.madviseDontNeed(mapped));

            assertEquals(5, mapped.get(ValueLayout.JAVA_BYTE, 3 * page + 1), "a file mapping refaults from the file");
        }
    }

    @Test
    void statvfs_ofTempDir_reportsSaneSizes() throws IOException
    {
        final Libc.FileSystemSpace space = Libc.statvfs(dir);

        assertTrue(space.totalBytes() > 0, space.toString());
        assertTrue(space.availableBytes() <= space.freeBytes(), space.toString());
        assertTrue(space.freeBytes() <= space.totalBytes(), space.toString());
        final long javaUsable = Files.getFileStore(dir).getTotalSpace();
        assertEquals(javaUsable, space.totalBytes(), "same figure as java.nio");
    }

    @Test
    void statvfs_missingPath_throwsNamingPathAndError()
    {
        final Path missing = dir.resolve("does-not-exist");

        final IOException ex = assertThrows(IOException.class, () -> Libc.statvfs(missing));

        assertTrue(ex.getMessage().contains(missing.toString()), ex.getMessage());
        assertTrue(ex.getMessage().contains("errno=" + libc_h.ENOENT()), ex.getMessage());
        assertTrue(ex.getMessage().contains("No such file or directory"), ex.getMessage());
    }

    @Test
    void sysconf_answersPageSizeProcessorsAndMemory()
    {
        final long page = Libc.pageSize();

        assertTrue(page >= 4096 && Long.bitCount(page) == 1, "page=" + page);
        assertTrue(Libc.onlineProcessors() >= 1, "online=" + Libc.onlineProcessors());
        assertTrue(Libc.physicalMemoryBytes() > 64L * 1024 * 1024, "physical=" + Libc.physicalMemoryBytes());
    }

    @Test
    void strerror_namesKnownAndUnknownErrors()
    {
        assertEquals("No such file or directory", Libc.strerror(libc_h.ENOENT()));
        assertFalse(Libc.strerror(123456).isEmpty());
    }

    private static String output(final String... command) throws InterruptedException
    {
        try
        {
            final Process process = new ProcessBuilder(command).redirectErrorStream(true).start();
            final String text = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            return process.waitFor(30, TimeUnit.SECONDS) && process.exitValue() == 0 ? text : null;
        }
        catch (final IOException ex)
        {
            return null;
        }
    }

    private static boolean run(final String... command) throws InterruptedException
    {
        final Process process;
        try
        {
            process = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
        }
        catch (final IOException ex)
        {
            return false;
        }
        return process.waitFor(30, TimeUnit.SECONDS) && process.exitValue() == 0;
    }
}
