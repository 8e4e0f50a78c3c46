package dev.tiercache;

import dev.tiercache.config.SettingsKey;
import dev.tiercache.cuda.CudaLibrary;
import dev.tiercache.cuda.sim.SimulatedCuda;
import dev.tiercache.cuda.sim.SimulatedDeviceProfile;
import dev.tiercache.profile.HardwareProfile;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestFactory;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.lang.reflect.Modifier;
import java.lang.reflect.Parameter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Consumer;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * Every setting, from each of its three text-free and text sources (a builder setter, a TOML key,
 * an environment variable), given values it must refuse: negative, zero where zero is not
 * allowed, NaN, overflow, wrong units, misspelt names, a directory where a file is expected, a
 * path that does not exist. Each refusal is a {@link SettingsException} (or, for a size this
 * machine cannot hold, an {@link IllegalArgumentException}) whose message names the key, the value
 * as given and what is allowed; and a {@code null} argument anywhere in the cache's public API is
 * refused with a message naming the parameter, never a bare {@link NullPointerException}.
 */
class BadInputTableTest
{
    private static final long MIB = 1L << 20;
    private static final HardwareProfile LAPTOP = HardwareProfile.preset(HardwareProfile.LAPTOP_PRESET);

    @TempDir
    Path dir;

    @BeforeEach
    void setUp()
    {
        CudaLibrary.location();
        SimulatedCuda.current().reset(SimulatedDeviceProfile.MX250);
    }

    /** Values each kind of setting must refuse, as text, with what the message must then say is allowed. */
    private static List<String[]> badTexts(final SettingsKey key)
    {
        final List<String[]> bad = new ArrayList<>();
        switch (key.kind)
        {
            case SIZE, POSITIVE_SIZE, ENTRY_SIZE ->
            {
                bad.add(new String[] {"-1GB", "must not be negative"});
                bad.add(new String[] {"lots", "must be a size like"});
                bad.add(new String[] {"4XB", "unknown unit 'XB'"});
                bad.add(new String[] {"4 parsecs", "unknown unit 'parsecs'"});
                bad.add(new String[] {"99999999TB", "more than 9223372036854775807 bytes"});
                bad.add(new String[] {"NaN", "must be a size like"});
                if (key.kind == SettingsKey.Kind.POSITIVE_SIZE)
                {
                    bad.add(new String[] {"0", "more than 0 bytes"});
                }
            }
            case POSITIVE_INT, NON_NEGATIVE_INT ->
            {
                bad.add(new String[] {"-3", "must be an integer, in ["});
                bad.add(new String[] {"1.5", "must be an integer"});
                bad.add(new String[] {"4GB", "must be an integer"});
                bad.add(new String[] {"99999999999999999999", "must be an integer"});
                bad.add(new String[] {"4294967296", key == SettingsKey.MAX_ITEMS ? "the index's capacity" : "2147483647]"});
                if (key.kind == SettingsKey.Kind.POSITIVE_INT)
                {
                    bad.add(new String[] {"0", "in [1, "});
                }
            }
            case FRACTION ->
            {
                bad.add(new String[] {"0", "in (0, 1]"});
                bad.add(new String[] {"1.5", "in (0, 1]"});
                bad.add(new String[] {"-0.1", "in (0, 1]"});
                bad.add(new String[] {"NaN", "in (0, 1]"});
                bad.add(new String[] {"Infinity", "in (0, 1]"});
                bad.add(new String[] {"150%", "in (0, 1]"});
                bad.add(new String[] {"half", "must be a fraction like"});
            }
            case HEADROOM ->
            {
                bad.add(new String[] {"1", "in [0, 1)"});
                bad.add(new String[] {"-5%", "in [0, 1)"});
                bad.add(new String[] {"NaN", "in [0, 1)"});
                bad.add(new String[] {"1e400", "in [0, 1)"});
            }
            case DURATION, POSITIVE_DURATION ->
            {
                bad.add(new String[] {"-5", "must not be negative"});
                bad.add(new String[] {"soon", "must be a duration like"});
                bad.add(new String[] {"10y", "must be a duration like"});
                bad.add(new String[] {"NaN", "must be a duration like"});
                bad.add(new String[] {"99999999999d", "must be a duration like"});
                if (key.kind == SettingsKey.Kind.POSITIVE_DURATION)
                {
                    bad.add(new String[] {"0", "at least 1 ms"});
                    bad.add(new String[] {"0.5ms", "at least 1 ms"});
                }
            }
            case BOOLEAN ->
            {
                bad.add(new String[] {"maybe", "must be true or false"});
                bad.add(new String[] {"2", "must be true or false"});
            }
            case POLICY -> bad.add(new String[] {"mru", "must be one of [lru, fifo, wtinylfu, default]"});
            case FILE_POLICY -> bad.add(new String[] {"lru", "must be fifo"});
            case TEXT -> bad.add(new String[] {"  ", "not blank"});
            case PATH -> bad.add(new String[] {"", "not empty"});
            case SECRET_URI ->
            {
                bad.add(new String[] {"  ", "a URI with a scheme"});
                bad.add(new String[] {"localhost:6379", "a URI with a scheme"});
                bad.add(new String[] {"redis://ca che:6379", "a URI with a scheme"});
            }
            case NAMESPACE ->
            {
                bad.add(new String[] {"  ", "letters, digits"});
                bad.add(new String[] {"imagenet train", "letters, digits"});
                bad.add(new String[] {"x".repeat(SettingsKey.NAMESPACE_MAX_LENGTH + 1), "1 to " + SettingsKey.NAMESPACE_MAX_LENGTH});
            }
        }
        return bad;
    }

    @TestFactory
    Stream<DynamicTest> everyTomlKey_refusesBadValues_namingKeyValueAllowedAndLine()
    {
        final List<DynamicTest> tests = new ArrayList<>();
        for (final SettingsKey key : SettingsKey.values())
        {
            for (final String name : key.names)
            {
                for (final String[] bad : badTexts(key))
                {
                    tests.add(DynamicTest.dynamicTest(name + " = \"" + bad[0] + "\"", () ->
                    {
                        final int dot = name.lastIndexOf('.');
                        final Path file = dir.resolve("bad-" + System.nanoTime() + ".toml");
                        Files.writeString(file, "# a bad value\n[" + name.substring(0, dot) + "]\n" + name.substring(dot + 1) + " = \"" + bad[0] + "\"\n");
                        final SettingsException ex = assertThrows(SettingsException.class,
                            () -> TierCache.builder().settingsFile(file).profile(LAPTOP).config());
                        assertNamesKeyValueAllowed(ex, name, "\"" + bad[0] + "\"", bad[1]);
                        assertTrue(ex.getMessage().endsWith("(file " + file + " line 3)"), ex.getMessage());
                    }));
                }
            }
        }
        return tests.stream();
    }

    @TestFactory
    Stream<DynamicTest> everyEnvironmentVariable_refusesBadValues_namingKeyValueAllowedAndVariable()
    {
        final List<DynamicTest> tests = new ArrayList<>();
        for (final SettingsKey key : SettingsKey.values())
        {
            for (final String variable : key.environmentNames)
            {
                for (final String[] bad : badTexts(key))
                {
                    if (bad[0].isBlank())
                    {
                        continue; // the environment's blank values are trimmed to empty, tested below
                    }
                    tests.add(DynamicTest.dynamicTest(variable + "=" + bad[0], () ->
                    {
                        final SettingsException ex = assertThrows(SettingsException.class,
                            () -> TierCache.builder().environment(Map.of(variable, bad[0])).profile(LAPTOP).config());
                        assertNamesKeyValueAllowed(ex, key.key, bad[0], bad[1]);
                        assertEquals("environment " + variable, ex.source());
                    }));
                }
            }
        }
        return tests.stream();
    }

    @TestFactory
    Stream<DynamicTest> builderSet_refusesBadValues_likeTheFile()
    {
        final List<DynamicTest> tests = new ArrayList<>();
        for (final SettingsKey key : SettingsKey.values())
        {
            for (final String[] bad : badTexts(key))
            {
                tests.add(DynamicTest.dynamicTest("set(" + key.key + ", " + bad[0] + ")", () ->
                {
                    final SettingsException ex = assertThrows(SettingsException.class,
                        () -> TierCache.builder().set(key.key, bad[0]).profile(LAPTOP).config());
                    assertNamesKeyValueAllowed(ex, key.key, bad[0], bad[1]);
                }));
            }
        }
        return tests.stream();
    }

    /** One row: a setter call, the key it sets, the value as the message must show it, and what it must say is allowed. */
    private record SetterRow(String call, Consumer<TierCache.Builder> setter, String key, String value, String allowed)
    {
    }

    @TestFactory
    Stream<DynamicTest> everyBuilderSetter_refusesBadValues_namingKeyValueAllowedAndMethod()
    {
        final Path l3 = dir.resolve("l3.tc");
        final List<SetterRow> rows = List.of(
            new SetterRow("hostBytes(-1)", b -> b.hostBytes(-1), "cache.memory_size", "-1", "more than 0 bytes"),
            new SetterRow("hostBytes(0)", b -> b.hostBytes(0), "cache.memory_size", "0", "more than 0 bytes"),
            new SetterRow("deviceBytes(-1)", b -> b.deviceBytes(-1), "cache.device.size", "-1", "at least 0 bytes"),
            new SetterRow("vramLimitBytes(-1)", b -> b.vramLimitBytes(-1), "cache.device.vram_limit", "-1", "at least 0 bytes"),
            new SetterRow("vramLimit below deviceBytes", b -> b.deviceBytes(64 * MIB).vramLimitBytes(32 * MIB), "cache.device.size",
                "67108864", "more than cache.device.vram_limit = 33554432"),
            new SetterRow("deviceHeadroom(NaN)", b -> b.deviceHeadroom(Double.NaN), "cache.device.headroom", "NaN", "in [0, 1)"),
            new SetterRow("deviceHeadroom(1)", b -> b.deviceHeadroom(1), "cache.device.headroom", "1.0", "in [0, 1)"),
            new SetterRow("deviceHeadroom(-0.1)", b -> b.deviceHeadroom(-0.1), "cache.device.headroom", "-0.1", "in [0, 1)"),
            new SetterRow("deviceOrdinal(-1)", b -> b.deviceOrdinal(-1), "cache.device.ordinal", "-1", "in [0, 2147483647]"),
            new SetterRow("fileRegionBytes(0)", b -> b.fileRegionBytes(0), "cache.disk.region_size", "0", "more than 0 bytes"),
            new SetterRow("fileRegionBytes(10000)", b -> b.fileRegionBytes(10_000), "cache.disk.region_size", "10000", "a multiple of 4096"),
            new SetterRow("fileRegionBytes(2 GiB)", b -> b.fileRegionBytes(2L << 30), "cache.disk.region_size", "2147483648", "[8 KiB, 1 GiB]"),
            new SetterRow("file(path, -1)", b -> b.file(l3, -1), "cache.disk_size", "-1", "at least 0 bytes"),
            new SetterRow("file(path, less than a region)", b -> b.file(l3, 4096), "cache.disk_size", "4096", "smaller than one region"),
            new SetterRow("file(path, 512 TiB)", b -> b.fileRegionBytes(1L << 30).file(l3, 1L << 49), "cache.disk_size", String.valueOf(1L << 49),
                "an index slot's location addresses"),
            new SetterRow("file(path, Long.MAX_VALUE)", b -> b.file(l3, Long.MAX_VALUE).fileRegionBytes(8192), "cache.disk_size",
                "9223372036854775807", "more than 2147483647 regions"),
            new SetterRow("minCompressionSavings(NaN)", b -> b.minCompressionSavings(Double.NaN), "cache.disk.min_compression_savings", "NaN",
                "in [0, 1)"),
            new SetterRow("minCompressionSavings(1)", b -> b.minCompressionSavings(1), "cache.disk.min_compression_savings", "1.0", "in [0, 1)"),
            new SetterRow("devicePolicy(mru)", b -> b.devicePolicy("mru"), "cache.device.policy", "mru", "one of [lru, fifo, wtinylfu, default]"),
            new SetterRow("hostPolicy(\"\")", b -> b.hostPolicy(""), "cache.memory.policy", "", "one of [lru, fifo, wtinylfu, default]"),
            new SetterRow("promoteToDeviceAfter(0)", b -> b.promoteToDeviceAfter(0), "cache.device.promotion_threshold", "0", "in [1, "),
            new SetterRow("cacheHitThreshold(-1)", b -> b.cacheHitThreshold(-1), "cache.device.promotion_threshold", "-1", "in [1, "),
            new SetterRow("promoteToHostAfter(0)", b -> b.promoteToHostAfter(0), "cache.memory.promotion_threshold", "0", "in [1, "),
            new SetterRow("demoteAfterIdle(-1 ns)", b -> b.demoteAfterIdle(Duration.ofNanos(-1)), "cache.idle_demotion", "-1 ns", "0 (off) or at least 1 ms"),
            new SetterRow("demoteAfterIdle(500 us)", b -> b.demoteAfterIdle(Duration.ofNanos(500_000)), "cache.idle_demotion", "500 us",
                "less is taken for a mistaken unit"),
            new SetterRow("evictionThresholds(NaN, 0.5)", b -> b.evictionThresholds(Double.NaN, 0.5), "cache.eviction_threshold", "NaN", "in (0, 1]"),
            new SetterRow("evictionThresholds(1.5, 0.9)", b -> b.evictionThresholds(1.5, 0.9), "cache.eviction_threshold", "1.5", "in (0, 1]"),
            new SetterRow("evictionThresholds(0.5, 0.9)", b -> b.evictionThresholds(0.5, 0.9), "cache.eviction_target", "0.9",
                "at most cache.eviction_threshold = 0.5"),
            new SetterRow("evictionThresholds(0.9, 0)", b -> b.evictionThresholds(0.9, 0), "cache.eviction_target", "0.0", "in (0, 1]"),
            new SetterRow("ttl(-5 ms)", b -> b.ttl(Duration.ofMillis(-5)), "cache.ttl", "-5 ms", "0 (off) or at least 1 ms"),
            new SetterRow("ttl(5000 ns)", b -> b.ttl(Duration.ofNanos(5000)), "cache.ttl", "5 us", "less is taken for a mistaken unit"),
            new SetterRow("ttl(999999 ns)", b -> b.ttl(Duration.ofNanos(999_999)), "cache.ttl", "999999 ns", "at least 1 ms"),
            new SetterRow("maxEntryBytes(HOST, -1)", b -> b.maxEntryBytes(Tier.HOST, -1), "cache.memory.max_entry_size", "-1", "at least 0 bytes"),
            new SetterRow("maxEntryBytes(HOST, 0)", b -> b.hostBytes(MIB).maxEntryBytes(Tier.HOST, 0), "cache.memory.max_entry_size", "0",
                "0 only for a level that is off"),
            new SetterRow("maxEntryBytes(HOST, more than the level)", b -> b.hostBytes(MIB).maxEntryBytes(Tier.HOST, 2 * MIB),
                "cache.memory.max_entry_size", "2097152", "larger than the level"),
            new SetterRow("maxEntries(0)", b -> b.maxEntries(0), "cache.memory.max_items", "0", "in [1, "),
            new SetterRow("maxEntries(-5)", b -> b.maxEntries(-5), "cache.memory.max_items", "-5", "in [1, "),
            new SetterRow("maxEntries(Integer.MAX_VALUE)", b -> b.maxEntries(Integer.MAX_VALUE), "cache.memory.max_items", "2147483647",
                "the index's capacity"),
            new SetterRow("cleanupInterval(0)", b -> b.cleanupInterval(Duration.ZERO), "cache.memory.cleanup_interval", "0 s", "at least 1 ms"),
            new SetterRow("cleanupInterval(999999 ns)", b -> b.cleanupInterval(Duration.ofNanos(999_999)), "cache.memory.cleanup_interval", "999999 ns",
                "at least 1 ms"),
            new SetterRow("name(\" \")", b -> b.name(" "), "cache.name", " ", "not blank"),
            new SetterRow("remoteUri(no scheme)", b -> b.remoteUri("cache:6379").remoteNamespace("n"), "cache.remote.uri", "cache:6379",
                "a URI with a scheme"),
            new SetterRow("remoteUri(bad authority, a password)", b -> b.remoteUri("redis://:pw@[cache:6379").remoteNamespace("n"),
                "cache.remote.uri", "redis://:***@[cache:6379", "not a URI"),
            new SetterRow("remoteNamespace(\"a/b\")", b -> b.remoteUri("redis://cache:6379").remoteNamespace("a/b"), "cache.remote.namespace",
                "a/b", "letters, digits"),
            new SetterRow("remoteTtl(-1 ns)", b -> b.remoteUri("redis://cache:6379").remoteNamespace("n").remoteTtl(Duration.ofNanos(-1)), "cache.remote.ttl",
                "-1 ns", "0 (off) or at least 1 ms"),
            new SetterRow("remoteTtl(1 us)", b -> b.remoteUri("redis://cache:6379").remoteNamespace("n").remoteTtl(Duration.ofNanos(1000)),
                "cache.remote.ttl", "1 us", "at least 1 ms"),
            new SetterRow("remoteQueueBytes(-1)", b -> b.remoteQueueBytes(-1), "cache.remote.queue_size", "-1", "at least 0 bytes"),
            new SetterRow("remoteTimeout(0)", b -> b.remoteTimeout(Duration.ZERO), "cache.remote.timeout", "0 s", "at least 1 ms"),
            new SetterRow("remoteTimeout(-1 s)", b -> b.remoteTimeout(Duration.ofSeconds(-1)), "cache.remote.timeout", "-1 s", "at least 1 ms"),
            new SetterRow("remoteTlsCaFile(no such file)", b -> b.remoteUri("rediss://cache:6379").remoteNamespace("n")
                .remoteTlsCaFile(dir.resolve("absent.pem")), "cache.remote.tls_ca_file", dir.resolve("absent.pem").toString(),
                "must be a readable file of PEM CA certificates: there is none"),
            new SetterRow("remoteTlsCaFile(a directory)", b -> b.remoteUri("rediss://cache:6379").remoteNamespace("n").remoteTlsCaFile(dir),
                "cache.remote.tls_ca_file", dir.toString(), "not a directory"),
            new SetterRow("remoteTlsCaFile without remoteUri", b -> b.remoteTlsCaFile(l3), "cache.remote.tls_ca_file", l3.toString(),
                "needs cache.remote.uri"));
        return rows.stream().map(row -> DynamicTest.dynamicTest(row.call(), () ->
        {
            final TierCache.Builder builder = TierCache.builder().useGpu(false);
            row.setter().accept(builder);
            final SettingsException ex = assertThrows(SettingsException.class, builder::build);
            assertNamesKeyValueAllowed(ex, row.key(), row.value(), row.allowed());
            assertTrue(ex.source().startsWith("builder ") || ex.source().startsWith("default"), ex.source());
        }));
    }

    private static void assertNamesKeyValueAllowed(final SettingsException ex, final String key, final String value, final String allowed)
    {
        final String message = ex.getMessage();
        assertTrue(message.startsWith(key + " = " + value + ": "), "names the key and the value: " + message);
        assertTrue(message.contains(allowed), "says what is allowed (" + allowed + "): " + message);
        assertEquals(key, ex.key());
        assertEquals(value, ex.value());
        assertNotNull(ex.source(), message);
    }

    @Test
    void misspeltNames_areRefusedWithTheClosestSuggested() throws IOException
    {
        final Path file = dir.resolve("typo.toml");
        Files.writeString(file, "[cache]\nmemroy_size = \"1GB\"\n");
        final SettingsException inFile = assertThrows(SettingsException.class, () -> TierCache.builder().settingsFile(file).config());
        assertTrue(inFile.getMessage().startsWith("cache.memroy_size = \"1GB\": unknown key; did you mean cache.memory_size?"), inFile.getMessage());

        final SettingsException inEnvironment = assertThrows(SettingsException.class,
            () -> TierCache.builder().environment(Map.of("CACHE_MEMROY_SIZE", "1GB")).config());
        assertEquals("CACHE_MEMROY_SIZE = 1GB: unknown variable; did you mean CACHE_MEMORY_SIZE? (environment CACHE_MEMROY_SIZE)",
            inEnvironment.getMessage());
        // another program's variable, far from every name of ours, is left alone
        assertEquals(TierCacheConfig.HOST_BYTES_DEFAULT, TierCache.builder().environment(Map.of("CACHE_DIR", "/x", "CACHE_KEY", "k")).config().hostBytes());

        final SettingsException inSet = assertThrows(SettingsException.class, () -> TierCache.builder().set("cache.disk.regoin_size", "8MB"));
        assertTrue(inSet.getMessage().startsWith("cache.disk.regoin_size = 8MB: unknown key; did you mean cache.disk.region_size?"), inSet.getMessage());
    }

    @Test
    void environment_blankValue_isRefused()
    {
        final SettingsException ex = assertThrows(SettingsException.class,
            () -> TierCache.builder().environment(Map.of("CACHE_NAME", "   ")).config());
        assertNamesKeyValueAllowed(ex, "cache.name", "   ", "not blank");
    }

    @Test
    void settingsFile_aDirectoryOrAMissingFile_isRefused()
    {
        final SettingsException directory = assertThrows(SettingsException.class, () -> TierCache.builder().settingsFile(dir).config());
        assertEquals("is a directory; the settings file must be a TOML file (file " + dir + ")", directory.getMessage());
        final Path missing = dir.resolve("nowhere").resolve("tiercache.toml");
        final SettingsException absent = assertThrows(SettingsException.class, () -> TierCache.builder().settingsFile(missing).config());
        assertEquals("does not exist; the settings file must be an existing TOML file (file " + missing + ")", absent.getMessage());
    }

    @Test
    void diskPath_inAFolderThatDoesNotExist_orUnderAFile_isRefusedAtBuild() throws IOException
    {
        final Path missing = dir.resolve("no-such-folder").resolve("l3.tc");
        final SettingsException notThere = assertThrows(SettingsException.class,
            () -> TierCache.builder().useGpu(false).hostBytes(MIB).file(missing, 64 * MIB).build());
        assertEquals("cache.disk.path = " + missing + ": the folder " + missing.getParent() +
            " does not exist; must be a file in an existing directory, or an existing directory (builder file)", notThere.getMessage());
        assertFalse(Files.exists(missing.getParent()), "nothing created");

        final Path plainFile = Files.writeString(dir.resolve("plain.txt"), "x");
        final SettingsException underFile = assertThrows(SettingsException.class,
            () -> TierCache.builder().useGpu(false).hostBytes(MIB).environment(Map.of("CACHE_DISK_PATH", plainFile.resolve("l3.tc").toString(),
                "CACHE_DISK_SIZE", "64MB")).build());
        assertTrue(underFile.getMessage().startsWith("cache.disk.path = " + plainFile.resolve("l3.tc") + ": the folder " + plainFile +
            " is not a directory"), underFile.getMessage());
        assertEquals("environment CACHE_DISK_PATH", underFile.source());

        final Path fifoLike = Files.createDirectory(dir.resolve("a-directory.tc"));
        try (TierCache cache = TierCache.builder().useGpu(false).hostBytes(MIB).file(fifoLike, 64 * MIB).fileRegionBytes(8 * MIB).build())
        {
            assertEquals(fifoLike.resolve(TierCacheConfig.FILE_NAME), cache.config().filePath(), "a directory holds the file");
        }
    }

    /** Arguments a call may be given where its parameter is not the one under test. */
    private Object sample(final Class<?> type, final TierCache cache)
    {
        if (type == long.class)
        {
            return 1L;
        }
        if (type == int.class)
        {
            return 1;
        }
        if (type == double.class)
        {
            return 0.5;
        }
        if (type == boolean.class)
        {
            return true;
        }
        if (type == String.class)
        {
            return "k";
        }
        if (type == byte[].class)
        {
            return new byte[] {1};
        }
        if (type == Path.class)
        {
            return dir.resolve("sample.tc");
        }
        if (type == Tier.class)
        {
            return Tier.HOST;
        }
        if (type == Part[].class)
        {
            return new Part[] {Part.of(TensorSpec.of(DType.U8, 4), new byte[4])};
        }
        if (type == MemorySegment.class)
        {
            return MemorySegment.ofArray(new byte[4]);
        }
        if (type == Map.class)
        {
            return Map.of();
        }
        if (type == EntryHandle.class)
        {
            return new EntryHandle();
        }
        if (type == TierCache.Loader.class)
        {
            return (TierCache.Loader)key -> new Part[] {Part.of(TensorSpec.of(DType.U8, 4), new byte[4])};
        }
        if (type == TierCache.KeyLoader.class)
        {
            return (TierCache.KeyLoader<Object>)key -> new Part[] {Part.of(TensorSpec.of(DType.U8, 4), new byte[4])};
        }
        if (type == HardwareProfile.class)
        {
            return LAPTOP;
        }
        if (type == java.time.Duration.class)
        {
            return java.time.Duration.ZERO;
        }
        if (type == long[].class)
        {
            return new long[] {1};
        }
        if (type == boolean[].class)
        {
            return new boolean[1];
        }
        if (type == RemoteSettings.class)
        {
            return RemoteSettings.of("mem://sample", "sample");
        }
        if (type == dev.tiercache.remote.RemoteStore.class)
        {
            return new InMemoryRemoteStore();
        }
        throw new AssertionError("no sample for " + type + " (cache " + cache + ")");
    }

    @Test
    void nullArguments_toStaticMethodsOfTheExportedPackages_areRefusedNamingTheParameter() throws Exception
    {
        final List<String> failures = new ArrayList<>();
        final List<String> checked = new ArrayList<>();
        for (final String pkg : List.of("dev.tiercache", "dev.tiercache.profile", "dev.tiercache.dataset"))
        {
            final Path folder = Path.of(TierCache.class.getProtectionDomain().getCodeSource().getLocation().toURI()).resolve(pkg.replace('.', '/'));
            try (Stream<Path> files = Files.list(folder))
            {
                for (final Path file : files.filter(f -> f.toString().endsWith(".class")).sorted().toList())
                {
                    final Class<?> type = Class.forName(pkg + "." + file.getFileName().toString().replace(".class", ""));
                    if (!Modifier.isPublic(type.getModifiers()))
                    {
                        continue;
                    }
                    for (final Method method : type.getDeclaredMethods())
                    {
                        if (!Modifier.isPublic(method.getModifiers()) || !Modifier.isStatic(method.getModifiers()) || method.isSynthetic() ||
                            method.getName().equals("valueOf") && type.isEnum())
                        {
                            continue;
                        }
                        final Parameter[] parameters = method.getParameters();
                        for (int i = 0; i < parameters.length; i++)
                        {
                            if (parameters[i].getType().isPrimitive())
                            {
                                continue;
                            }
                            final Object[] args = new Object[parameters.length];
                            boolean sampled = true;
                            for (int j = 0; j < parameters.length && sampled; j++)
                            {
                                try
                                {
                                    args[j] = j == i ? null : sample(parameters[j].getType(), null);
                                }
                                catch (final AssertionError noSample)
                                {
                                    sampled = false;
                                }
                            }
                            if (!sampled)
                            {
                                continue;
                            }
                            final String name = type.getSimpleName() + "." + method.getName() + "(" + parameters[i].getName() + ")";
                            checked.add(name);
                            try
                            {
                                method.invoke(null, args);
                            }
                            catch (final InvocationTargetException thrown)
                            {
                                final Throwable cause = thrown.getCause();
                                if (!namesParameter(cause, parameters[i].getName()))
                                {
                                    failures.add(name + " threw " + cause);
                                }
                            }
                        }
                    }
                }
            }
        }
        System.out.println("null checked for " + checked.size() + " static parameters: " + checked);
        assertTrue(failures.isEmpty(), String.join("\n", failures));
    }

    /** A message that names the parameter, not the JVM's account of which dereference failed. */
    private static boolean namesParameter(final Throwable thrown, final String parameter)
    {
        final String message = thrown.getMessage();
        return (thrown instanceof NullPointerException || thrown instanceof IllegalArgumentException) && message != null &&
            !message.startsWith("Cannot ") && message.matches("(?s).*\\b" + java.util.regex.Pattern.quote(parameter) + "\\b.*");
    }

    /** Parameters documented to take {@code null}: "none" or "the default". */
    private static final Set<String> NULL_ALLOWED = Set.of("profile(profile)", "settingsFile(toml)", "environment(variables)",
        "fetchFromRemote(absent)");

    @Test
    void nullArguments_areRefusedNamingTheParameter()
    {
        final List<String> checked = new ArrayList<>();
        try (TierCache cache = TierCache.builder().useGpu(false).hostBytes(MIB).build())
        {
            for (final Class<?> type : List.of(TierCache.Builder.class, TierCache.class, TierCacheConfig.class))
            {
                for (final Method method : type.getDeclaredMethods())
                {
                    if (!Modifier.isPublic(method.getModifiers()) || method.isSynthetic())
                    {
                        continue;
                    }
                    final Parameter[] parameters = method.getParameters();
                    for (int i = 0; i < parameters.length; i++)
                    {
                        if (parameters[i].getType().isPrimitive())
                        {
                            continue;
                        }
                        assertTrue(parameters[i].isNamePresent(), "compiled with -parameters: " + method);
                        final String name = method.getName() + "(" + parameters[i].getName() + ")";
                        final Object[] args = new Object[parameters.length];
                        for (int j = 0; j < parameters.length; j++)
                        {
                            args[j] = j == i ? null : sample(parameters[j].getType(), cache);
                        }
                        final Object target = Modifier.isStatic(method.getModifiers()) ? null :
                            type == TierCache.Builder.class ? TierCache.builder() : type == TierCache.class ? cache : cache.config();
                        checked.add(type.getSimpleName() + "." + name);
                        try
                        {
                            method.invoke(target, args);
                            assertTrue(NULL_ALLOWED.contains(name), type.getSimpleName() + "." + name + " took null without a word");
                        }
                        catch (final InvocationTargetException thrown)
                        {
                            final Throwable cause = thrown.getCause();
                            if (NULL_ALLOWED.contains(name))
                            {
                                fail(type.getSimpleName() + "." + name + " is documented to take null, threw " + cause);
                            }
                            assertTrue(cause instanceof NullPointerException || cause instanceof IllegalArgumentException,
                                type.getSimpleName() + "." + name + " threw " + cause);
                            assertTrue(namesParameter(cause, parameters[i].getName()), type.getSimpleName() + "." + name + " threw " + cause);
                        }
                        catch (final IllegalAccessException ex)
                        {
                            throw new AssertionError(ex);
                        }
                    }
                }
            }
        }
        System.out.println("null checked for " + checked.size() + " parameters: " + checked);
        assertTrue(checked.size() > 20, checked.toString());
    }
}
