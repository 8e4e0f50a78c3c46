package dev.tiercache;

import dev.tiercache.cuda.CudaRuntime;
import dev.tiercache.store.Codec;
import dev.tiercache.store.Codecs;
import dev.tiercache.store.DeviceStore;
import dev.tiercache.store.FileStore;
import dev.tiercache.store.FileStoreConfig;
import dev.tiercache.store.HostStore;
import dev.tiercache.store.Transfers;

import java.util.ArrayList;
import java.util.List;

/**
 * The stores of one cache, opened together and closed together: L1's device arena (or the reason
 * there is none), L2's host arena, the meta arena of keys and part specs, L3's file (or the reason
 * there is none), the codec L3 writes with and the transfer lanes between them. Opening either
 * succeeds whole or closes what it opened and rethrows.
 */
final class Levels
{
    private static final System.Logger LOG = System.getLogger(TierCache.class.getName());

    final DeviceStore device;
    final HostStore host;
    final HostStore metaStore;
    final FileStore file;
    final Codec codec;
    final Transfers transfers;
    final CudaRuntime runtime;
    final String deviceOffReason;
    final String fileOffReason;

    private Levels(
        final DeviceStore device, final HostStore host, final HostStore metaStore, final FileStore file, final Codec codec,
        final Transfers transfers, final CudaRuntime runtime, final String deviceOffReason, final String fileOffReason)
    {
        this.device = device;
        this.host = host;
        this.metaStore = metaStore;
        this.file = file;
        this.codec = codec;
        this.transfers = transfers;
        this.runtime = runtime;
        this.deviceOffReason = deviceOffReason;
        this.fileOffReason = fileOffReason;
    }

    /**
     * Opens every store the configuration asks for.
     *
     * @param config   the concluded configuration.
     * @param name     the cache's name, for the log.
     * @param reclaims told of every live entry of an L3 region about to be reclaimed.
     * @return the stores.
     */
    static Levels open(final TierCacheConfig config, final String name, final FileStore.ReclaimListener reclaims)
    {
        final List<AutoCloseable> opened = new ArrayList<>();
        try
        {
            final CudaRuntime probed = config.useGpu ? CudaRuntime.open() : null;
            DeviceStore device = null;
            String deviceReason = null;
            if (probed == null)
            {
                deviceReason = "GPU level turned off in the configuration";
            }
            else if (!probed.isUsable())
            {
                deviceReason = probed.unavailableReason();
            }
            else if (config.deviceBytes == 0)
            {
                deviceReason = "device size is 0";
            }
            else
            {
                probed.setDevice(config.deviceOrdinal);
                final long[] memory = probed.memoryInfo();
                final DeviceStore.Plan plan = DeviceStore.plan(
                    config.deviceBytes, memory[0], memory[1], config.deviceHeadroom, config.vramLimitBytes);
                if (plan.bytes() <= 0)
                {
                    deviceReason = "no device memory left: " + plan.reason();
                }
                else
                {
                    if (plan.bytes() < config.deviceBytes)
                    {
                        LOG.log(System.Logger.Level.WARNING, "tiercache " + name + ": L1 asked for " + config.deviceBytes + " bytes, capped to " +
                            plan.bytes() + " by the " + plan.reason());
                    }
                    try
                    {
                        device = DeviceStore.create(probed, plan, 256);
                        opened.add(device);
                    }
                    catch (final RuntimeException ex)
                    {
                        deviceReason = "cannot allocate the device arena of " + plan.bytes() + " bytes: " + ex.getMessage();
                    }
                }
            }
            final CudaRuntime runtime = probed != null && probed.isUsable() ? probed : null;
            if (device == null)
            {
                LOG.log(System.Logger.Level.INFO, "tiercache " + name + ": L1 (device) off: " + deviceReason);
            }

            final HostStore host = HostStore.create(runtime, config.hostBytes, 64);
            opened.add(host);
            final HostStore metaStore = HostStore.createRecordArena(config.metaBytes(), 8);
            opened.add(metaStore);
            final Transfers transfers = new Transfers(device != null ? runtime : null);
            opened.add(transfers);
            final Codec codec = config.compression ? Codecs.lz4() : null;

            FileStore file = null;
            String fileReason = null;
            if (config.filePath != null && config.fileBytes > 0)
            {
                final FileStoreConfig.Builder fileConfig = FileStoreConfig.builder(config.filePath)
                    .regionSizeBytes(config.fileRegionBytes)
                    .capacityBytes(config.fileBytes)
                    .minCompressionSavings(config.minCompressionSavings)
                    .reclaimListener(reclaims);
                // every LZ4 block decodes with either codec, so files written elsewhere open here
                file = FileStore.open(fileConfig.codecs(Codecs.lz4()).build());
                opened.add(file);
            }
            else
            {
                fileReason = config.filePath == null ? "no file path configured" : "file size is 0";
            }
            return new Levels(device, host, metaStore, file, codec, transfers, runtime, deviceReason, fileReason);
        }
        catch (final RuntimeException | Error ex)
        {
            for (int i = opened.size() - 1; i >= 0; i--)
            {
                closeQuietly(opened.get(i));
            }
            throw ex;
        }
    }

    /**
     * Closes the file, the transfer lanes and the device arena: what no host view can reach.
     */
    void closeDeviceAndFile()
    {
        closeQuietly(file);
        closeQuietly(transfers);
        closeQuietly(device);
    }

    /**
     * Closes the host and meta arenas (once no view reads them).
     */
    void closeHost()
    {
        closeQuietly(host);
        closeQuietly(metaStore);
    }

    static void closeQuietly(final AutoCloseable closeable)
    {
        if (closeable == null)
        {
            return;
        }
        try
        {
            closeable.close();
        }
        catch (final Exception ex)
        {
            LOG.log(System.Logger.Level.WARNING, "closing " + closeable + " failed", ex);
        }
    }
}
