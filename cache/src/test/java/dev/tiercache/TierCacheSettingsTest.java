package dev.tiercache;

import dev.tiercache.cuda.CudaLibrary;
import dev.tiercache.cuda.sim.SimulatedCuda;
import dev.tiercache.cuda.sim.SimulatedDeviceProfile;
import dev.tiercache.profile.HardwareProfile;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The builder takes loaded settings (file, environment, profile) and a hardware profile; explicit
 * builder values win.
 */
class TierCacheSettingsTest
{
    private static final long MIB = 1L << 20;

    @TempDir
    Path dir;

    @BeforeEach
    void setUp()
    {
        CudaLibrary.location();
        SimulatedCuda.current().reset(SimulatedDeviceProfile.MX250);
    }

    @Test
    void settingsFromFileAndEnvironment_configureTheCache() throws Exception
    {
        final Path toml = dir.resolve("tiercache.toml");
        Files.writeString(toml, """
            [cache]
            policy = "lru"
            memory_size = "8MB"
            disk_size = "16MB"

            [cache.disk]
            path = "%s"
            region_size = "1MB"

            [cache.device]
            size = "4MB"
            cache_hit_threshold = 3
            """.formatted(dir.resolve("l3.tc").toString().replace("\\\\", "/")));
        try (TierCache cache = TierCache.builder().settingsFile(toml).environment(Map.of("CACHE_MEMORY_SIZE", "6MB"))
            .profile(HardwareProfile.preset("i5-10210u-sm61-nvme")).build())
        {
            final CacheStats stats = cache.stats();
            assertEquals(6 * MIB, stats.level(Tier.HOST).capacityBytes(), "the environment wins over the file");
            assertEquals(4 * MIB, stats.level(Tier.DEVICE).capacityBytes());
            assertTrue(stats.level(Tier.FILE).capacityBytes() >= 15 * MIB, stats.toString());
        }
    }

    @Test
    void explicitBuilderValues_winOverTheProfile()
    {
        final HardwareProfile laptop = HardwareProfile.preset("i5-10210u-sm61-nvme");
        try (TierCache cache = TierCache.builder().profile(laptop).deviceBytes(2 * MIB).hostBytes(3 * MIB).build())
        {
            assertEquals(2 * MIB, cache.stats().level(Tier.DEVICE).capacityBytes());
            assertEquals(3 * MIB, cache.stats().level(Tier.HOST).capacityBytes());
        }
        assertTrue(laptop.recommendedHostBytes() > 3 * MIB);
    }

    @Test
    void fileWithoutSize_takesTheDefaultSize_cappedByTheProfile()
    {
        final HardwareProfile laptop = HardwareProfile.preset("i5-10210u-sm61-nvme");
        assertEquals(TierCacheConfig.FILE_BYTES_DEFAULT, TierCache.builder().hostBytes(MIB).file(dir.resolve("x.tc")).config().fileBytes());
        assertEquals(Math.min(TierCacheConfig.FILE_BYTES_DEFAULT, laptop.recommendedFileBytes()),
            TierCache.builder().profile(laptop).hostBytes(MIB).file(dir.resolve("x.tc")).config().fileBytes());
    }

    @Test
    void builderSetters_winOverEnvironmentAndFile_whateverTheOrder() throws Exception
    {
        final Path toml = dir.resolve("order.toml");
        Files.writeString(toml, "[cache]\nmemory_size = \"5MB\"\n");
        try (TierCache cache = TierCache.builder().hostBytes(3 * MIB).useGpu(false).settingsFile(toml)
            .environment(Map.of("CACHE_MEMORY_SIZE", "4MB")).build())
        {
            assertEquals(3 * MIB, cache.stats().level(Tier.HOST).capacityBytes());
            assertEquals("builder hostBytes", cache.config().sourceOf("cache.memory_size"));
        }
    }
}
