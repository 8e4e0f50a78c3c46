package dev.tiercache.policy;

import dev.tiercache.index.EntryIndex;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;

/**
 * The eviction policies by name: what the cache's configuration and {@code tiercache simulate}
 * choose from, so the simulator replays traces through exactly the classes the cache runs.
 *
 * <ul>
 *   <li>{@code lru}: {@link LruPolicy}.</li>
 *   <li>{@code fifo}: {@link FifoPolicy}.</li>
 *   <li>{@code wtinylfu}: {@link WindowTinyLfuPolicy}, window 1 %, admission margin 0 (the classic rule).</li>
 *   <li>{@code default}: {@link WindowTinyLfuPolicy}, window {@value #DEFAULT_WINDOW_PERCENT} %,
 *       admission margin {@value #DEFAULT_ADMISSION_MARGIN}, adaptive, bursts counted once, the
 *       aging period chosen by the aging duel on small levels: the library's choice for L1 and L2.</li>
 * </ul>
 */
public final class EvictionPolicies
{
    /** Name of the library's default policy. */
    public static final String DEFAULT = "default";

    /** The default policy's window, percent of the resident entries. */
    public static final int DEFAULT_WINDOW_PERCENT = 1;

    /** The default policy's admission margin. */
    public static final int DEFAULT_ADMISSION_MARGIN = 1;

    /** Makes a policy for one level. */
    @FunctionalInterface
    public interface Factory
    {
        /**
         * Makes the policy.
         *
         * @param index    the level's index; the policy takes new lists from it.
         * @param capacity what bounds the level.
         * @return the policy.
         */
        EvictionPolicy create(EntryIndex index, LevelCapacity capacity);
    }

    private static final Map<String, Factory> FACTORIES = new LinkedHashMap<>();

    static
    {
        FACTORIES.put(LruPolicy.NAME, (index, capacity) -> new LruPolicy(index));
        FACTORIES.put(FifoPolicy.NAME, (index, capacity) -> new FifoPolicy(index));
        FACTORIES.put(WindowTinyLfuPolicy.NAME, (index, capacity) ->
            new WindowTinyLfuPolicy(WindowTinyLfuPolicy.NAME, index, capacity, 1, 0, false));
        FACTORIES.put(DEFAULT, (index, capacity) ->
            new WindowTinyLfuPolicy(DEFAULT, index, capacity, DEFAULT_WINDOW_PERCENT, DEFAULT_ADMISSION_MARGIN, true, true, true));
    }

    private EvictionPolicies()
    {
    }

    /**
     * The registered names, in a stable order.
     *
     * @return the names.
     */
    public static Set<String> names()
    {
        return Collections.unmodifiableSet(FACTORIES.keySet());
    }

    /**
     * Makes a registered policy for a level bounded by its entry count.
     *
     * @param name            a name from {@link #names()}.
     * @param index           the level's index.
     * @param expectedEntries how many entries the level holds, {@code >= 1}.
     * @return the policy.
     * @throws IllegalArgumentException when no policy has that name.
     */
    public static EvictionPolicy create(final String name, final EntryIndex index, final int expectedEntries)
    {
        return create(name, index, LevelCapacity.ofEntries(expectedEntries));
    }

    /**
     * Makes a registered policy.
     *
     * @param name     a name from {@link #names()}.
     * @param index    the level's index.
     * @param capacity what bounds the level; a frequency policy sizes itself by the entries it
     *                 estimates the level holds, and follows that estimate as it moves.
     * @return the policy.
     * @throws IllegalArgumentException when no policy has that name.
     */
    public static EvictionPolicy create(final String name, final EntryIndex index, final LevelCapacity capacity)
    {
        final Factory factory = FACTORIES.get(name);
        if (factory == null)
        {
            throw new IllegalArgumentException("policy=" + name + " is not one of " + FACTORIES.keySet());
        }
        return factory.create(index, capacity);
    }
}
