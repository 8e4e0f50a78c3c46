package dev.tiercache;

import dev.tiercache.profile.HardwareProfile;
import dev.tiercache.policy.PromotionRule;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The one configuration: every key from every source, the precedence between them, the defaults,
 * and the errors for bad values and files.
 */
class TierCacheConfigTest
{
    private static final long MIB = SettingsUnits.MIB;
    private static final long GIB = SettingsUnits.GIB;
    private static final HardwareProfile LAPTOP = HardwareProfile.preset(HardwareProfile.LAPTOP_PRESET);

    private static final String EVERY_KEY = """
        # every key tiercache reads
        [cache]
        name = "train-cache"
        memory_size = "2GB"
        disk_size = "20GB"
        policy = "lru"
        eviction_threshold = 0.9
        eviction_target = "80%"
        idle_demotion = "10m"
        ttl = 3600

        [cache.device]
        enabled = false
        ordinal = 1
        size = "512MB"
        vram_limit = "1GB"
        headroom = 0.3
        policy = "wtinylfu"
        cache_hit_threshold = 5
        max_entry_size = "32MB"

        [cache.memory]
        policy = "fifo"
        promotion_threshold = 3
        max_entry_size = "128MB"
        max_items = 1000
        cleanup_interval = "500ms"

        [cache.disk]
        path = 'DIR/l3.bin'
        use_mmap = false
        policy = "fifo"
        max_entry_size = "16MB"
        region_size = "32MB"
        compression = false
        min_compression_savings = 0.1
        persist_on_close = false
        """;

    @TempDir
    Path dir;

    @Test
    void nothingSet_sizesComeFromTheProfile_andL3StaysOff()
    {
        final TierCacheConfig settings = load(null, Map.of(), LAPTOP);
        assertEquals(1472 * MIB, settings.deviceBytes());
        assertEquals(1280 * MIB, settings.hostBytes());
        assertEquals(0, settings.fileBytes());
        assertEquals("profile " + HardwareProfile.LAPTOP_PRESET, settings.sourceOf("cache.memory_size"));
        assertEquals("default (no cache.disk.path)", settings.sourceOf("cache.disk_size"));
        assertEquals("default", settings.policy(Tier.DEVICE));
        assertEquals("default", settings.policy(Tier.HOST));
        assertEquals("fifo", settings.policy(Tier.FILE));
        assertEquals(0.95, settings.evictionThreshold());
        assertEquals(0.90, settings.evictionTarget());
        assertEquals(4, settings.promoteToDeviceAfter());
        assertEquals(2, settings.promoteToHostAfter());
        assertEquals(Duration.ofSeconds(600), settings.idleDemotion());
        assertEquals(Duration.ZERO, settings.ttl());
        assertEquals(Duration.ofSeconds(1), settings.cleanupInterval());
        assertEquals(65536, settings.maxItems());
        assertEquals(0.25, settings.deviceHeadroom());
        assertEquals(0, settings.vramLimitBytes());
        assertEquals(184 * MIB, settings.maxEntryBytes(Tier.DEVICE));
        assertEquals(160 * MIB, settings.maxEntryBytes(Tier.HOST));
        assertEquals(0, settings.maxEntryBytes(Tier.FILE));
        assertTrue(settings.useMmap() && settings.compression() && settings.persistOnClose() && settings.deviceEnabled());
        assertNull(settings.filePath(), "no path and no size: no file");
        assertNull(settings.sourceOf("cache.policy"));
        assertEquals(LAPTOP, settings.profile());
    }

    @Test
    void diskPathOnly_l3SizeIsTheModestDefault_fileInsideTheDirectory()
    {
        final TierCacheConfig settings = load(null, Map.of("CACHE_DISK_PATH", dir.toString()), LAPTOP);
        assertEquals(TierCacheConfig.FILE_BYTES_DEFAULT, settings.fileBytes(), "not half of the laptop's 200 GiB free");
        assertEquals(dir.resolve(TierCacheConfig.FILE_NAME), settings.filePath());
        assertEquals(64 * MIB, settings.maxEntryBytes(Tier.FILE), "at most one region");
        final TierCacheConfig notYet = load(null, Map.of("CACHE_DISK_PATH", dir + "/later/"), LAPTOP);
        // a folder that is not there yet still loads (the file may be for another machine); build() refuses it
        final SettingsException missing = assertThrows(SettingsException.class,
            () -> TierCache.builder().environment(Map.of("CACHE_DISK_PATH", dir + "/later/")).profile(LAPTOP).build());
        assertTrue(missing.getMessage().startsWith("cache.disk.path = " + dir.resolve("later").resolve(TierCacheConfig.FILE_NAME) +
            ": the folder " + dir.resolve("later") + " does not exist"), missing.getMessage());
        assertEquals(dir.resolve("later").resolve(TierCacheConfig.FILE_NAME), notYet.filePath());
        final TierCacheConfig file = load(null, Map.of("CACHE_DISK_PATH", dir + "/later"), LAPTOP);
        assertEquals(dir.resolve("later"), file.filePath());
    }

    @Test
    void file_setsEveryKey() throws IOException
    {
        assertEveryKey(load(toml(EVERY_KEY), Map.of(), LAPTOP));
    }

    @Test
    void environment_setsEveryKey()
    {
        final Map<String, String> env = new HashMap<>();
        env.put("CACHE_NAME", "train-cache");
        env.put("CACHE_MEMORY_SIZE", "2GB");
        env.put("CACHE_DISK_SIZE", "20GB");
        env.put("CACHE_POLICY", "lru");
        env.put("CACHE_EVICTION_THRESHOLD", "0.9");
        env.put("CACHE_EVICTION_TARGET", "80%");
        env.put("CACHE_IDLE_DEMOTION", "10m");
        env.put("CACHE_TTL", "3600");
        env.put("CACHE_DEVICE_ENABLED", "false");
        env.put("CACHE_DEVICE_ORDINAL", "1");
        env.put("CACHE_VRAM_SIZE", "512MB");
        env.put("CACHE_DEVICE_VRAM_LIMIT", "1GB");
        env.put("CACHE_DEVICE_HEADROOM", "0.3");
        env.put("CACHE_DEVICE_POLICY", "wtinylfu");
        env.put("CACHE_DEVICE_CACHE_HIT_THRESHOLD", "5");
        env.put("CACHE_DEVICE_MAX_ENTRY_SIZE", "32MB");
        env.put("CACHE_MEMORY_POLICY", "fifo");
        env.put("CACHE_MEMORY_PROMOTION_THRESHOLD", "3");
        env.put("CACHE_MEMORY_MAX_ENTRY_SIZE", "128MB");
        env.put("CACHE_MEMORY_MAX_ITEMS", "1000");
        env.put("CACHE_MEMORY_CLEANUP_INTERVAL", "500ms");
        env.put("CACHE_DISK_PATH", dir.resolve("l3.bin").toString());
        env.put("CACHE_DISK_USE_MMAP", "false");
        env.put("CACHE_DISK_POLICY", "fifo");
        env.put("CACHE_DISK_MAX_ENTRY_SIZE", "16MB");
        env.put("CACHE_DISK_REGION_SIZE", "32MB");
        env.put("CACHE_DISK_COMPRESSION", "false");
        env.put("CACHE_DISK_MIN_COMPRESSION_SAVINGS", "0.1");
        env.put("CACHE_DISK_PERSIST_ON_CLOSE", "false");
        env.put("CACHE_UNRELATED", "ignored: another program's variable");
        final TierCacheConfig settings = load(null, env, LAPTOP);
        assertEveryKey(settings);
        assertEquals("environment CACHE_VRAM_SIZE", settings.sourceOf("cache.device.size"));
    }

    @Test
    void toToml_loadsBackToTheSameSettings() throws IOException
    {
        final TierCacheConfig settings = load(toml(EVERY_KEY), Map.of(), LAPTOP);
        final Path again = dir.resolve("again.toml");
        Files.writeString(again, settings.toToml());
        final TierCacheConfig reloaded = load(again, Map.of(), LAPTOP);
        assertEveryKey(reloaded);
        final TierCacheConfig defaults = load(null, Map.of(), LAPTOP);
        Files.writeString(again, defaults.toToml());
        assertEquals(defaults.toToml().replaceAll("#.*", ""), load(again, Map.of(), LAPTOP).toToml().replaceAll("#.*", ""));
    }

    private void assertEveryKey(final TierCacheConfig settings)
    {
        assertEquals("train-cache", settings.name());
        assertEquals(2 * GIB, settings.hostBytes());
        assertEquals(20 * GIB, settings.fileBytes());
        assertEquals(0.9, settings.evictionThreshold());
        assertEquals(0.8, settings.evictionTarget(), 1e-12);
        assertEquals(Duration.ofMinutes(10), settings.idleDemotion());
        assertEquals(Duration.ofHours(1), settings.ttl());
        assertFalse(settings.deviceEnabled());
        assertEquals(1, settings.deviceOrdinal());
        assertEquals(512 * MIB, settings.deviceBytes());
        assertEquals(GIB, settings.vramLimitBytes());
        assertEquals(0.3, settings.deviceHeadroom());
        assertEquals("wtinylfu", settings.policy(Tier.DEVICE));
        assertEquals(5, settings.promoteToDeviceAfter());
        assertEquals(32 * MIB, settings.maxEntryBytes(Tier.DEVICE));
        assertEquals("fifo", settings.policy(Tier.HOST));
        assertEquals(3, settings.promoteToHostAfter());
        assertEquals(128 * MIB, settings.maxEntryBytes(Tier.HOST));
        assertEquals(1000, settings.maxItems());
        assertEquals(Duration.ofMillis(500), settings.cleanupInterval());
        assertEquals(dir.resolve("l3.bin"), settings.filePath());
        assertFalse(settings.useMmap());
        assertEquals("fifo", settings.policy(Tier.FILE));
        assertEquals(16 * MIB, settings.maxEntryBytes(Tier.FILE));
        assertEquals(32 * MIB, settings.fileRegionBytes());
        assertFalse(settings.compression());
        assertEquals(0.1, settings.minCompressionSavings());
        assertFalse(settings.persistOnClose());
    }

    @Test
    void aliases_readTheSameSetting() throws IOException
    {
        final TierCacheConfig settings = load(toml("""
            [cache]
            vram_size = 256
            max_items = 77
            cleanup_interval = 2
            [cache.memory]
            size = "3GiB"
            [cache.disk]
            size = "1GB"
            [cache.device]
            promotion_threshold = 9
            """), Map.of(), LAPTOP);
        assertEquals(256 * MIB, settings.deviceBytes());
        assertEquals(77, settings.maxItems());
        assertEquals(Duration.ofSeconds(2), settings.cleanupInterval());
        assertEquals(3 * GIB, settings.hostBytes());
        assertEquals(GIB, settings.fileBytes());
        assertEquals(9, settings.promoteToDeviceAfter());
        assertEquals(java.util.List.of("CACHE_DEVICE_SIZE", "CACHE_VRAM_SIZE"), TierCacheConfig.environmentNames("cache.device.size"));
    }

    @Test
    void precedence_builderOverEnvironmentOverFileOverProfile() throws IOException
    {
        final Path file = toml("[cache]\nmemory_size = \"1GB\"\npolicy = \"fifo\"\n");
        final Map<String, String> env = Map.of("CACHE_MEMORY_SIZE", "2GB");

        final TierCacheConfig all = TierCache.builder().settingsFile(file).environment(env).profile(LAPTOP).hostBytes(3 * GIB).config();
        assertEquals(3 * GIB, all.hostBytes());
        assertEquals("builder hostBytes", all.sourceOf("cache.memory.size"));
        assertEquals("fifo", all.policy(Tier.DEVICE), "what no higher source sets still comes from the file");
        assertTrue(all.sourceOf("cache.device.policy").startsWith("file " + file + " line 3"), all.sourceOf("cache.device.policy"));

        final TierCacheConfig noBuilder = load(file, env, LAPTOP);
        assertEquals(2 * GIB, noBuilder.hostBytes());
        assertEquals("environment CACHE_MEMORY_SIZE", noBuilder.sourceOf("cache.memory_size"));

        final TierCacheConfig fileOnly = load(file, Map.of(), LAPTOP);
        assertEquals(GIB, fileOnly.hostBytes());
        assertEquals("file " + file + " line 2", fileOnly.sourceOf("cache.memory_size"));

        final TierCacheConfig profileOnly = load(null, null, LAPTOP);
        assertEquals(LAPTOP.recommendedHostBytes(), profileOnly.hostBytes());

        final TierCacheConfig set = TierCache.builder().environment(env).profile(LAPTOP).set("cache.memory_size", "512MB").config();
        assertEquals(512 * MIB, set.hostBytes());
    }

    @Test
    void deviceDefault_honoursTheConfiguredHeadroomAndLimit()
    {
        final TierCacheConfig settings = load(null, Map.of("CACHE_DEVICE_VRAM_LIMIT", "600MB"), LAPTOP);
        assertEquals(600 * MIB, settings.deviceBytes());
        final TierCacheConfig headroom = TierCache.builder().profile(LAPTOP).deviceHeadroom(0.5).config();
        assertEquals(960 * MIB, headroom.deviceBytes(), "1984 MiB free - 1024 MiB headroom");
    }

    @Test
    void noProfile_fixedDefaultsDefinedOnce()
    {
        final TierCacheConfig settings = load(null, Map.of(), null);
        assertNull(settings.profile());
        assertEquals(TierCacheConfig.DEVICE_BYTES_DEFAULT, settings.deviceBytes());
        assertEquals(TierCacheConfig.HOST_BYTES_DEFAULT, settings.hostBytes());
        assertEquals(TierCacheConfig.DEVICE_MAX_ENTRY_BYTES_DEFAULT, settings.maxEntryBytes(Tier.DEVICE));
        assertEquals(TierCacheConfig.HOST_MAX_ENTRY_BYTES_DEFAULT, settings.maxEntryBytes(Tier.HOST));
        assertEquals("default", settings.sourceOf("cache.memory_size"));
        assertNull(settings.name(), "the cache names itself");
        assertNull(settings.filePath(), "no path and no size: L3 off");
        final PromotionRule rule = settings.promotionRule();
        final PromotionRule defaults = PromotionRule.defaults();
        assertEquals(defaults.l1PromotionAccessCount(), rule.l1PromotionAccessCount(), "the policy's defaults are the configuration's");
        assertEquals(defaults.l2PromotionAccessCount(), rule.l2PromotionAccessCount());
        assertEquals(defaults.demoteAfterIdleNanos(), rule.demoteAfterIdleNanos());
        assertEquals(defaults.highWaterMarkPercent(), rule.highWaterMarkPercent());
        assertEquals(defaults.evictionTargetPercent(), rule.evictionTargetPercent());
        assertEquals(defaults.ttlNanos(), rule.ttlNanos());
        assertEquals(defaults.maxEntryBytes(0), rule.maxEntryBytes(0));
        assertEquals(defaults.maxEntryBytes(1), rule.maxEntryBytes(1));
        final TierCacheConfig withFile = load(null, Map.of("CACHE_DISK_PATH", dir.toString()), null);
        assertEquals(TierCacheConfig.FILE_BYTES_DEFAULT, withFile.fileBytes());
        assertEquals(TierCacheConfig.FILE_REGION_BYTES_DEFAULT, withFile.maxEntryBytes(Tier.FILE), "an L3 entry lives in one region");
        final TierCacheConfig sizeOnly = load(null, Map.of("CACHE_DISK_SIZE", "128MB"), null);
        assertEquals(Path.of(System.getProperty("java.io.tmpdir"), TierCacheConfig.FILE_NAME), sizeOnly.filePath());
        final TierCacheConfig limited = TierCache.builder().vramLimitBytes(100 * MIB).config();
        assertEquals(100 * MIB, limited.deviceBytes(), "a default stays under a limit the user set");
        final TierCacheConfig lowMark = TierCache.builder().evictionThresholds(0.5, 0.5).config();
        assertEquals(0.5, lowMark.evictionTarget());
    }

    @ParameterizedTest(name = "{0} = {1}")
    @CsvSource(delimiter = '|', value = {
        "cache.memory.max_items | -3 | must be an integer, in [1, 2147483647]",
        "cache.memory.max_items | 0 | must be an integer, in [1, 2147483647]",
        "cache.memory.max_items | 1000000000 | must be in [1, 268435456] (the index's capacity)",
        "cache.memory.max_items | \"many\" | must be an integer, in [1, 2147483647]",
        "cache.device.ordinal | 4294967296 | must be an integer, in [0, 2147483647]",
        "cache.memory_size | \"4XB\" | unknown unit 'XB'",
        "cache.memory_size | \"-1GB\" | must not be negative",
        "cache.memory_size | 0 | more than 0",
        "cache.disk_size | \"lots\" | must be a size like",
        "cache.eviction_threshold | 1.5 | must be a fraction like 0.9 or \"90%\", in (0, 1]",
        "cache.eviction_threshold | 0 | in (0, 1]",
        "cache.eviction_threshold | \"NaN\" | in (0, 1]",
        "cache.device.headroom | 1 | in [0, 1)",
        "cache.device.headroom | \"-5%\" | in [0, 1)",
        "cache.ttl | \"soon\" | must be a duration like",
        "cache.idle_demotion | -5 | must not be negative",
        "cache.memory.cleanup_interval | 0 | at least 1 ms",
        "cache.disk.use_mmap | \"maybe\" | must be true or false",
        "cache.policy | \"mru\" | must be one of [lru, fifo, wtinylfu, default]",
        "cache.disk.policy | \"lru\" | must be fifo",
        "cache.name | \"\" | must be a string, not blank"})
    void badValue_inFile_namesKeyValueAllowedAndLine(final String key, final String value, final String allowed) throws IOException
    {
        final int dot = key.lastIndexOf('.');
        final Path file = toml("# header\n[" + key.substring(0, dot) + "]\n" + key.substring(dot + 1) + " = " + value + "\n");
        final SettingsException ex = assertThrows(SettingsException.class, () -> load(file, Map.of(), LAPTOP));
        assertTrue(ex.getMessage().startsWith(key + " = " + value + ": "), ex.getMessage());
        assertTrue(ex.getMessage().contains(allowed), ex.getMessage());
        assertTrue(ex.getMessage().endsWith("(file " + file + " line 3)"), ex.getMessage());
        assertEquals(key, ex.key());
        assertEquals(value, ex.value());
    }

    @Test
    void badValue_exactMessage() throws IOException
    {
        final Path file = toml("[cache.memory]\nmax_items = -3\n");
        final SettingsException ex = assertThrows(SettingsException.class, () -> load(file, Map.of(), LAPTOP));
        assertEquals("cache.memory.max_items = -3: must be an integer, in [1, 2147483647] (file " + file + " line 2)", ex.getMessage());
    }

    @Test
    void badValue_inEnvironment_namesTheVariable()
    {
        final SettingsException ex = assertThrows(SettingsException.class,
            () -> load(null, Map.of("CACHE_MEMORY_SIZE", "lots"), LAPTOP));
        assertTrue(ex.getMessage().startsWith("cache.memory_size = lots: must be a size like"), ex.getMessage());
        assertEquals("environment CACHE_MEMORY_SIZE", ex.source());
        final SettingsException twice = assertThrows(SettingsException.class,
            () -> load(null, Map.of("CACHE_VRAM_SIZE", "1GB", "CACHE_DEVICE_SIZE", "2GB"), LAPTOP));
        assertTrue(twice.getMessage().contains("contradicts environment CACHE_"), twice.getMessage());
        assertEquals(GIB, load(null, Map.of("CACHE_VRAM_SIZE", "1GB", "CACHE_DEVICE_SIZE", "1GB"), LAPTOP).deviceBytes());
    }

    @Test
    void badValue_inBuilder_failsWhenConcluded_namingTheMethod()
    {
        final TierCache.Builder builder = TierCache.builder().hostBytes(-1);
        final SettingsException negative = assertThrows(SettingsException.class, builder::config);
        assertEquals("cache.memory_size = -1: must be more than 0 bytes (builder hostBytes)", negative.getMessage());
        assertThrows(SettingsException.class, () -> TierCache.builder().maxEntries(0).config());
        assertThrows(SettingsException.class, () -> TierCache.builder().set("cache.disk.policy", "lru").config());
        final SettingsException ttl = assertThrows(SettingsException.class, () -> TierCache.builder().ttl(java.time.Duration.ofNanos(-1)).config());
        assertEquals("cache.ttl = -1 ns: must be 0 (off) or at least 1 ms (less is taken for a mistaken unit) (builder ttl)", ttl.getMessage());
        final SettingsException unknown = assertThrows(SettingsException.class, () -> TierCache.builder().set("cache.memory.max_item", "5"));
        assertTrue(unknown.getMessage().contains("did you mean cache.memory.max_items?"), unknown.getMessage());
    }

    @Test
    void aSubMillisecondTtlOrIdleTime_isRefusedFromEveryRoute_asAMistakenUnit() throws IOException
    {
        final Path file = dir.resolve("sub-ms.toml");
        Files.writeString(file, "[cache]\nttl = \"0.0005s\"\n");
        final SettingsException inFile = assertThrows(SettingsException.class, () -> TierCache.builder().settingsFile(file).config());
        assertTrue(inFile.getMessage().startsWith("cache.ttl = \"0.0005s\": ") && inFile.getMessage().contains("at least 1 ms"), inFile.getMessage());
        final SettingsException inEnvironment = assertThrows(SettingsException.class,
            () -> TierCache.builder().environment(Map.of("CACHE_IDLE_DEMOTION", "0.0001s")).config());
        assertTrue(inEnvironment.getMessage().contains("at least 1 ms"), inEnvironment.getMessage());
        final SettingsException inBuilder = assertThrows(SettingsException.class,
            () -> TierCache.builder().ttl(java.time.Duration.ofNanos(5000)).config());
        assertEquals("cache.ttl = 5 us: must be 0 (off) or at least 1 ms (less is taken for a mistaken unit) (builder ttl)", inBuilder.getMessage());
        assertEquals(java.time.Duration.ofMillis(1), TierCache.builder().ttl(java.time.Duration.ofMillis(1)).config().ttl());
        assertEquals(java.time.Duration.ZERO, TierCache.builder().ttl(java.time.Duration.ZERO).config().ttl());
        assertThrows(NullPointerException.class, () -> TierCache.builder().ttl(null));
    }

    @Test
    void unknownKey_suggestsTheClosest() throws IOException
    {
        final Path file = toml("[cache.memroy]\nmax_items = 5\n");
        final SettingsException ex = assertThrows(SettingsException.class, () -> load(file, Map.of(), LAPTOP));
        assertTrue(ex.getMessage().startsWith("cache.memroy.max_items = 5: unknown key; did you mean cache.memory.max_items?"), ex.getMessage());
        final Path far = toml("[cache]\ncolour = \"blue\"\n");
        final SettingsException none = assertThrows(SettingsException.class, () -> load(far, Map.of(), LAPTOP));
        assertTrue(none.getMessage().startsWith("cache.colour = \"blue\": unknown key Known keys: [cache.name,"), none.getMessage());
    }

    @Test
    void sameSettingTwice_underTwoNames_isAnError() throws IOException
    {
        final Path file = toml("[cache]\nmemory_size = \"1GB\"\n[cache.memory]\nsize = \"2GB\"\n");
        final SettingsException ex = assertThrows(SettingsException.class, () -> load(file, Map.of(), LAPTOP));
        assertTrue(ex.getMessage().contains("cache.memory.size = \"2GB\": the same setting as cache.memory_size"), ex.getMessage());
    }

    @Test
    void contradictions_nameBothKeys()
    {
        assertContradiction(Map.of("CACHE_VRAM_SIZE", "2GB", "CACHE_DEVICE_VRAM_LIMIT", "1GB"),
            "cache.device.size = 2GB: more than cache.device.vram_limit = 1GB (environment CACHE_DEVICE_VRAM_LIMIT)");
        assertContradiction(Map.of("CACHE_EVICTION_THRESHOLD", "0.8", "CACHE_EVICTION_TARGET", "0.9"),
            "cache.eviction_target = 0.9: must be at most cache.eviction_threshold = 0.8");
        assertContradiction(Map.of("CACHE_MEMORY_SIZE", "100MB", "CACHE_MEMORY_MAX_ENTRY_SIZE", "200MB"),
            "cache.memory.max_entry_size = 200MB: larger than the level (cache.memory_size = 100 MiB, environment CACHE_MEMORY_SIZE)");
        assertContradiction(Map.of("CACHE_MEMORY_MAX_ENTRY_SIZE", "0"), "cache.memory.max_entry_size = 0: 0 only for a level that is off");
        assertContradiction(Map.of("CACHE_DISK_REGION_SIZE", "1KB"), "cache.disk.region_size = 1KB: must be a multiple of 4096 bytes in [8 KiB, 1 GiB]");
        assertContradiction(Map.of("CACHE_DISK_REGION_SIZE", "10000B"), "cache.disk.region_size = 10000B: must be a multiple of 4096");
        assertContradiction(Map.of("CACHE_DISK_SIZE", "10MB"), "cache.disk_size = 10MB: smaller than one region (cache.disk.region_size = 64 MiB)");
        assertContradiction(Map.of("CACHE_DISK_SIZE", "1GB", "CACHE_DISK_MAX_ENTRY_SIZE", "100MB"),
            "cache.disk.max_entry_size = 100MB: larger than one region");
        final TierCacheConfig lowThreshold = load(null, Map.of("CACHE_EVICTION_THRESHOLD", "0.5"), LAPTOP);
        assertEquals(0.5, lowThreshold.evictionTarget(), "the default target follows a lower threshold");
    }

    private static void assertContradiction(final Map<String, String> env, final String expectedStart)
    {
        final SettingsException ex = assertThrows(SettingsException.class, () -> load(null, env, LAPTOP));
        assertTrue(ex.getMessage().startsWith(expectedStart), ex.getMessage());
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiter = '|', value = {
        "[cache]\\nsizes = [1, 2] | arrays are not used",
        "[cache]\\nx = { a = 1 } | inline tables are not used",
        "[[cache]]\\n | arrays of tables",
        "[cache]\\nname = \"open\\n | unterminated string",
        "[cache]\\nname \"x\"\\n | expected '=' after the key cache.name",
        "[cache]\\nname = \"a\"\\nname = \"b\"\\n | cache.name: is set twice",
        "[cache]\\n[cache]\\n | table [cache] is defined twice",
        "[cache]\\nname = \"\"\"x\"\"\"\\n | multi-line strings",
        "[cache]\\nttl = 1979-05-27\\n | is not supported in tiercache settings",
        "[cache]\\nname = \"a\" b\\n | expected the end of the line",
        "[cache]\\nname = \"\\q\"\\n | unknown escape \\q",
        "[cache\\n | expected ']' to close the table header"})
    void tomlSyntaxErrors_nameTheLine(final String text, final String problem) throws IOException
    {
        final Path file = toml(text.replace("\\n", "\n"));
        final SettingsException ex = assertThrows(SettingsException.class, () -> load(file, Map.of(), LAPTOP));
        assertTrue(ex.getMessage().contains(problem), ex.getMessage());
        assertTrue(ex.getMessage().matches("(?s).*\\(file .* line \\d+\\)"), ex.getMessage());
    }

    @Test
    void toml_stringsEscapesCommentsAndDottedKeys() throws IOException
    {
        final TierCacheConfig settings = load(toml("""
            # comment line
            cache.name = "tab\\there \\u00e9 # not a comment" # a comment
            [ cache . "memory" ]   # spaces around the parts
            max_items = 1_000
            """), Map.of(), LAPTOP);
        assertEquals("tab\there \u00e9 # not a comment", settings.name());
        assertEquals(1000, settings.maxItems());
    }

    @Test
    void missingFile_saysSo()
    {
        final SettingsException ex = assertThrows(SettingsException.class,
            () -> load(dir.resolve("absent.toml"), Map.of(), LAPTOP));
        assertEquals("does not exist; the settings file must be an existing TOML file (file " + dir.resolve("absent.toml") + ")", ex.getMessage());
        final SettingsException folder = assertThrows(SettingsException.class, () -> load(dir, Map.of(), LAPTOP));
        assertEquals("is a directory; the settings file must be a TOML file (file " + dir + ")", folder.getMessage());
    }

    private static TierCacheConfig load(final Path toml, final Map<String, String> environment, final HardwareProfile profile)
    {
        return TierCache.builder().settingsFile(toml).environment(environment).profile(profile).config();
    }

    private Path toml(final String text) throws IOException
    {
        final Path file = Files.createTempFile(dir, "settings", ".toml");
        Files.writeString(file, text.replace("DIR", dir.toString()));
        return file;
    }
}
