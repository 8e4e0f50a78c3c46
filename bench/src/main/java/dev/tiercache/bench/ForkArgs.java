package dev.tiercache.bench;

/**
 * JVM flags every benchmark fork gets, as constants so that each {@code @Fork} names them.
 *
 * <p>The forks run on the JDK that started JMH, which is the one the build selected (25 here);
 * {@link #UNSAFE_ALLOW} exists from JDK 23 and silences JMH 1.37's own {@code sun.misc.Unsafe}
 * warning, fixed upstream but not yet released.
 */
public final class ForkArgs
{
    /** What users of the library pass on the class path. */
    public static final String NATIVE_ACCESS = "--enable-native-access=ALL-UNNAMED";

    /** Silences JMH's JEP 498 warning (JDK 23+). */
    public static final String UNSAFE_ALLOW = "--sun-misc-unsafe-memory-access=allow";

    /** The simulated mx250 answers every CUDA call, so L1 is measured on any machine. */
    public static final String SIMULATED_GPU = "-Dtiercache.cudart=sim:mx250";

    /** A modest heap: the machines these run on are shared. */
    public static final String HEAP = "-Xmx2g";

    private ForkArgs()
    {
    }
}
