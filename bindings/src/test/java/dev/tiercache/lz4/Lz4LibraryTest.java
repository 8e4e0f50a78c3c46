package dev.tiercache.lz4;

import org.junit.jupiter.api.Test;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

class Lz4LibraryTest
{
    @Test
    void discover_none_turnsLibraryOffWithReason()
    {
        final Lz4Library.Discovery discovery = Lz4Library.discover(" none ", "liblz4.so.1", Lz4Library.SONAMES);

        assertFalse(discovery.available());
        assertTrue(discovery.description().contains("'none'"), discovery.description());
        assertEquals(0, discovery.versionNumber());
        assertTrue(discovery.lookup().find("LZ4_versionNumber").isEmpty());
    }

    @Test
    void discover_environmentNone_turnsLibraryOff()
    {
        assertFalse(Lz4Library.discover(null, "none", Lz4Library.SONAMES).available());
    }

    @Test
    void discover_nothingToTry_isUnavailableWithReason()
    {
        final Lz4Library.Discovery discovery = Lz4Library.discover(null, null, List.of());

        assertFalse(discovery.available());
        assertTrue(discovery.description().startsWith("no usable liblz4 found"), discovery.description());
    }

    @Test
    void discover_missingFile_isRecordedAndNeverThrows()
    {
        final Lz4Library.Discovery discovery =
            Lz4Library.discover("no-such-dir/liblz4.so.1", "\0bad", List.of("liblz4-not-there.so.7"));

        assertFalse(discovery.available());
        assertEquals(3, discovery.tried().size(), discovery.tried().toString());
        assertTrue(discovery.tried().get(0).startsWith("no-such-dir/liblz4.so.1: "), discovery.tried().toString());
    }

    @Test
    void discover_libraryWithoutLz4Symbols_isRefused()
    {
        final Lz4Library.Discovery discovery = Lz4Library.discover(null, null, List.of("libc.so.6"));

        assertFalse(discovery.available());
        assertEquals(List.of("libc.so.6: opened, but it has no LZ4_versionNumber"), discovery.tried());
    }

    @Test
    void discover_staleSetting_fallsThroughToSoname()
    {
        final Lz4Library.Discovery discovery = Lz4Library.discover("no-such-dir/liblz4.so.1", null, Lz4Library.SONAMES);
        assumeTrue(discovery.available(), "liblz4 is not installed here: " + discovery.description());

        assertTrue(discovery.tried().get(0).startsWith("no-such-dir/liblz4.so.1: "), discovery.tried().toString());
        assertTrue(discovery.versionNumber() >= Lz4Library.MIN_VERSION_NUMBER, discovery.description());
    }

    @Test
    void discover_bareNameSetting_goesThroughTheLoader()
    {
        final Lz4Library.Discovery discovery = Lz4Library.discover("liblz4.so.1", null, List.of());
        assumeTrue(discovery.available(), "liblz4 is not installed here: " + discovery.description());

        assertEquals("liblz4.so.1 (" + Lz4Library.versionString(discovery.versionNumber()) + ")", discovery.description());
    }

    @Test
    void versionString_isDotted()
    {
        assertEquals("1.9.4", Lz4Library.versionString(10904));
        assertEquals("1.10.0", Lz4Library.versionString(11000));
    }

    @Test
    void processWideDiscovery_reportsConsistently()
    {
        if (Lz4Library.isAvailable())
        {
            assertTrue(Lz4Library.versionNumber() >= Lz4Library.MIN_VERSION_NUMBER, Lz4Library.reason());
            assertEquals(Lz4Library.versionNumber(), lz4_h.LZ4_versionNumber());
            assertTrue(Lz4Library.reason().contains(Lz4Library.versionString()), Lz4Library.reason());
        }
        else
        {
            assertEquals("", Lz4Library.versionString());
            assertTrue(Lz4Library.symbolLookup().find("LZ4_compress_default").isEmpty());
        }
    }
}
