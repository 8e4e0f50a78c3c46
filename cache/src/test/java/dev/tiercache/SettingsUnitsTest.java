package dev.tiercache;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

import java.time.Duration;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

class SettingsUnitsTest
{
    @ParameterizedTest
    @CsvSource({
        "4GB, 4294967296",
        "4GiB, 4294967296",
        "4 gb, 4294967296",
        "512MB, 536870912",
        "1.5GiB, 1610612736",
        "100KiB, 102400",
        "100kb, 102400",
        "123B, 123",
        "2048, 2147483648",
        "0.5, 524288",
        "1T, 1099511627776",
        "0, 0"})
    void parseBytes_binaryUnits_andBareMegabytes(final String text, final long bytes)
    {
        assertEquals(bytes, SettingsUnits.parseBytes(text));
    }

    @ParameterizedTest
    @ValueSource(strings = {"", "GB", "-1GB", "4XB", "1,5GB", "1e3", "8388608TiB", "4 G B"})
    void parseBytes_rejectsWhatIsNotASize(final String text)
    {
        assertThrows(IllegalArgumentException.class, () -> SettingsUnits.parseBytes(text));
    }

    @ParameterizedTest
    @CsvSource({"600, PT10M", "500ms, PT0.5S", "30s, PT30S", "10m, PT10M", "2h, PT2H", "1d, PT24H", "0.25s, PT0.25S", "0, PT0S"})
    void parseDuration_unitsAndBareSeconds(final String text, final String iso)
    {
        assertEquals(Duration.parse(iso), SettingsUnits.parseDuration(text));
    }

    @ParameterizedTest
    @ValueSource(strings = {"soon", "-5s", "5 weeks", ""})
    void parseDuration_rejectsWhatIsNotADuration(final String text)
    {
        assertThrows(IllegalArgumentException.class, () -> SettingsUnits.parseDuration(text));
    }

    @ParameterizedTest
    @CsvSource({"0, 0 B", "1023, 1023 B", "1024, 1 KiB", "1536, 1.5 KiB", "1610612736, 1.5 GiB", "1099511627776, 1 TiB", "536870912, 512 MiB"})
    void formatBytes_largestBinaryUnit(final long bytes, final String text)
    {
        assertEquals(text, SettingsUnits.formatBytes(bytes));
    }

    @ParameterizedTest
    @CsvSource({"PT0S, 0 s", "PT600S, 10 min", "PT0.005S, 5 ms", "PT-0.000000001S, -1 ns", "PT2H, 2 h", "PT48H, 2 d", "PT0.000005S, 5 us",
        "PT0.000999999S, 999999 ns", "PT1.5S, 1500 ms", "PT-90S, -90 s"})
    void formatDuration_largestExactUnit(final String iso, final String text)
    {
        assertEquals(text, SettingsUnits.formatDuration(Duration.parse(iso)));
    }

    @ParameterizedTest
    @ValueSource(strings = {"0", "1ms", "1.5s", "10m", "2h", "3d", "0.25s"})
    void formatDuration_isReadBackAsTheSameDuration(final String text)
    {
        final Duration duration = SettingsUnits.parseDuration(text);
        final String formatted = SettingsUnits.formatDuration(duration).replace(" ", "").replace("us", "000ns");
        assertEquals(duration, formatted.endsWith("ns") ? Duration.ofNanos(Long.parseLong(formatted.replace("ns", ""))) :
            SettingsUnits.parseDuration(formatted));
    }
}
