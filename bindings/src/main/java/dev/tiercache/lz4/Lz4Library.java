package dev.tiercache.lz4;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.SymbolLookup;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * Finds the LZ4 library ({@code liblz4}) once per process and answers its symbols for {@link lz4_h}.
 *
 * <h2>Search order</h2>
 * The first candidate that opens, exports every function {@link lz4_h} binds and is at least
 * version {@value #MIN_VERSION_NUMBER} is used; any other outcome is recorded and the search goes
 * on, so a stale setting degrades to the next candidate, never to an exception:
 * <ol>
 *   <li>system property {@value #LZ4_PROP_NAME}: a file path, a bare library name for the dynamic
 *       loader (e.g. {@code liblz4.so.1.9.4}), or {@code none} to use the pure-Java codec;</li>
 *   <li>environment variable {@value #LZ4_ENV_NAME}, same forms;</li>
 *   <li>the soname {@code liblz4.so.1} through the dynamic loader's own path (the runtime package
 *       of every major distribution ships it), then the development link {@code liblz4.so}.</li>
 * </ol>
 *
 * <h2>Why a minimum version</h2>
 * liblz4 before 1.9.2 can overflow a heap buffer when compressing large inputs through
 * {@code LZ4_compress_fast}, which {@code LZ4_compress_default} calls (CVE-2019-17543). Such a
 * library is refused with that reason rather than trusted with the file store's data.
 *
 * <h2>Why optional</h2>
 * liblz4 only makes LZ4 faster: the same block format has a pure-Java implementation. So absence
 * is a normal state with a {@link #reason()}, and nothing here throws. {@link lz4_h} must only be
 * touched when {@link #isAvailable()} is {@code true}; otherwise its symbols do not resolve.
 */
public final class Lz4Library
{
    /** System property naming the LZ4 library: a path, a library name, or {@link #NONE}. */
    public static final String LZ4_PROP_NAME = "tiercache.lz4";

    /** Environment variable with the same meaning as {@link #LZ4_PROP_NAME}. */
    public static final String LZ4_ENV_NAME = "TIERCACHE_LZ4";

    /** Value of {@link #LZ4_PROP_NAME} that leaves liblz4 unused. */
    public static final String NONE = "none";

    /** The oldest accepted library, as {@code LZ4_versionNumber()} reports it: 1.9.2. */
    public static final int MIN_VERSION_NUMBER = 10902;

    /** Names tried through the dynamic loader, the runtime soname first. */
    static final List<String> SONAMES = List.of("liblz4.so.1", "liblz4.so");

    /** Every function {@link lz4_h} binds; a candidate must export all of them. */
    static final List<String> SYMBOLS =
        List.of("LZ4_versionNumber", "LZ4_compressBound", "LZ4_compress_default", "LZ4_decompress_safe");

    private static final SymbolLookup EMPTY_LOOKUP = name -> Optional.empty();

    private Lz4Library()
    {
    }

    /**
     * Whether a usable liblz4 was found; when not, {@link #reason()} says why.
     *
     * @return {@code true} when {@link lz4_h} can be called.
     */
    public static boolean isAvailable()
    {
        return Holder.DISCOVERY.available();
    }

    /**
     * Why liblz4 is not used, or, when it is, what was opened.
     *
     * @return e.g. {@code "liblz4.so.1 (1.9.4)"} or {@code "turned off by setting 'none'"}.
     */
    public static String reason()
    {
        return Holder.DISCOVERY.description();
    }

    /**
     * The library's version as {@code LZ4_versionNumber()} reports it.
     *
     * @return e.g. {@code 10904} for 1.9.4, or {@code 0} when no library is used.
     */
    public static int versionNumber()
    {
        return Holder.DISCOVERY.versionNumber();
    }

    /**
     * The library's version in dotted form.
     *
     * @return e.g. {@code "1.9.4"}, or an empty string when no library is used.
     */
    public static String versionString()
    {
        final int number = versionNumber();
        return 0 == number ? "" : versionString(number);
    }

    /**
     * Every candidate tried, in order, each with its outcome; for diagnostics.
     *
     * @return an unmodifiable list of {@code "candidate: outcome"} lines.
     */
    public static List<String> tried()
    {
        return Holder.DISCOVERY.tried();
    }

    /**
     * The process-wide lookup for liblz4's symbols; empty when none was found.
     *
     * @return the lookup chosen by discovery.
     */
    public static SymbolLookup symbolLookup()
    {
        return Holder.DISCOVERY.lookup();
    }

    static String versionString(final int number)
    {
        return (number / 10000) + "." + (number / 100 % 100) + "." + (number % 100);
    }

    private static final class Holder
    {
        static final Discovery DISCOVERY =
            discover(System.getProperty(LZ4_PROP_NAME), System.getenv(LZ4_ENV_NAME), SONAMES);
    }

    /**
     * What discovery chose.
     *
     * @param available     whether {@code lookup} answers every symbol of {@link #SYMBOLS}.
     * @param description   what was opened, or why nothing was.
     * @param versionNumber the library's {@code LZ4_versionNumber()}, {@code 0} when none.
     * @param tried         every candidate tried in order, each with its outcome.
     * @param lookup        the library's symbols, or an empty lookup.
     */
    record Discovery(boolean available, String description, int versionNumber, List<String> tried, SymbolLookup lookup)
    {
        Discovery
        {
            Objects.requireNonNull(description, "description");
            Objects.requireNonNull(lookup, "lookup");
            tried = List.copyOf(tried);
        }
    }

    /**
     * Runs the search of the class comment. Package-private so tests can give it settings.
     */
    static Discovery discover(final String property, final String environment, final List<String> sonames)
    {
        final List<String> tried = new ArrayList<>();
        for (final String setting : new String[] {property, environment})
        {
            if (null == setting || setting.isBlank())
            {
                continue;
            }
            final String value = setting.strip();
            if (NONE.equals(value))
            {
                tried.add(value + ": liblz4 turned off");
                return new Discovery(false, "turned off by setting '" + NONE + "'", 0, tried, EMPTY_LOOKUP);
            }
            final Optional<Discovery> opened = open(value, value.indexOf('/') >= 0, tried);
            if (opened.isPresent())
            {
                return opened.get();
            }
        }
        for (final String soname : sonames)
        {
            final Optional<Discovery> opened = open(soname, false, tried);
            if (opened.isPresent())
            {
                return opened.get();
            }
        }
        return new Discovery(
            false, "no usable liblz4 found (tried " + tried.size() + " candidates: " + String.join("; ", tried) + ")",
            0, tried, EMPTY_LOOKUP);
    }

    private static Optional<Discovery> open(final String name, final boolean isPath, final List<String> tried)
    {
        try
        {
            final SymbolLookup lookup = isPath ?
                SymbolLookup.libraryLookup(Path.of(name), Arena.global()) :
                SymbolLookup.libraryLookup(name, Arena.global());
            for (final String symbol : SYMBOLS)
            {
                if (lookup.find(symbol).isEmpty())
                {
                    tried.add(name + ": opened, but it has no " + symbol);
                    return Optional.empty();
                }
            }
            final int versionNumber = versionNumber(lookup.find("LZ4_versionNumber").orElseThrow());
            if (versionNumber < MIN_VERSION_NUMBER)
            {
                tried.add(name + ": version " + versionString(versionNumber) + " < " +
                    versionString(MIN_VERSION_NUMBER) + " (CVE-2019-17543)");
                return Optional.empty();
            }
            final String version = versionString(versionNumber);
            tried.add(name + ": opened, version " + version);
            return Optional.of(new Discovery(true, name + " (" + version + ")", versionNumber, tried, lookup));
        }
        catch (final RuntimeException ex)
        {
            // IllegalArgumentException when it cannot be opened, IllegalCallerException when native
            // access is denied, InvalidPathException for a malformed setting: all mean "not this one".
            tried.add(name + ": " + ex);
            return Optional.empty();
        }
    }

    /**
     * Asks the candidate itself, not {@link lz4_h}: that class resolves its symbols through
     * {@link #symbolLookup()}, which is what discovery is still deciding.
     */
    private static int versionNumber(final MemorySegment function)
    {
        final MethodHandle handle = Linker.nativeLinker().downcallHandle(function, FunctionDescriptor.of(ValueLayout.JAVA_INT));
        try
        {
            return (int)handle.invokeExact();
        }
        catch (final Throwable ex)
        {
            throw new IllegalStateException("LZ4_versionNumber failed", ex);
        }
    }
}
