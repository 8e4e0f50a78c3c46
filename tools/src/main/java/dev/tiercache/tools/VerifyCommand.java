package dev.tiercache.tools;

import dev.tiercache.store.FileStoreReport;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.concurrent.Callable;

/**
 * {@code tiercache verify FILE}: reads every entry of an L3 file and checks its header and payload
 * checksums (CRC32C), read-only. Lists every bad entry with its location and the check it failed.
 * Exit code 0 only when the file is complete and every entry is intact, 1 when anything is bad,
 * 2 when the file is missing or not a tiercache file.
 */
@Command(
    name = "verify",
    mixinStandardHelpOptions = true,
    description = {"Check every entry's checksums in an L3 cache file and list the bad ones.", "Read-only."},
    exitCodeListHeading = "%nExit codes:%n",
    exitCodeList = {"0:every entry is intact and the file is complete", "1:some entry, region header or the file length is bad",
        "2:usage error, or the file is missing or not a tiercache L3 file"})
public final class VerifyCommand implements Callable<Integer>
{
    /** Exit code: something in the file is bad. */
    public static final int EXIT_BAD = 1;

    @Spec
    CommandSpec spec;

    @Parameters(index = "0", paramLabel = "FILE", description = "The L3 file.")
    Path file;

    @Option(names = {"-q", "--quiet"}, description = "Print only the verdict and the bad entries, not the summary.")
    boolean quiet;

    @Override
    public Integer call()
    {
        final FileStoreReport report = InspectCommand.scan(spec, file, true);
        if (report == null)
        {
            return InspectCommand.EXIT_UNREADABLE;
        }
        final PrintWriter out = spec.commandLine().getOut();
        if (!quiet)
        {
            InspectCommand.print(report, out);
        }
        if (report.inUseByOtherProcess())
        {
            out.println("warning: another process holds the file's lock; entries it is writing may show as bad");
        }
        if (!report.badEntries().isEmpty())
        {
            out.println("bad entries");
            for (final FileStoreReport.BadEntry bad : report.badEntries())
            {
                out.println("  location " + bad.location() + ": " + bad.reason());
            }
        }
        for (final FileStoreReport.RegionReport region : report.regions())
        {
            if (region.state() == FileStoreReport.RegionState.CORRUPT || region.state() == FileStoreReport.RegionState.MISSING)
            {
                out.println("bad region " + region.index() + " (" + region.state() + "): " + region.problem());
            }
        }
        final int code;
        if (report.clean())
        {
            out.println("verify: OK: " + report.liveEntries() + " live entries, every checksum intact");
            code = 0;
        }
        else
        {
            out.println("verify: FAILED: " + report.badEntries().size() + " bad entries" + (report.truncated() ? ", file truncated" : "") +
                "; " + report.liveEntries() + " intact live entries");
            code = EXIT_BAD;
        }
        out.flush();
        return code;
    }
}
