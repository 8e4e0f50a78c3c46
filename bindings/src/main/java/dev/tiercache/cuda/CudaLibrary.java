package dev.tiercache.cuda;

import dev.tiercache.cuda.sim.SimulatedCuda;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.SymbolLookup;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * Finds the CUDA runtime library ({@code libcudart}) once per process and answers its symbols.
 *
 * <h2>Search order</h2>
 * An explicit setting (the property, else the environment variable) is final: when it names
 * nothing (a typo such as {@code sim:mx25}, a missing path) the GPU level is off with that reason,
 * which the cache logs and shows in its statistics, rather than quietly picking another runtime.
 * Without a setting, the first candidate below that opens is used, every attempt recorded; it
 * never throws:
 * <ol>
 *   <li>system property {@value #CUDART_PROP_NAME}: a file path, {@code sim:PROFILE} for
 *       {@link SimulatedCuda} (e.g. {@code sim:mx250}), or {@code none} to run without a GPU;</li>
 *   <li>environment variable {@value #CUDART_ENV_NAME}, same forms;</li>
 *   <li>{@code $CUDA_HOME} then {@code $CUDA_PATH}: their {@code lib64} and {@code lib} folders;</li>
 *   <li>the toolkit's standard folder {@code /usr/local/cuda/lib64};</li>
 *   <li>the versioned sonames {@code libcudart.so.13}, {@code .12}, {@code .11.0} through the dynamic
 *       loader's own path (distributions ship no unversioned {@code libcudart.so}).</li>
 * </ol>
 *
 * <h2>Why process-wide</h2>
 * The bindings in {@code dev.tiercache.cuda.raw} have jextract's shape: one static lookup, resolved
 * when a function is first called. So the choice is made once, before the first CUDA call, and is
 * reported by {@link #location()}. {@link SimulatedCuda} stays reconfigurable behind its stubs, so
 * tests can change the simulated device without a new process.
 */
public final class CudaLibrary
{
    /** System property naming the CUDA runtime: a path, {@code sim:PROFILE} or {@code none}. */
    public static final String CUDART_PROP_NAME = "tiercache.cudart";

    /** Environment variable with the same meaning as {@link #CUDART_PROP_NAME}. */
    public static final String CUDART_ENV_NAME = "TIERCACHE_CUDART";

    /** Prefix of a {@link #CUDART_PROP_NAME} value that selects the simulated device. */
    public static final String SIMULATED_PREFIX = "sim:";

    /** Value of {@link #CUDART_PROP_NAME} that turns the GPU level off. */
    public static final String NONE = "none";

    /** Sonames tried through the dynamic loader, newest runtime first. */
    static final List<String> SONAMES = List.of("libcudart.so.13", "libcudart.so.12", "libcudart.so.11.0");

    private static final SymbolLookup EMPTY_LOOKUP = name -> Optional.empty();

    /**
     * What discovery chose.
     *
     * @param kind        real library, simulated device, or nothing usable.
     * @param description the path or soname opened, the simulated profile, or why nothing was found.
     * @param tried       every candidate tried in order, each with its outcome.
     */
    public record Location(Kind kind, String description, List<String> tried)
    {
        /**
         * Copies the list.
         *
         * @param kind        real library, simulated device, or nothing usable.
         * @param description the path or soname opened, the simulated profile, or why nothing was found.
         * @param tried       every candidate tried in order, each with its outcome.
         */
        public Location
        {
            Objects.requireNonNull(kind, "kind");
            Objects.requireNonNull(description, "description");
            tried = List.copyOf(tried);
        }
    }

    /** The kinds of {@link Location}. */
    public enum Kind
    {
        /** A real {@code libcudart} was opened. */
        REAL,
        /** {@link SimulatedCuda} answers the symbols. */
        SIMULATED,
        /** No library: the GPU level is off. */
        NOT_FOUND
    }

    private CudaLibrary()
    {
    }

    /**
     * The process-wide lookup for the CUDA runtime's symbols; empty when none was found.
     *
     * @return the lookup chosen by discovery.
     */
    public static SymbolLookup symbolLookup()
    {
        return Holder.LOOKUP;
    }

    /**
     * Where the CUDA runtime was found, or why it was not.
     *
     * @return the outcome of discovery.
     */
    public static Location location()
    {
        return Holder.LOCATION;
    }

    /**
     * The process-wide lookup for the CUDA driver API's symbols ({@code libcuda.so.1}, installed by
     * the NVIDIA driver), used to load and launch kernels. It follows the runtime's choice: the
     * simulated device answers both APIs; a real runtime pairs with the system's driver library;
     * with no runtime, or no driver library, the lookup is empty.
     *
     * @return the lookup; empty when there is no driver API.
     */
    public static SymbolLookup driverSymbolLookup()
    {
        return DriverHolder.LOOKUP;
    }

    /**
     * Where the driver API was found, or why not.
     *
     * @return e.g. {@code libcuda.so.1}, {@code simulated device 'mx250'}, or the reason there is none.
     */
    public static String driverLocation()
    {
        return DriverHolder.DESCRIPTION;
    }

    /** The driver library's soname; the driver installs it, never the toolkit. */
    static final String DRIVER_SONAME = "libcuda.so.1";

    private static final class DriverHolder
    {
        static final SymbolLookup LOOKUP;
        static final String DESCRIPTION;

        static
        {
            final Location runtime = location();
            SymbolLookup lookup = EMPTY_LOOKUP;
            String description;
            switch (runtime.kind())
            {
                case SIMULATED ->
                {
                    lookup = symbolLookup();
                    description = runtime.description();
                }
                case REAL ->
                {
                    try
                    {
                        lookup = SymbolLookup.libraryLookup(DRIVER_SONAME, Arena.global());
                        description = DRIVER_SONAME;
                    }
                    catch (final IllegalArgumentException ex)
                    {
                        description = "no driver library: " + ex.getMessage();
                    }
                }
                default -> description = "no CUDA runtime, so no driver API: " + runtime.description();
            }
            LOOKUP = lookup;
            DESCRIPTION = description;
        }
    }

    private static final class Holder
    {
        static final Location LOCATION;
        static final SymbolLookup LOOKUP;

        static
        {
            final Discovery discovery = discover(
                System.getProperty(CUDART_PROP_NAME),
                System.getenv(CUDART_ENV_NAME),
                List.of(Optional.ofNullable(System.getenv("CUDA_HOME")), Optional.ofNullable(System.getenv("CUDA_PATH"))));
            LOCATION = discovery.location;
            LOOKUP = discovery.lookup;
        }
    }

    record Discovery(Location location, SymbolLookup lookup)
    {
    }

    /**
     * Runs the search of the class comment. Package-private so tests can give it settings.
     */
    static Discovery discover(final String property, final String environment, final List<Optional<String>> toolkitHomes)
    {
        final List<String> tried = new ArrayList<>();
        final String[] names = {CUDART_PROP_NAME, CUDART_ENV_NAME};
        final String[] settings = {property, environment};
        for (int i = 0; i < settings.length; i++)
        {
            final String setting = settings[i];
            if (setting == null || setting.isBlank())
            {
                continue;
            }
            final String value = setting.strip();
            final Discovery chosen = fromSetting(value, tried);
            if (chosen.location.kind() == Kind.NOT_FOUND && !NONE.equals(value))
            {
                // a setting that names nothing is a mistake to report, not a reason to look elsewhere
                final String reason = names[i] + "=" + value + " names no CUDA runtime: " + tried.get(tried.size() - 1) +
                    " (set a path to libcudart.so..., sim:PROFILE, or none)";
                return new Discovery(new Location(Kind.NOT_FOUND, reason, tried), EMPTY_LOOKUP);
            }
            return chosen;
        }
        return search(tried, toolkitHomes);
    }

    /** One explicit setting: none, sim:PROFILE, or a path. */
    private static Discovery fromSetting(final String value, final List<String> tried)
    {
        if (NONE.equals(value))
        {
            tried.add(value + ": GPU level turned off");
            return new Discovery(new Location(Kind.NOT_FOUND, "turned off by setting '" + NONE + "'", tried), EMPTY_LOOKUP);
        }
        if (value.startsWith(SIMULATED_PREFIX))
        {
            final String profileName = value.substring(SIMULATED_PREFIX.length());
            try
            {
                final SymbolLookup lookup = SimulatedCuda.install(profileName);
                tried.add(value + ": simulated");
                return new Discovery(
                    new Location(Kind.SIMULATED, "simulated device '" + profileName + "'", tried), lookup);
            }
            catch (final IllegalArgumentException ex)
            {
                tried.add(value + ": " + ex.getMessage());
                return new Discovery(new Location(Kind.NOT_FOUND, ex.getMessage(), tried), EMPTY_LOOKUP);
            }
        }
        final Path path;
        try
        {
            path = Path.of(value);
        }
        catch (final java.nio.file.InvalidPathException ex)
        {
            tried.add(value + ": not a path: " + ex.getMessage());
            return new Discovery(new Location(Kind.NOT_FOUND, tried.get(tried.size() - 1), tried), EMPTY_LOOKUP);
        }
        final Optional<SymbolLookup> lookup = open(path, tried);
        if (lookup.isPresent())
        {
            return new Discovery(new Location(Kind.REAL, value, tried), lookup.get());
        }
        return new Discovery(new Location(Kind.NOT_FOUND, tried.get(tried.size() - 1), tried), EMPTY_LOOKUP);
    }

    private static Discovery search(final List<String> tried, final List<Optional<String>> toolkitHomes)
    {
        final List<Path> folders = new ArrayList<>();
        for (final Optional<String> home : toolkitHomes)
        {
            home.filter(h -> !h.isBlank()).ifPresent(h ->
            {
                folders.add(Path.of(h, "lib64"));
                folders.add(Path.of(h, "lib"));
            });
        }
        folders.add(Path.of("/usr/local/cuda/lib64"));
        for (final Path folder : folders)
        {
            for (final String file : fileNames())
            {
                final Path candidate = folder.resolve(file);
                if (Files.exists(candidate))
                {
                    final Optional<SymbolLookup> lookup = open(candidate, tried);
                    if (lookup.isPresent())
                    {
                        return new Discovery(new Location(Kind.REAL, candidate.toString(), tried), lookup.get());
                    }
                }
            }
        }

        for (final String soname : SONAMES)
        {
            try
            {
                final SymbolLookup lookup = SymbolLookup.libraryLookup(soname, Arena.global());
                tried.add(soname + ": opened");
                return new Discovery(new Location(Kind.REAL, soname, tried), lookup);
            }
            catch (final IllegalArgumentException ex)
            {
                tried.add(soname + ": " + ex.getMessage());
            }
        }
        return new Discovery(
            new Location(Kind.NOT_FOUND, "no CUDA runtime library found (tried " + tried.size() + " candidates)", tried),
            EMPTY_LOOKUP);
    }

    private static List<String> fileNames()
    {
        final List<String> names = new ArrayList<>();
        names.add("libcudart.so");
        names.addAll(SONAMES);
        return names;
    }

    private static Optional<SymbolLookup> open(final Path path, final List<String> tried)
    {
        try
        {
            final SymbolLookup lookup = SymbolLookup.libraryLookup(path, Arena.global());
            final Optional<MemorySegment> probe = lookup.find("cudaGetDeviceCount");
            if (probe.isEmpty())
            {
                tried.add(path + ": opened, but it has no cudaGetDeviceCount");
                return Optional.empty();
            }
            tried.add(path + ": opened");
            return Optional.of(lookup);
        }
        catch (final IllegalArgumentException ex)
        {
            tried.add(path + ": " + ex.getMessage());
            return Optional.empty();
        }
    }
}
