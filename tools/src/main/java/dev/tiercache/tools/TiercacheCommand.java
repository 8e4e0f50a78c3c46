package dev.tiercache.tools;

import dev.tiercache.tools.simulate.SimulateCommand;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Spec;

/**
 * The {@code tiercache} command line: a picocli command whose subcommands are the tools.
 * Run without a subcommand it prints its usage and exits with the usage error code.
 */
@Command(
    name = "tiercache",
    mixinStandardHelpOptions = true,
    versionProvider = TiercacheCommand.Version.class,
    description = "Tools for the tiercache hierarchical cache.",
    subcommands = {SimulateCommand.class, ProfileCommand.class})
public final class TiercacheCommand implements Runnable
{
    @Spec
    CommandSpec spec;

    /**
     * Runs the command line and exits the JVM with its exit code.
     *
     * @param args the arguments.
     */
    public static void main(final String[] args)
    {
        System.exit(new CommandLine(new TiercacheCommand()).execute(args));
    }

    @Override
    public void run()
    {
        throw new CommandLine.ParameterException(spec.commandLine(), "missing subcommand");
    }

    /** Reports the version from the jar's manifest, or "dev" when run from classes. */
    static final class Version implements CommandLine.IVersionProvider
    {
        @Override
        public String[] getVersion()
        {
            final String version = TiercacheCommand.class.getPackage().getImplementationVersion();
            return new String[] {"tiercache " + (version == null ? "dev" : version)};
        }
    }
}
