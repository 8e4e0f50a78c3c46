package dev.tiercache.cuda.sim;

import java.lang.foreign.SymbolLookup;

/**
 * A simulated CUDA device (being written).
 */
public final class SimulatedCuda
{
    private SimulatedCuda()
    {
    }

    /**
     * Installs the simulated device.
     *
     * @param profileName the device profile.
     * @return the lookup answering the runtime's symbols.
     */
    public static SymbolLookup install(final String profileName)
    {
        throw new IllegalArgumentException("simulated device not available yet: " + profileName);
    }
}
