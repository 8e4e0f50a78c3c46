package dev.tiercache.tools;

import dev.tiercache.RemoteSettings;
import dev.tiercache.remote.RemoteStore;
import dev.tiercache.remote.RemoteStoreException;
import dev.tiercache.remote.RemoteStores;
import dev.tiercache.store.FileStore;
import dev.tiercache.store.FileStoreException;
import dev.tiercache.store.FileStoreReport;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.Locale;
import java.util.concurrent.Callable;

/**
 * {@code tiercache inspect FILE}: what an L3 file's headers say (geometry, regions, entries, bytes,
 * compression ratio), read-only and without reading payloads. Exit code 0 when the file could be
 * read, 2 when it is missing or not a tiercache file.
 *
 * <p>{@code tiercache inspect --namespace NS [--remote URI]}: the entries and value bytes of an L4
 * namespace, counted with a scan of every node (the URI from {@code CACHE_REMOTE_URI} when not
 * given, so a password need not be on the command line). Exit code 3 when the server cannot be read.
 */
@Command(
    name = "inspect",
    mixinStandardHelpOptions = true,
    description = {"Show an L3 cache file's header, regions, entries, bytes and compression ratio.",
        "Read-only; payload checksums are not read (see 'verify')."},
    exitCodeListHeading = "%nExit codes:%n",
    exitCodeList = {"0:the file (and the L4 namespace) was read", "2:usage error, or the file is missing or not a tiercache L3 file",
        "3:the L4 server could not be read"})
public final class InspectCommand implements Callable<Integer>
{
    /** Exit code: the file is missing, unreadable or not a tiercache file (as a usage error). */
    public static final int EXIT_UNREADABLE = 2;

    @Spec
    CommandSpec spec;

    /** Exit code: the L4 server could not be reached or scanned. */
    public static final int EXIT_REMOTE_FAILED = 3;

    @Parameters(index = "0", arity = "0..1", paramLabel = "FILE", description = "The L3 file (as given to TierCache.Builder.file).")
    Path file;

    @Option(names = "--remote", paramLabel = "URI",
        description = "An L4 server: redis://host:port, rediss://..., redis-cluster://h1:p1,h2:p2 (default: $CACHE_REMOTE_URI).")
    String remoteUri;

    @Option(names = "--namespace", paramLabel = "NS", description = "The L4 namespace to count (default: $CACHE_REMOTE_NAMESPACE).")
    String namespace;

    @Option(names = "--tls-ca-file", paramLabel = "PEM",
        description = "For rediss://: the CA certificates to trust instead of the JVM's (default: $CACHE_REMOTE_TLS_CA_FILE).")
    Path tlsCaFile;

    @Override
    public Integer call()
    {
        final String uri = remoteUri != null ? remoteUri : System.getenv("CACHE_REMOTE_URI");
        final String ns = namespace != null ? namespace : System.getenv("CACHE_REMOTE_NAMESPACE");
        if (file == null && (uri == null || ns == null))
        {
            spec.commandLine().getErr().println("tiercache inspect: give a FILE, or an L4 --namespace (and --remote or CACHE_REMOTE_URI)");
            spec.commandLine().getErr().flush();
            return EXIT_UNREADABLE;
        }
        final String caFile = tlsCaFile != null ? tlsCaFile.toString() : System.getenv("CACHE_REMOTE_TLS_CA_FILE");
        final int remote = uri != null && ns != null ? inspectRemote(spec, uri, ns, caFile == null || caFile.isBlank() ? null : Path.of(caFile)) : 0;
        return file == null ? remote : Math.max(remote, inspectFile());
    }

    /**
     * Counts an L4 namespace's entries and bytes, showing progress on the error stream.
     *
     * @return 0, {@link #EXIT_UNREADABLE} for a bad URI or namespace, {@link #EXIT_REMOTE_FAILED}.
     */
    static int inspectRemote(final CommandSpec spec, final String uri, final String namespace)
    {
        return inspectRemote(spec, uri, namespace, null);
    }

    /**
     * Counts an L4 namespace's entries and bytes over TLS trusting a CA file, showing progress on
     * the error stream.
     *
     * @return 0, {@link #EXIT_UNREADABLE} for a bad URI, namespace or CA file, {@link #EXIT_REMOTE_FAILED}.
     */
    static int inspectRemote(final CommandSpec spec, final String uri, final String namespace, final Path caFile)
    {
        final PrintWriter out = spec.commandLine().getOut();
        final PrintWriter err = spec.commandLine().getErr();
        final RemoteSettings settings;
        try
        {
            settings = RemoteSettings.of(uri, namespace).withTimeout(Duration.ofSeconds(5)).withTlsCaFile(caFile);
        }
        catch (final IllegalArgumentException ex)
        {
            err.println("tiercache inspect: " + ex.getMessage());
            err.flush();
            return EXIT_UNREADABLE;
        }
        final String shown = RemoteSettings.redact(uri);
        try (RemoteStore store = RemoteStores.open(uri, shown, settings))
        {
            final long[] usage = store.usage(RemoteStores.prefix(namespace), counted -> {
                err.print("\rscanning " + shown + ": " + counted + " keys");
                err.flush();
            });
            err.print("\r");
            err.flush();
            out.printf(Locale.ROOT, "L4           %s%n", store.describe());
            out.printf(Locale.ROOT, "namespace    %s%n", namespace);
            out.printf(Locale.ROOT, "entries      %d%n", usage[0]);
            out.printf(Locale.ROOT, "bytes        %s (values, as stored: header, specs, key and payload)%n", bytes(usage[1]));
            out.printf(Locale.ROOT, "largest      %s per value accepted by the server%n", bytes(store.maxValueBytes()));
            out.flush();
            return 0;
        }
        catch (final RemoteStoreException | IllegalArgumentException ex)
        {
            err.println("tiercache inspect: " + ex.getMessage());
            err.flush();
            return ex instanceof RemoteStoreException ? EXIT_REMOTE_FAILED : EXIT_UNREADABLE;
        }
    }

    private int inspectFile()
    {
        final FileStoreReport report = scan(spec, file, false);
        if (report == null)
        {
            return EXIT_UNREADABLE;
        }
        final PrintWriter out = spec.commandLine().getOut();
        print(report, out);
        if (!report.clean())
        {
            out.println("note: the headers show problems; run 'tiercache verify " + file + "' for the full check");
        }
        out.flush();
        return 0;
    }

    /**
     * Runs the scan, or prints why it cannot.
     *
     * @return the report, or {@code null} after printing the reason on the error stream.
     */
    static FileStoreReport scan(final CommandSpec spec, final Path file, final boolean verify)
    {
        final PrintWriter err = spec.commandLine().getErr();
        final String command = "tiercache " + spec.name();
        if (!Files.isRegularFile(file))
        {
            err.println(command + ": " + file + (Files.exists(file) ? " is not a regular file" : ": no such file"));
            err.flush();
            return null;
        }
        try
        {
            return verify ? FileStore.verify(file) : FileStore.inspect(file);
        }
        catch (final FileStoreException ex)
        {
            err.println(command + ": " + ex.getMessage());
            err.flush();
            return null;
        }
    }

    /**
     * Prints the summary and the region table.
     */
    static void print(final FileStoreReport report, final PrintWriter out)
    {
        final long regionBytes = report.regionSizeBytes() * report.regionCount();
        out.printf(Locale.ROOT, "file         %s%n", report.path());
        out.printf(Locale.ROOT, "format       version %d, created %s%n", report.formatVersion(), Instant.ofEpochMilli(report.createdEpochMillis()));
        out.printf(Locale.ROOT, "geometry     %d regions x %s = %s, file %s (%s)%n", report.regionCount(), bytes(report.regionSizeBytes()),
            bytes(regionBytes), bytes(report.fileLengthBytes()),
            report.truncated() ? "TRUNCATED: needs " + report.expectedLengthBytes() + " bytes" : "complete");
        out.printf(Locale.ROOT, "lock         %s%n", report.inUseByOtherProcess() ?
            "held by another process (entries it is writing may show as bad)" : "free");
        out.printf(Locale.ROOT, "entries      %d live, %d removed, %d superseded, %d bad%n", report.liveEntries(), report.removedEntries(),
            report.supersededEntries(), report.badEntries().size());
        out.printf(Locale.ROOT, "bytes        %s raw, %s stored, compression ratio %.2f%n", bytes(report.liveRawBytes()),
            bytes(report.liveStoredBytes()), report.compressionRatio());
        out.printf(Locale.ROOT, "regions%n  %6s  %-7s %9s %12s %8s %6s %8s %5s  %s%n",
            "region", "state", "sequence", "write-limit", "entries", "live", "removed", "bad", "problem");
        for (final FileStoreReport.RegionReport region : report.regions())
        {
            out.printf(Locale.ROOT, "  %6d  %-7s %9d %12d %8d %6d %8d %5d  %s%n", region.index(), region.state(), region.sequence(),
                region.writeLimit(), region.entries(), region.liveEntries(), region.removedEntries(), region.badEntries(),
                region.problem());
        }
    }

    /**
     * A byte count for people: {@code 512 B}, {@code 3.0 KiB}, {@code 1.5 MiB}, {@code 2.00 GiB}.
     *
     * @param bytes the count.
     * @return the text.
     */
    static String bytes(final long bytes)
    {
        if (bytes < 1024)
        {
            return bytes + " B";
        }
        if (bytes < 1024L * 1024)
        {
            return String.format(Locale.ROOT, "%.1f KiB", bytes / 1024.0);
        }
        if (bytes < 1024L * 1024 * 1024)
        {
            return String.format(Locale.ROOT, "%.1f MiB", bytes / (1024.0 * 1024));
        }
        return String.format(Locale.ROOT, "%.2f GiB", bytes / (1024.0 * 1024 * 1024));
    }
}
