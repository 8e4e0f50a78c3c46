package dev.tiercache;

import dev.tiercache.libc.Libc;
import dev.tiercache.profile.HardwareProfile;
import dev.tiercache.profile.MemoryInfo;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * Sizes that the machine cannot give are refused by {@link TierCache.Builder#build()} with the
 * setting, the request and what there is, before anything is allocated or created; and the
 * defaults never take a large share of the machine unasked.
 */
class MachineLimitsTest
{
    @TempDir
    Path dir;

    @Test
    void maxEntriesWhoseIndexExceedsTheMemory_isRefusedNamingItsCost()
    {
        final TierCache.Builder builder = TierCache.builder().useGpu(false).hostBytes(1 << 20).maxEntries(1 << 26);
        final long needed = builder.config().indexNativeBytes();
        assumeTrue(needed > MemoryInfo.detect().availableBytes(), "this machine has room for " + needed + " bytes of index");

        final IllegalArgumentException ex = assertThrows(IllegalArgumentException.class, builder::build);

        assertTrue(ex.getMessage().startsWith("maxEntries=" + (1 << 26) + ":") && ex.getMessage().contains(needed + " bytes") &&
            ex.getMessage().contains("available"), ex.getMessage());
    }

    @Test
    void indexCost_isAbout380BytesPerEntry()
    {
        final long perEntry = TierCache.builder().maxEntries(1 << 16).config().indexNativeBytes() >> 16;
        assertTrue(perEntry > 340 && perEntry < 420, "perEntry=" + perEntry);
    }

    @Test
    void hostBytesBeyondTheMemory_isRefusedInsteadOfOutOfMemoryError()
    {
        final long requested = 1L << 50;
        final IllegalArgumentException ex = assertThrows(IllegalArgumentException.class,
            () -> TierCache.builder().useGpu(false).hostBytes(requested).build());

        assertTrue(ex.getMessage().startsWith("hostBytes=" + requested + ":") && ex.getMessage().contains("bytes of memory available"),
            ex.getMessage());
    }

    @Test
    void fileBytesBeyondTheFreeDisk_isRefusedBeforeCreatingAnything() throws IOException
    {
        final long free = Libc.statvfs(dir).availableBytes();
        final Path file = dir.resolve("l3.bin");
        final long requested = free + (1L << 30);
        final IllegalArgumentException ex = assertThrows(IllegalArgumentException.class,
            () -> TierCache.builder().useGpu(false).hostBytes(1 << 20).file(file, requested).build());

        assertTrue(ex.getMessage().startsWith("fileBytes=" + requested + ":") && ex.getMessage().contains("free on " + dir),
            ex.getMessage());
        assertFalse(Files.exists(file));
    }

    @Test
    void fileWithoutASize_getsTheModestDefault()
    {
        final HardwareProfile laptop = HardwareProfile.preset(HardwareProfile.LAPTOP_PRESET);
        assertTrue(laptop.recommendedFileBytes() > TierCacheConfig.FILE_BYTES_DEFAULT, "the laptop has 200 GiB free");

        final TierCacheConfig settings = TierCache.builder().environment(Map.of("CACHE_DISK_PATH", dir.toString())).profile(laptop).config();

        assertEquals(TierCacheConfig.FILE_BYTES_DEFAULT, settings.fileBytes());
        assertTrue(settings.sourceOf("cache.disk_size").startsWith("default"), settings.sourceOf("cache.disk_size"));
    }

    @Test
    void environmentValueWithANul_isAnErrorNotTrimmed()
    {
        final HardwareProfile laptop = HardwareProfile.preset(HardwareProfile.LAPTOP_PRESET);
        for (final String value : new String[] {dir + "\0", "\0" + dir, dir + "/a\0b", dir + "\n"})
        {
            final SettingsException ex = assertThrows(SettingsException.class,
                () -> TierCache.builder().environment(Map.of("CACHE_DISK_PATH", value)).profile(laptop).config(), value);

            assertTrue(ex.getMessage().contains("cache.disk.path") && ex.getMessage().contains("control character U+00") &&
                ex.getMessage().contains("environment CACHE_DISK_PATH") && ex.getMessage().indexOf('\0') < 0, ex.getMessage());
        }
    }
}
