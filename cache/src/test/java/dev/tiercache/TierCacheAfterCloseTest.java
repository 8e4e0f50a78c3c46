package dev.tiercache;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.reflect.Method;
import java.lang.reflect.Modifier;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.TreeSet;
import java.util.function.Consumer;

import static dev.tiercache.TierCacheRegressionTest.value;
import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * What every public method of a closed cache does: an operation on entries throws an
 * {@link IllegalStateException} naming the cache; {@code size()} is 0, {@code hasDevice()} false,
 * {@code name()} the name, {@code config()} the configuration it was opened with, {@code stats()} the run's counters with nothing held,
 * {@code hasRemote()} and {@code remoteStats()} what they were, {@code flushRemote} whether nothing is left to send, {@code usedBytes} 0, and a second
 * {@code close()} does nothing. The table is checked against the class, so a new public method
 * without a defined behaviour after close fails this test.
 */
@org.junit.jupiter.api.extension.ExtendWith(dev.tiercache.testing.SimulatedMx250.class)
class TierCacheAfterCloseTest
{
    @TempDir
    Path dir;



    /** The public operations on entries, by signature, each called on a closed cache. */
    private static Map<String, Consumer<TierCache>> entryOperations()
    {
        final MemorySegment bytes = value(1, 1, 1024);
        final Part part = Part.blob(bytes);
        final Map<String, Consumer<TierCache>> calls = new LinkedHashMap<>();
        calls.put("put(long,Part[])", c -> c.put(1L, part));
        calls.put("put(long,MemorySegment)", c -> c.put(1L, bytes));
        calls.put("put(String,Part[])", c -> c.put("a", part));
        calls.put("put(byte[],Part[])", c -> c.put(new byte[] {1}, part));
        calls.put("get(long)", c -> c.get(1L));
        calls.put("get(long,EntryHandle)", c -> c.get(1L, new EntryHandle()));
        calls.put("get(String)", c -> c.get("a"));
        calls.put("get(byte[])", c -> c.get(new byte[] {1}));
        calls.put("get(long,Loader)", c -> c.get(1L, key -> new Part[] {part}));
        calls.put("get(String,KeyLoader)", c -> c.get("a", key -> new Part[] {part}));
        calls.put("get(byte[],KeyLoader)", c -> c.get(new byte[] {1}, key -> new Part[] {part}));
        calls.put("getLocalOrLoad(long,Loader)", c -> c.getLocalOrLoad(1L, key -> new Part[] {part}));
        calls.put("fetchFromRemote(long[],boolean[])", c -> c.fetchFromRemote(new long[] {1L}, null));
        calls.put("getInto(long,MemorySegment)", c -> c.getInto(1L, Arena.ofAuto().allocate(2048)));
        calls.put("getOnDevice(long)", c -> c.getOnDevice(1L));
        calls.put("promoteToHost(long)", c -> c.promoteToHost(1L));
        calls.put("promoteToHost(long,boolean)", c -> c.promoteToHost(1L, true));
        calls.put("demote(long)", c -> c.demote(1L));
        calls.put("tierOf(long)", c -> c.tierOf(1L));
        calls.put("byteSize(long)", c -> c.byteSize(1L));
        calls.put("adviseWillNeed(long)", c -> c.adviseWillNeed(1L));
        calls.put("contains(long)", c -> c.contains(1L));
        calls.put("contains(String)", c -> c.contains("a"));
        calls.put("contains(byte[])", c -> c.contains(new byte[] {1}));
        calls.put("remove(long)", c -> c.remove(1L));
        calls.put("remove(String)", c -> c.remove("a"));
        calls.put("remove(byte[])", c -> c.remove(new byte[] {1}));
        calls.put("clear()", TierCache::clear);
        calls.put("flush()", TierCache::flush);
        return calls;
    }

    /** The public methods with a defined answer after close. */
    private static final String[] ANSWERS = {"size()", "hasDevice()", "name()", "stats()", "config()", "close()",
        "hasRemote()", "remoteStats()", "flushRemote(Duration)", "usedBytes(Tier)"};

    private static String signature(final Method method)
    {
        final StringBuilder s = new StringBuilder(method.getName()).append('(');
        final Class<?>[] types = method.getParameterTypes();
        for (int i = 0; i < types.length; i++)
        {
            s.append(i == 0 ? "" : ",").append(types[i].getSimpleName());
        }
        return s.append(')').toString();
    }

    @Test
    void everyPublicMethodHasADefinedBehaviourAfterClose()
    {
        final TreeSet<String> declared = new TreeSet<>();
        for (final Method method : TierCache.class.getDeclaredMethods())
        {
            if (Modifier.isPublic(method.getModifiers()) && !Modifier.isStatic(method.getModifiers()))
            {
                declared.add(signature(method));
            }
        }
        final TreeSet<String> covered = new TreeSet<>(entryOperations().keySet());
        covered.addAll(Arrays.asList(ANSWERS));
        assertEquals(declared, covered, "public methods of TierCache against the after-close table");
    }

    @Test
    void aClosedCacheRefusesEveryOperationOnEntries_namingItself()
    {
        final TierCache cache = TierCache.builder().name("closed-one").deviceBytes(1 << 20).hostBytes(4 << 20)
            .file(dir.resolve("l3.tc"), 16 << 20).fileRegionBytes(1 << 20).maxEntries(256).build();
        for (int key = 0; key < 52; key++)
        {
            cache.put(key, value(key, 1, 4096));
        }
        cache.close();
        for (final Map.Entry<String, Consumer<TierCache>> call : entryOperations().entrySet())
        {
            final IllegalStateException thrown = assertThrows(IllegalStateException.class, () -> call.getValue().accept(cache), call.getKey());
            assertTrue(thrown.getMessage().contains("closed-one") && thrown.getMessage().contains("closed"),
                call.getKey() + ": " + thrown.getMessage());
        }
        assertEquals(0, cache.size());
        assertFalse(cache.hasDevice());
        assertEquals("closed-one", cache.name());
        assertFalse(cache.hasRemote());
        assertNull(cache.remoteStats());
        assertTrue(cache.flushRemote(java.time.Duration.ZERO), "nothing left to send");
        assertEquals(256, cache.config().maxItems(), "the configuration it was opened with");
        // the run's counters stay; what it held is gone
        final CacheStats last = cache.stats();
        assertEquals(52, last.puts());
        for (final Tier tier : Tier.values())
        {
            assertEquals(0, last.level(tier).entries(), tier.label());
            assertEquals(0, last.level(tier).usedBytes(), tier.label());
            assertEquals(0, cache.usedBytes(tier), tier.label());
        }
        assertEquals(last, cache.stats());
        assertDoesNotThrow(cache::close);
    }
}
