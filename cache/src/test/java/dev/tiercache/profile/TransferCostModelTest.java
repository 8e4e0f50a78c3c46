package dev.tiercache.profile;

import dev.tiercache.SettingsUnits;
import dev.tiercache.Tier;
import org.junit.jupiter.api.Test;

import java.util.EnumMap;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class TransferCostModelTest
{
    private static final long MIB = SettingsUnits.MIB;

    private final TransferCostModel laptop = HardwareProfile.preset(HardwareProfile.LAPTOP_PRESET).transferCosts();

    @Test
    void cost_isLatencyPlusBytesOverBandwidth()
    {
        final TransferCostModel.LinkCost link = new TransferCostModel.LinkCost(1_000, 1e9);
        assertEquals(0, link.costNanos(0));
        assertEquals(1_001, link.costNanos(1));
        assertEquals(1_000 + 1_048_576, link.costNanos(MIB));
        assertThrows(IllegalArgumentException.class, () -> link.costNanos(-1));
        assertThrows(IllegalArgumentException.class, () -> new TransferCostModel.LinkCost(-1, 1e9));
        assertThrows(IllegalArgumentException.class, () -> new TransferCostModel.LinkCost(0, 0));
        assertEquals(Long.MAX_VALUE, TransferCostModel.LinkCost.unavailable().costNanos(1));
        assertEquals(Long.MAX_VALUE, new TransferCostModel.LinkCost(0, 1e-3).costNanos(Long.MAX_VALUE));
    }

    @Test
    void laptop_gpuLinkAndDisk_haveAboutTheSameBandwidth()
    {
        final long hostToDevice = laptop.moveCostNanos(Tier.HOST, Tier.DEVICE, 64 * MIB);
        final long fileToHost = laptop.moveCostNanos(Tier.FILE, Tier.HOST, 64 * MIB);
        final double ratio = (double)Math.max(hostToDevice, fileToHost) / Math.min(hostToDevice, fileToHost);
        assertTrue(ratio < 1.4, "L2->L1 " + hostToDevice + " ns vs L3->L2 " + fileToHost + " ns");
        assertEquals(3.94e9 * HardwareProfile.PCIE_EFFICIENCY, laptop.link(TransferCostModel.Link.HOST_TO_DEVICE).bytesPerSecond(), 1.0);
        assertEquals(HardwareProfile.SINGLE_THREAD_COPY_MAX_BYTES_PER_SECOND,
            HardwareProfile.preset(HardwareProfile.SERVER_PRESET).transferCosts().link(TransferCostModel.Link.MEMORY_COPY).bytesPerSecond());
    }

    @Test
    void moves_betweenL3AndL1_takeBothLinks()
    {
        final long bytes = 8 * MIB;
        assertEquals(0, laptop.moveCostNanos(Tier.HOST, Tier.HOST, bytes));
        assertEquals(laptop.costNanos(TransferCostModel.Link.DISK_TO_HOST, bytes) + laptop.costNanos(TransferCostModel.Link.HOST_TO_DEVICE, bytes),
            laptop.moveCostNanos(Tier.FILE, Tier.DEVICE, bytes));
        assertEquals(laptop.costNanos(TransferCostModel.Link.DEVICE_TO_HOST, bytes) + laptop.costNanos(TransferCostModel.Link.HOST_TO_DISK, bytes),
            laptop.moveCostNanos(Tier.DEVICE, Tier.FILE, bytes));
        assertEquals(0, laptop.accessCostNanos(Tier.DEVICE, bytes));
        assertEquals(laptop.moveCostNanos(Tier.FILE, Tier.DEVICE, bytes), laptop.accessCostNanos(Tier.FILE, bytes));
        assertEquals(laptop.costNanos(TransferCostModel.Link.DEVICE_TO_HOST, bytes), laptop.withConsumer(Tier.HOST).accessCostNanos(Tier.DEVICE, bytes));
    }

    @Test
    void promotion_paysOnlyWithEnoughExpectedHits()
    {
        final long bytes = 4 * MIB;
        assertFalse(laptop.promotionPays(Tier.HOST, Tier.DEVICE, bytes, 0));
        assertFalse(laptop.promotionPays(Tier.HOST, Tier.DEVICE, bytes, 1.5), "one hit saves one copy; the move and the victim cost two");
        assertTrue(laptop.promotionPays(Tier.HOST, Tier.DEVICE, bytes, 3));
        assertTrue(laptop.promotionGainNanos(Tier.HOST, Tier.DEVICE, bytes, 1.5, false) > 0, "into free room one and a half hits pay");
        final double breakEven = laptop.breakEvenHits(Tier.HOST, Tier.DEVICE, bytes);
        assertEquals(2.0, breakEven, 1e-9);
        assertFalse(laptop.promotionPays(Tier.HOST, Tier.DEVICE, bytes, breakEven - 1e-6));
        assertTrue(laptop.promotionPays(Tier.HOST, Tier.DEVICE, bytes, breakEven + 1e-6));
        assertThrows(IllegalArgumentException.class, () -> laptop.promotionPays(Tier.DEVICE, Tier.HOST, bytes, 5));
        assertThrows(IllegalArgumentException.class, () -> laptop.promotionPays(Tier.FILE, Tier.HOST, bytes, -1));
    }

    @Test
    void withoutGpu_promotionToDevice_neverPays()
    {
        final HardwareProfile laptop = HardwareProfile.preset(HardwareProfile.LAPTOP_PRESET);
        final TransferCostModel noGpu =
            HardwareProfile.of("cpu only", laptop.cpu(), laptop.memory(), GpuInfo.none("no driver"), laptop.disk()).transferCosts();
        assertEquals(Tier.HOST, noGpu.consumer());
        assertFalse(noGpu.promotionPays(Tier.HOST, Tier.DEVICE, MIB, 1e9));
        assertTrue(noGpu.promotionPays(Tier.FILE, Tier.HOST, MIB, 10));
        assertEquals(Double.POSITIVE_INFINITY, noGpu.breakEvenHits(Tier.HOST, Tier.DEVICE, MIB));
        assertThrows(IllegalArgumentException.class, () -> noGpu.withConsumer(Tier.DEVICE));
    }

    @Test
    void with_replacesOneLink()
    {
        final TransferCostModel.LinkCost measured = new TransferCostModel.LinkCost(5_000, 3.0e9);
        final TransferCostModel changed = laptop.with(TransferCostModel.Link.HOST_TO_DEVICE, measured);
        assertEquals(measured, changed.link(TransferCostModel.Link.HOST_TO_DEVICE));
        assertEquals(laptop.link(TransferCostModel.Link.DISK_TO_HOST), changed.link(TransferCostModel.Link.DISK_TO_HOST));
        final Map<TransferCostModel.Link, TransferCostModel.LinkCost> partial = new EnumMap<>(TransferCostModel.Link.class);
        partial.put(TransferCostModel.Link.MEMORY_COPY, measured);
        assertThrows(IllegalArgumentException.class, () -> TransferCostModel.of(partial, Tier.HOST));
        assertTrue(changed.toString().contains("HOST_TO_DEVICE=5000ns+3.00GB/s"), changed.toString());
    }
}
