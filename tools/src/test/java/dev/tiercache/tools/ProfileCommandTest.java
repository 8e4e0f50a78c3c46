package dev.tiercache.tools;

import dev.tiercache.profile.HardwareProfile;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Path;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** {@code tiercache profile} run in-process: output and exit code. */
class ProfileCommandTest
{
    @TempDir
    Path dir;

    private final StringWriter out = new StringWriter();
    private final StringWriter err = new StringWriter();

    private int execute(final String... args)
    {
        final CommandLine commandLine = new CommandLine(new ProfileCommand());
        commandLine.setOut(new PrintWriter(out));
        commandLine.setErr(new PrintWriter(err));
        return commandLine.execute(args);
    }

    @Test
    void preset_printsFiguresAndRecommendedSizes()
    {
        assertEquals(0, execute("--preset", HardwareProfile.LAPTOP_PRESET), err.toString());
        final String text = out.toString();
        assertTrue(text.contains("profile      i5-10210u-sm61-nvme"), text);
        assertTrue(text.contains("Intel(R) Core(TM) i5-10210U CPU @ 1.60GHz, 1 socket, 4 cores, 8 threads"), text);
        assertTrue(text.contains("NVIDIA GeForce MX250 [0000:02:00.0], compute 6.1, 3 SMs, 2 GiB"), text);
        assertTrue(text.contains("recommended  L1 1.43 GiB, L2 1.25 GiB, L3 100 GiB, 1 mover thread"), text);
    }

    @Test
    void presetJson_hasEveryPromisedKey()
    {
        assertEquals(0, execute("--preset", HardwareProfile.SERVER_PRESET, "--json"), err.toString());
        final String json = out.toString();
        assertEquals("224", number(json, "threads"));
        assertEquals("112", number(json, "physicalCores"));
        assertEquals(String.valueOf(1L << 40), number(json, "totalBytes"));
        assertEquals("2", number(json, "moverThreads"));
        assertTrue(json.contains("\"computeCapability\": \"9.0\""), json);
        assertTrue(json.contains("\"available\": true"), json);
        assertTrue(json.contains("\"reason\": null"), json);
        assertTrue(json.contains("\"rotational\": false"), json);
        assertKeys(json);
    }

    @Test
    void detected_json_describesThisMachine()
    {
        assertEquals(0, execute("--json", "--l3", dir.toString()), err.toString());
        final String json = out.toString();
        assertKeys(json);
        assertTrue(json.contains("\"directory\": \"" + dir + "\""), json);
        assertTrue(json.contains("\"available\": true") || json.matches("(?s).*\"available\": false,\\s*\"reason\": \"[^\"]+\".*"), json);
    }

    @Test
    void detected_text_isTheDefault()
    {
        assertEquals(0, execute("--l3", dir.toString()), err.toString());
        assertTrue(out.toString().startsWith("profile      detected\n"), out.toString());
    }

    @Test
    void unknownPreset_exitsWithTwoAndListsTheKnownOnes()
    {
        assertEquals(2, execute("--preset", "cray-1"));
        final String message = err.toString();
        assertTrue(message.contains("unknown preset 'cray-1'; known presets: i5-10210u-sm61-nvme, xeon-h100-nvme"), message);
        assertEquals("", out.toString());
    }

    @Test
    void presetWithL3_isAUsageError()
    {
        assertEquals(2, execute("--preset", HardwareProfile.LAPTOP_PRESET, "--l3", dir.toString()));
        assertTrue(err.toString().contains("--l3 applies to detection"), err.toString());
    }

    @Test
    void help_listsTheOptionsAndPresets()
    {
        assertEquals(0, execute("--help"));
        final String help = out.toString();
        for (final String expected : List.of("Usage: profile", "--preset=NAME", "--json", "--l3=DIR", "i5-10210u-sm61-nvme", "xeon-h100-nvme"))
        {
            assertTrue(help.contains(expected), help);
        }
    }

    private static void assertKeys(final String json)
    {
        for (final String key : List.of("\"cpu\"", "\"model\"", "\"physicalCores\"", "\"threads\"", "\"memory\"", "\"totalBytes\"",
            "\"gpu\"", "\"available\"", "\"reason\"", "\"devices\"", "\"disk\"", "\"freeBytes\"", "\"rotational\"", "\"recommended\"",
            "\"l1Bytes\"", "\"l2Bytes\"", "\"l3Bytes\"", "\"moverThreads\""))
        {
            assertTrue(json.contains(key + ": "), key + " missing in " + json);
        }
        assertTrue(json.strip().startsWith("{") && json.strip().endsWith("}"), json);
    }

    private static String number(final String json, final String key)
    {
        final Matcher matcher = Pattern.compile("\"" + key + "\": (-?\\d+)").matcher(json);
        assertTrue(matcher.find(), key + " missing in " + json);
        return matcher.group(1);
    }
}
