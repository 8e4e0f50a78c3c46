package dev.tiercache.store;

import dev.tiercache.store.CodecTestData.Guarded;
import dev.tiercache.store.CodecTestData.Kind;
import org.junit.jupiter.api.Test;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;

import static dev.tiercache.store.CodecTestData.SEED;
import static dev.tiercache.store.CodecTestData.replay;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * Damaged LZ4 blocks, as a torn or bit-rotted L3 entry would hand them over: every LZ4 codec
 * answers {@link Codec#CORRUPT} (or, when the damage happens to leave a valid block of the right
 * length, that length), never throws, never writes outside the destination, never writes the
 * source, and the two implementations agree on the outcome and on the bytes.
 *
 * <p>Each case is a base block and one to three mutations drawn from a seed. A failing case is
 * shrunk by dropping mutations while it still fails, then printed with its seed.
 */
class CodecCorruptionTest
{
    private static final int CASES = 5000;

    private static final int GARBAGE_CASES = 2000;

    private enum Op
    {
        FLIP_BIT, SET_BYTE, MAX_LENGTH_BYTE, TRUNCATE, INSERT, DELETE
    }

    private record Mutation(Op op, int position, int value)
    {
        byte[] apply(final byte[] block)
        {
            if (0 == block.length)
            {
                return block;
            }
            final int at = Math.floorMod(position, block.length);
            final byte[] out;
            switch (op)
            {
                case FLIP_BIT ->
                {
                    out = block.clone();
                    out[at] ^= (byte)(1 << (value & 7));
                }
                case SET_BYTE ->
                {
                    out = block.clone();
                    out[at] = (byte)value;
                }
                case MAX_LENGTH_BYTE ->
                {
                    out = block.clone();
                    out[at] = (byte)0xFF;
                }
                case TRUNCATE -> out = Arrays.copyOf(block, at);
                case INSERT ->
                {
                    out = new byte[block.length + 1];
                    System.arraycopy(block, 0, out, 0, at);
                    out[at] = (byte)value;
                    System.arraycopy(block, at, out, at + 1, block.length - at);
                }
                case DELETE ->
                {
                    out = new byte[block.length - 1];
                    System.arraycopy(block, 0, out, 0, at);
                    System.arraycopy(block, at + 1, out, at, block.length - at - 1);
                }
                default -> throw new IllegalArgumentException("op=" + op);
            }
            return out;
        }
    }

    /**
     * What decoding a damaged block gave: a failure description ({@code null} when the codecs
     * behaved) and the agreed outcome.
     */
    private record Verdict(String failure, long outcome)
    {
    }

    private record Base(Kind kind, int rawLength, String encoder, byte[] block)
    {
        @Override
        public String toString()
        {
            return kind + " " + rawLength + " B by " + encoder + " (" + block.length + " B block)";
        }
    }

    @Test
    void mutatedBlocks_areCorruptOrValid_neverOverrun()
    {
        final List<Base> bases = bases();
        final SplittableRandom random = new SplittableRandom(SEED);
        int corrupt = 0;
        for (int c = 0; c < CASES; c++)
        {
            final long caseSeed = random.nextLong();
            final SplittableRandom caseRandom = new SplittableRandom(caseSeed);
            final Base base = bases.get(caseRandom.nextInt(bases.size()));
            final List<Mutation> mutations = new ArrayList<>();
            final int count = caseRandom.nextInt(1, 4);
            for (int m = 0; m < count; m++)
            {
                final Op op = Op.values()[caseRandom.nextInt(Op.values().length)];
                // Tokens and lengths sit near the start of short blocks; aim there half the time.
                final int bound = caseRandom.nextBoolean() ? Math.min(32, base.block.length + 1) : base.block.length + 1;
                mutations.add(new Mutation(op, caseRandom.nextInt(bound), caseRandom.nextInt(256)));
            }
            final Verdict verdict = check(base.block, base.rawLength, mutations);
            if (null != verdict.failure())
            {
                final List<Mutation> shrunk = shrink(base, mutations);
                fail("case " + c + " " + replay(caseSeed) + " base " + base + "\n  mutations " + mutations +
                    "\n  shrunk to " + shrunk + "\n  " + check(base.block, base.rawLength, shrunk).failure());
            }
            corrupt += Codec.CORRUPT == verdict.outcome() ? 1 : 0;
        }
        // Most damage must be caught, or the cases are not reaching the decoder's checks.
        assertTrue(corrupt > CASES / 2, "only " + corrupt + " of " + CASES + " cases were CORRUPT, " + replay(SEED));
    }

    @Test
    void garbage_isCorruptOrValid_neverOverrun()
    {
        final SplittableRandom random = new SplittableRandom(SEED);
        for (int c = 0; c < GARBAGE_CASES; c++)
        {
            final long caseSeed = random.nextLong();
            final SplittableRandom caseRandom = new SplittableRandom(caseSeed);
            final byte[] block = new byte[caseRandom.nextInt(0, 300)];
            caseRandom.nextBytes(block);
            final int rawLength = caseRandom.nextInt(0, 1000);
            final String failure = check(block, rawLength, List.of()).failure();
            if (null != failure)
            {
                fail("garbage case " + c + " " + replay(caseSeed) + " " + block.length + " B into " + rawLength + " B: " + failure);
            }
        }
    }

    private static List<Base> bases()
    {
        final List<Base> bases = new ArrayList<>();
        final List<Codec> encoders = CodecRoundTripTest.lz4Codecs();
        int e = 0;
        try (Arena arena = Arena.ofConfined())
        {
            for (final Kind kind : Kind.values())
            {
                for (final int rawLength : new int[] {0, 1, 17, 300, 4096, 65_536})
                {
                    final Codec encoder = encoders.get(e++ % encoders.size());
                    final MemorySegment raw = CodecTestData.allocate(arena, kind, rawLength, SEED + rawLength);
                    final MemorySegment compressed = arena.allocate(encoder.maxCompressedLength(rawLength));
                    final long length = encoder.compress(raw, compressed);
                    bases.add(new Base(kind, rawLength, encoder.name(), compressed.asSlice(0, length).toArray(ValueLayout.JAVA_BYTE)));
                }
            }
        }
        return bases;
    }

    /**
     * Decodes the mutated block with every LZ4 codec.
     */
    private static Verdict check(final byte[] original, final int rawLength, final List<Mutation> mutations)
    {
        byte[] block = original;
        for (final Mutation mutation : mutations)
        {
            block = mutation.apply(block);
        }
        final List<Codec> codecs = CodecRoundTripTest.lz4Codecs();
        long firstOutcome = 0;
        byte[] firstBytes = null;
        for (int i = 0; i < codecs.size(); i++)
        {
            final Codec codec = codecs.get(i);
            try (Arena arena = Arena.ofConfined())
            {
                final Guarded src = CodecTestData.guarded(arena, block.length, 1);
                MemorySegment.copy(block, 0, src.inner(), ValueLayout.JAVA_BYTE, 0, block.length);
                final Guarded dst = CodecTestData.guarded(arena, rawLength, 3);
                final long outcome;
                try
                {
                    outcome = codec.decompress(src.inner(), dst.inner());
                }
                catch (final RuntimeException ex)
                {
                    return new Verdict(codec + " threw " + ex, 0);
                }
                if (Codec.CORRUPT != outcome && rawLength != outcome)
                {
                    return new Verdict(codec + " returned " + outcome + " for rawLength=" + rawLength, outcome);
                }
                if (-1 != dst.changedGuard())
                {
                    return new Verdict(codec + " wrote outside dst at guard byte " + dst.changedGuard(), outcome);
                }
                if (-1 != src.changedGuard() || -1 != src.inner().mismatch(MemorySegment.ofArray(block)))
                {
                    return new Verdict(codec + " wrote into src", outcome);
                }
                final byte[] bytes = dst.inner().toArray(ValueLayout.JAVA_BYTE);
                if (0 == i)
                {
                    firstOutcome = outcome;
                    firstBytes = bytes;
                }
                else if (firstOutcome != outcome || (rawLength == outcome && !Arrays.equals(firstBytes, bytes)))
                {
                    return new Verdict(codecs.get(0) + " gave " + firstOutcome + " but " + codec + " gave " + outcome +
                        (firstOutcome == outcome ? " with other bytes" : ""), outcome);
                }
            }
        }
        return new Verdict(null, firstOutcome);
    }

    private static List<Mutation> shrink(final Base base, final List<Mutation> mutations)
    {
        List<Mutation> current = mutations;
        boolean shrunk = true;
        while (shrunk && current.size() > 1)
        {
            shrunk = false;
            for (int i = 0; i < current.size(); i++)
            {
                final List<Mutation> candidate = new ArrayList<>(current);
                candidate.remove(i);
                if (null != check(base.block, base.rawLength, candidate).failure())
                {
                    current = candidate;
                    shrunk = true;
                    break;
                }
            }
        }
        return current;
    }
}
