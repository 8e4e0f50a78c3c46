package dev.tiercache.tools.simulate;

import java.util.SplittableRandom;

/**
 * The access pattern of training: {@code samples} keys, each read once per epoch, in a new random
 * order every epoch. Seeded, so a spec names one exact trace.
 *
 * @param samples the number of distinct keys, {@code 0 .. samples-1}.
 * @param epochs  how many passes.
 * @param seed    the shuffle seed.
 */
public record EpochsWorkload(int samples, int epochs, long seed)
{
    /** The spec prefix: {@code epochs:N,E,SEED}. */
    public static final String PREFIX = "epochs:";

    /**
     * Checks the values.
     *
     * @param samples the number of distinct keys.
     * @param epochs  how many passes.
     * @param seed    the shuffle seed.
     */
    public EpochsWorkload
    {
        if (samples < 1 || epochs < 1 || (long)samples * epochs > Integer.MAX_VALUE)
        {
            throw new IllegalArgumentException("samples=" + samples + ", epochs=" + epochs + " must be >= 1 and samples*epochs <= 2^31-1");
        }
    }

    /**
     * Parses {@code epochs:N,E,SEED}.
     *
     * @param spec the spec.
     * @return the workload.
     * @throws IllegalArgumentException when the spec is malformed.
     */
    public static EpochsWorkload parse(final String spec)
    {
        if (!spec.startsWith(PREFIX))
        {
            throw new IllegalArgumentException("workload=" + spec + " is not " + PREFIX + "N,E,SEED");
        }
        final String[] parts = spec.substring(PREFIX.length()).split(",");
        if (parts.length != 3)
        {
            throw new IllegalArgumentException("workload=" + spec + " is not " + PREFIX + "N,E,SEED");
        }
        try
        {
            return new EpochsWorkload(
                Integer.parseInt(parts[0].strip()), Integer.parseInt(parts[1].strip()), Long.parseLong(parts[2].strip()));
        }
        catch (final NumberFormatException ex)
        {
            throw new IllegalArgumentException("workload=" + spec + " is not " + PREFIX + "N,E,SEED", ex);
        }
    }

    /**
     * Generates the requests (Fisher-Yates shuffle per epoch).
     *
     * @return the trace, named by its spec.
     */
    public Trace generate()
    {
        final SplittableRandom random = new SplittableRandom(seed);
        final int[] keys = new int[samples * epochs];
        final int[] order = new int[samples];
        for (int i = 0; i < samples; i++)
        {
            order[i] = i;
        }
        for (int e = 0; e < epochs; e++)
        {
            for (int i = samples - 1; i > 0; i--)
            {
                final int j = random.nextInt(i + 1);
                final int t = order[i];
                order[i] = order[j];
                order[j] = t;
            }
            System.arraycopy(order, 0, keys, e * samples, samples);
        }
        return new Trace(PREFIX + samples + "," + epochs + "," + seed, keys, null);
    }
}
