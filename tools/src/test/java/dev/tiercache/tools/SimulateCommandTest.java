package dev.tiercache.tools;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class SimulateCommandTest
{
    @TempDir
    Path dir;

    private final StringWriter out = new StringWriter();
    private final StringWriter err = new StringWriter();

    private int execute(final String... args)
    {
        final CommandLine commandLine = new CommandLine(new TiercacheCommand());
        commandLine.setOut(new PrintWriter(out));
        commandLine.setErr(new PrintWriter(err));
        return commandLine.execute(args);
    }

    @Test
    void epochsWorkload_printsATableOfAllPolicies()
    {
        assertEquals(0, execute("simulate", "--workload", "epochs:5000,5,1", "--capacity", "20%"), err.toString());
        final String table = out.toString();
        assertTrue(table.contains("25000 requests, 5000 distinct keys"), table);
        assertTrue(table.matches("(?s).*opt\\s+1000\\s+25000\\s+4000\\s+21000\\s+16\\.000.*"), table);
        for (final String policy : new String[] {"lru", "fifo", "wtinylfu", "default"})
        {
            assertTrue(table.contains("\n" + policy + " "), table);
        }
        assertTrue(err.toString().contains("simulate: epochs:5000,5,1 lru capacity=1000"), err.toString());
    }

    @Test
    void traceFile_withJson_andCapacityList() throws IOException
    {
        final Path trace = dir.resolve("small.trace");
        Files.writeString(trace, "1\n2\n1\n3\n1\n2\n");
        assertEquals(0, execute("simulate", "--trace", trace.toString(), "--format", "lirs", "--policy", "lru,opt",
            "--capacity", "1,2", "--json"), err.toString());
        final String json = out.toString().strip();
        assertTrue(json.startsWith("{\"trace\":\"small\",\"requests\":6,\"distinctKeys\":3,"), json);
        assertTrue(json.contains("{\"policy\":\"lru\",\"capacity\":2,\"requests\":6,\"hits\":2,\"misses\":4"), json);
        assertTrue(json.contains("{\"policy\":\"opt\",\"capacity\":2,\"requests\":6,\"hits\":3,"), json);
    }

    @Test
    void csvTrace_reportsByteHitRatio() throws IOException
    {
        final Path trace = dir.resolve("sized.csv");
        Files.writeString(trace, "1,10\n2,500\n1,10\n2,500\n");
        assertEquals(0, execute("simulate", "--trace", trace.toString(), "--format", "csv", "--policy", "lru",
            "--capacity", "100"), err.toString());
        assertTrue(out.toString().contains("byte-hit%"), out.toString());
        assertTrue(out.toString().matches("(?s).*lru\\s+100\\s+4\\s+1\\s+3\\s+25\\.000\\s+0\\.980.*"), out.toString());
    }

    @Test
    void csvTrace_acceptsCapacitiesWithUnits_andEntryTracesRejectThem() throws IOException
    {
        final Path trace = dir.resolve("sized.csv");
        Files.writeString(trace, "1,1048576\n2,1048576\n1,1048576\n3,1048576\n1,1048576\n2,1048576\n");
        assertEquals(0, execute("simulate", "--trace", trace.toString(), "--format", "csv", "--policy", "lru,caffeine",
            "--capacity", "2MiB,1.5MiB,3145728", "--json"), err.toString());
        final String json = out.toString();
        assertTrue(json.contains("{\"policy\":\"lru\",\"capacity\":2097152,\"requests\":6,\"hits\":2,"), json);
        assertTrue(json.contains("{\"policy\":\"lru\",\"capacity\":1572864,\"requests\":6,\"hits\":0,"), json);
        assertTrue(json.contains("{\"policy\":\"lru\",\"capacity\":3145728,\"requests\":6,\"hits\":3,"), json);
        assertTrue(json.contains("{\"policy\":\"caffeine\",\"capacity\":3145728,\"requests\":6,\"hits\":3,"), json);

        assertEquals(2, execute("simulate", "--workload", "epochs:10,2,1", "--capacity", "512MiB"));
        assertTrue(err.toString().contains("capacity=512MiB is a size in bytes, but trace epochs:10,2,1 counts entries"), err.toString());
        assertEquals(2, execute("simulate", "--trace", trace.toString(), "--format", "csv", "--capacity", "2XB"));
        assertTrue(err.toString().contains("capacity=2XB"), err.toString());
    }

    @Test
    void badArguments_exitWithUsageError()
    {
        assertEquals(2, execute("simulate", "--workload", "epochs:10,2,1", "--capacity", "5", "--policy", "arc"));
        assertTrue(err.toString().contains("policy=arc"), err.toString());
        assertEquals(2, execute("simulate", "--capacity", "5"));
        assertEquals(2, execute("simulate", "--workload", "epochs:10,2", "--capacity", "5"));
        assertEquals(2, execute("simulate", "--workload", "epochs:10,2,1", "--capacity", "lots"));
        assertEquals(2, execute());
    }

    @Test
    void missingTraceFile_exitsWithIoError()
    {
        assertEquals(1, execute("simulate", "--trace", dir.resolve("absent.gz").toString(), "--capacity", "5"));
        assertTrue(err.toString().contains("cannot read trace"), err.toString());
    }

    @Test
    void help_andVersion_exitZero()
    {
        assertEquals(0, execute("--help"));
        assertTrue(out.toString().contains("simulate"), out.toString());
        assertEquals(0, execute("simulate", "--help"));
        assertEquals(0, execute("--version"));
    }
}
