package dev.tiercache.policy;

import java.util.Map;
import java.util.function.IntPredicate;

/**
 * The eviction and admission rule of one cache level, over the slots of an
 * {@link dev.tiercache.index.EntryIndex}. The policy keeps its own order (one or more
 * {@link dev.tiercache.index.SlotList}s) and never inserts or frees slots itself; the caller does,
 * and tells the policy:
 *
 * <pre>{@code
 * slot = index.find(key)
 * hit:   policy.onAccess(slot)
 * miss:  policy.onMiss(key)
 *        while the level is full:
 *            victim = policy.selectVictim(evictable)
 *            if victim == NONE or !policy.admit(key, victim): the key does not enter this level
 *            policy.onRemove(victim); move or drop the victim's bytes; index.remove(victim) or re-level it
 *        slot = index.insert(key); policy.onInsert(slot)
 * }</pre>
 *
 * <p>{@link #selectVictim} may reorder the policy's own segments (a windowed policy moves its
 * window's cold end into the main space there) but never removes a slot; the victim stays resident
 * until the caller calls {@link #onRemove}. Every method allocates nothing, except that a frequency
 * policy resizes its history when the level's estimate of its entries moves (rare; see
 * {@link WindowTinyLfuPolicy}) and that the heap report ({@link #heapBytesByPart}) returns a map.
 *
 * <p>Not thread-safe: called under the same lock as the index's mutations.
 */
public interface EvictionPolicy
{
    /** {@link #selectVictim} result: no resident slot may be evicted. */
    int NONE = -1;

    /**
     * The name the policy is registered under in {@link EvictionPolicies}.
     *
     * @return the name.
     */
    String name();

    /**
     * A slot has entered this level; the policy links it into its order.
     *
     * @param slot a live slot on no list.
     */
    void onInsert(int slot);

    /**
     * A hit on a slot of this level.
     *
     * @param slot a slot the policy holds.
     */
    void onAccess(int slot);

    /**
     * A request for a key that is not in this level, recorded before the admission decision.
     * Policies without a history ignore it.
     *
     * @param keyHash the requested key's hash.
     */
    void onMiss(long keyHash);

    /**
     * A slot is leaving this level (evicted, moved or removed); the policy unlinks it.
     *
     * @param slot a slot the policy holds.
     */
    void onRemove(int slot);

    /**
     * Picks the slot to evict, walking from the cold end and skipping slots the predicate rejects
     * (leased entries, entries in flight).
     *
     * @param evictable says whether a slot may be evicted now.
     * @return the victim slot, or {@link #NONE} when the policy holds no evictable slot.
     */
    int selectVictim(IntPredicate evictable);

    /**
     * Whether a missed key should take the victim's place.
     *
     * @param candidateKeyHash the key that missed.
     * @param victimSlot       the slot {@link #selectVictim} returned.
     * @return {@code true} to evict the victim and insert the candidate, {@code false} to keep the
     *         victim and leave the candidate out of this level.
     */
    boolean admit(long candidateKeyHash, int victimSlot);

    /**
     * Whether an entry moving up from a slower level should take the victim's place. Unlike a new
     * key, such an entry is still cached below, so refusing costs a slower hit, not a miss, while
     * admitting costs two copies; a policy with a recency window should therefore judge it by
     * frequency alone. By default the same as {@link #admit}.
     *
     * @param candidateKeyHash the key moving up.
     * @param victimSlot       the slot {@link #selectVictim} returned.
     * @return {@code true} to evict the victim and take its place.
     */
    default boolean admitPromotion(final long candidateKeyHash, final int victimSlot)
    {
        return admit(candidateKeyHash, victimSlot);
    }

    /**
     * Slots the policy holds.
     *
     * @return the number of resident slots.
     */
    int size();

    /**
     * The heap the policy holds, by structure, for footprint reports: each array counted by its
     * length (see {@link HeapBytes}). Its lists are the index's and are not counted here. Allocates
     * the map; call it from a report, not a hot path.
     *
     * @return bytes per structure, in a stable order; empty when the policy holds no arrays.
     */
    Map<String, Long> heapBytesByPart();

    /**
     * The sum of {@link #heapBytesByPart()}.
     *
     * @return bytes.
     */
    default long heapBytes()
    {
        long bytes = 0;
        for (final long part : heapBytesByPart().values())
        {
            bytes += part;
        }
        return bytes;
    }
}
