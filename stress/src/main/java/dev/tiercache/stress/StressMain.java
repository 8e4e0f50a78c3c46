package dev.tiercache.stress;

import java.io.FileOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collection;
import java.util.List;
import java.util.SortedSet;
import java.util.TreeSet;

import org.openjdk.jcstress.JCStress;
import org.openjdk.jcstress.Options;
import org.openjdk.jcstress.infra.Status;
import org.openjdk.jcstress.infra.collectors.DiskReadCollector;
import org.openjdk.jcstress.infra.collectors.InProcessCollector;
import org.openjdk.jcstress.infra.collectors.TestResult;

/**
 * Runs jcstress with the given options and exits with a verdict a build can act on.
 *
 * <p>jcstress 0.16 ends a run with a failed or erred test by throwing an {@link AssertionError}
 * ("TEST FAILURES", after printing its reports), so its own {@code Main} exits 1 then; but it exits
 * 0 when a selected test produced no result at all (not scheduled, say, because it has more actors
 * than {@code -c} allows) or when the selection matched nothing. This class catches that error,
 * reads back the result file jcstress wrote, and exits {@code 1} when any result is graded failed
 * (a {@code FORBIDDEN} outcome was seen, or one that no {@code @Outcome} names), when any result's
 * status is not {@code NORMAL} (an exception in an actor, a crashed or timed-out fork), when a
 * selected test has no result, or when nothing was selected; {@code 2} when the options do not parse.
 *
 * <p>With a first argument {@code --log=FILE}, jcstress's own console output (thousands of lines)
 * goes to that file, and the console gets one summary line plus, for each failed result, its JVM
 * flags and outcome counts. It is an argument, not a system property, because jcstress hands the
 * host JVM's flags on to every fork.
 */
public final class StressMain
{
    private static final String LOG_ARG = "--log=";

    private StressMain()
    {
    }

    /**
     * Runs the tests and exits with the verdict.
     *
     * @param args {@code --log=FILE} optionally, then jcstress's options (see {@code -h}).
     * @throws Exception when jcstress cannot run or its result file cannot be read.
     */
    public static void main(final String[] args) throws Exception
    {
        final PrintStream console = System.out;
        String[] jcstressArgs = args;
        if (args.length > 0 && args[0].startsWith(LOG_ARG))
        {
            final Path log = Path.of(args[0].substring(LOG_ARG.length())).toAbsolutePath();
            Files.createDirectories(log.getParent());
            System.setOut(new PrintStream(new FileOutputStream(log.toFile()), true, StandardCharsets.UTF_8));
            console.println("tiercache stress: jcstress output in " + log);
            jcstressArgs = Arrays.copyOfRange(args, 1, args.length);
        }
        final Options options = new Options(jcstressArgs);
        if (!options.parse())
        {
            System.exit(2);
        }
        final JCStress jcstress = new JCStress(options);
        final SortedSet<String> selected = jcstress.getTests();
        try
        {
            jcstress.run();
        }
        catch (final AssertionError failures)
        {
            // jcstress's "TEST FAILURES" list; the verdict below reports the same from the result file
            System.out.println(failures.getMessage());
        }
        System.out.flush();
        System.setOut(console);

        final InProcessCollector results = new InProcessCollector();
        // no file when no test could be scheduled ("FATAL: No matching tests."): all are missing
        if (Files.exists(Path.of(options.getResultFile())))
        {
            final DiskReadCollector reader = new DiskReadCollector(options.getResultFile(), results);
            try
            {
                reader.dump();
            }
            finally
            {
                reader.close();
            }
        }
        final int status = verdict(selected, results.getTestResults(), console);
        console.println("tiercache stress: report in " + Path.of(options.getResultDest()).toAbsolutePath());
        System.exit(status);
    }

    private static int verdict(final SortedSet<String> selected, final Collection<TestResult> results, final PrintStream out)
    {
        final List<String> failed = new ArrayList<>();
        final SortedSet<String> missing = new TreeSet<>(selected);
        for (final TestResult result : results)
        {
            missing.remove(result.getName());
            final boolean normal = result.status() == Status.NORMAL;
            if (normal && result.grading().isPassed)
            {
                continue;
            }
            final StringBuilder why = new StringBuilder("  FAILED  ").append(result.getName())
                .append(" status=").append(result.status())
                .append(" jvmArgs=").append(result.getConfig().jvmArgs);
            for (final String state : new TreeSet<>(result.getStateKeys()))
            {
                why.append(System.lineSeparator()).append("          [").append(state).append("] x")
                    .append(result.getCount(state));
            }
            if (normal)
            {
                result.grading().failureMessages.forEach(m -> why.append(System.lineSeparator()).append("          ").append(m));
            }
            else
            {
                result.getMessages().forEach(m -> why.append(System.lineSeparator()).append("          ").append(m));
            }
            failed.add(why.toString());
        }
        out.println("tiercache stress: tests=" + selected.size() + " results=" + results.size() +
            " failed=" + failed.size() + " missing=" + missing.size());
        failed.forEach(out::println);
        missing.forEach(name -> out.println("  MISSING " + name + " (no result: not scheduled, or the run broke off)"));
        return selected.isEmpty() || !failed.isEmpty() || !missing.isEmpty() ? 1 : 0;
    }
}
