package dev.tiercache.tools;

import dev.tiercache.profile.HardwareProfile;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.concurrent.Callable;

/**
 * {@code tiercache profile}: prints this machine's hardware profile (or a named preset's) and the
 * level sizes, mover threads and transfer costs that follow from it, as text or as JSON.
 * Exit codes: 0 printed, 2 a usage error (an unknown preset lists the known ones).
 */
@Command(
    name = "profile",
    mixinStandardHelpOptions = true,
    description = {
        "Print the detected (or a named) hardware profile and the recommended level sizes.",
        "Detection reads /proc, the CUDA runtime and the L3 directory's file system."})
public final class ProfileCommand implements Callable<Integer>
{
    @Spec
    CommandSpec spec;

    @Option(names = "--preset", paramLabel = "NAME",
        description = "A named machine instead of this one: ${COMPLETION-CANDIDATES}.", completionCandidates = PresetNames.class)
    String preset;

    @Option(names = "--json", description = "Print JSON instead of text.")
    boolean json;

    @Option(names = "--l3", paramLabel = "DIR", description = "Directory the L3 file would live in (default: the temporary directory).")
    Path l3;

    /** The preset names, for the help text. */
    static final class PresetNames implements Iterable<String>
    {
        @Override
        public java.util.Iterator<String> iterator()
        {
            return HardwareProfile.presetNames().iterator();
        }
    }

    @Override
    public Integer call()
    {
        final HardwareProfile profile;
        if (preset != null)
        {
            if (l3 != null)
            {
                throw new ParameterException(spec.commandLine(), "--l3 applies to detection; a preset names its own disk");
            }
            try
            {
                profile = HardwareProfile.preset(preset);
            }
            catch (final IllegalArgumentException ex)
            {
                throw new ParameterException(spec.commandLine(),
                    "unknown preset '" + preset + "'; known presets: " + String.join(", ", HardwareProfile.presetNames()), ex, null, preset);
            }
        }
        else
        {
            profile = l3 == null ? HardwareProfile.detect() : HardwareProfile.detect(l3);
        }
        final PrintWriter out = spec.commandLine().getOut();
        out.print(json ? profile.toJson() : profile.describe());
        out.flush();
        return 0;
    }
}
