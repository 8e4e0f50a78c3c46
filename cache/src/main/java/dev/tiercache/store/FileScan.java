package dev.tiercache.store;

import org.agrona.collections.IntArrayList;
import org.agrona.collections.Long2LongHashMap;
import org.agrona.collections.LongArrayList;

import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;

/**
 * One pass over a store file's regions, oldest generation first: validates region headers and
 * entries, and finds the live entries. Shared by opening a {@link FileStore}, its
 * {@link FileStore#recover()} and the read-only {@link FileStore#inspect(java.nio.file.Path)}.
 *
 * <h2>How a region is walked</h2>
 * From the end of the region header to the region's write limit, entry by entry. A header that
 * fails its checks (or belongs to an older generation of the region) gives no trustworthy length,
 * so the walk resynchronises: it tries each following 8-byte aligned offset for a valid header of
 * this generation with a higher sequence, and reports the span in between as one bad entry. A
 * header that is valid but whose payload checksum fails is skipped by its own length.
 *
 * <h2>Newest wins</h2>
 * For entries with the same key hash and key bytes only the one with the highest sequence is live;
 * with {@code tombstoneSuperseded} the older ones are marked removed in the file, so they are
 * neither recovered again nor reported when their region is reclaimed.
 */
final class FileScan
{
    /** Receives what a region walk finds. */
    interface Walker
    {
        /**
         * A valid entry of the region's generation (payload verified when asked).
         *
         * @param location the entry's location.
         */
        void entry(long location);

        /**
         * A skipped entry or span.
         *
         * @param location where it starts.
         * @param reason   what failed, with the values.
         */
        void bad(long location, String reason);
    }

    final int regionCount;
    final long[] regionSequence;
    final long[] regionWriteLimit;
    final int[] regionCheck;
    /** Regions whose header a kill left half updated, trusted by {@link FileRegionDescriptor#isTornUpdate}. */
    final boolean[] tornHeader;
    final int[] regionState;
    final int[] regionEntries;
    final int[] regionLive;
    final int[] regionRemoved;
    final int[] regionBad;
    final long[] regionLiveRaw;
    final long[] regionLiveStored;
    final LongArrayList liveLocations = new LongArrayList();
    final List<FileStoreReport.BadEntry> badEntries = new ArrayList<>();
    long maxEntrySequence;
    long maxRegionSequence;
    int newestRegion = -1;
    long removedEntries;
    long supersededEntries;
    int corruptRegions;

    private FileScan(final int regionCount)
    {
        this.regionCount = regionCount;
        regionSequence = new long[regionCount];
        regionWriteLimit = new long[regionCount];
        regionCheck = new int[regionCount];
        tornHeader = new boolean[regionCount];
        regionState = new int[regionCount];
        regionEntries = new int[regionCount];
        regionLive = new int[regionCount];
        regionRemoved = new int[regionCount];
        regionBad = new int[regionCount];
        regionLiveRaw = new long[regionCount];
        regionLiveStored = new long[regionCount];
    }

    /**
     * Scans the whole file.
     *
     * @param file                the mapped file (read-only is fine unless tombstoning).
     * @param regionSize          bytes per region.
     * @param regionCount         regions the header declares.
     * @param regionsPresent      regions wholly inside the mapping (fewer when truncated).
     * @param verifyPayloads      whether to check payload checksums too.
     * @param tombstoneSuperseded whether to mark superseded entries removed in the file.
     * @return what was found.
     */
    static FileScan run(
        final MemorySegment file,
        final long regionSize,
        final int regionCount,
        final int regionsPresent,
        final boolean verifyPayloads,
        final boolean tombstoneSuperseded)
    {
        final FileScan scan = new FileScan(regionCount);
        final List<Integer> inUse = new ArrayList<>();
        for (int region = 0; region < regionsPresent; region++)
        {
            final long base = regionBase(region, regionSize);
            final int check = FileRegionDescriptor.check(file, base, regionSize);
            scan.regionCheck[region] = check;
            if (check == FileRegionDescriptor.VALID)
            {
                scan.regionSequence[region] = FileRegionDescriptor.sequence(file, base);
                scan.regionWriteLimit[region] = FileRegionDescriptor.writeLimit(file, base);
                scan.regionState[region] = FileRegionDescriptor.state(file, base);
                inUse.add(region);
            }
            else if (check == FileRegionDescriptor.BAD_CHECKSUM && tornUpdate(file, base, regionSize))
            {
                scan.regionCheck[region] = FileRegionDescriptor.VALID;
                scan.tornHeader[region] = true;
                scan.regionSequence[region] = FileRegionDescriptor.sequence(file, base);
                scan.regionWriteLimit[region] = FileRegionDescriptor.writeLimit(file, base);
                scan.regionState[region] = FileRegionDescriptor.state(file, base);
                inUse.add(region);
            }
            else if (check != FileRegionDescriptor.UNUSED)
            {
                scan.corruptRegions++;
                scan.badEntries.add(new FileStoreReport.BadEntry(base, FileRegionDescriptor.reason(check) + " in region " + region));
            }
        }
        inUse.sort(Comparator.<Integer>comparingLong(region -> scan.regionSequence[region]).thenComparingInt(region -> region));
        if (!inUse.isEmpty())
        {
            scan.newestRegion = inUse.getLast();
            scan.maxRegionSequence = scan.regionSequence[scan.newestRegion];
        }

        final Long2LongHashMap newestIndexByHash = new Long2LongHashMap(-1);
        final IntArrayList previousIndexSameHash = new IntArrayList();
        for (final int region : inUse)
        {
            final long base = regionBase(region, regionSize);
            walk(file, base, scan.regionSequence[region], scan.regionWriteLimit[region], verifyPayloads, new Walker()
            {
                @Override
                public void entry(final long location)
                {
                    scan.regionEntries[region]++;
                    scan.maxEntrySequence = Math.max(scan.maxEntrySequence, EntryHeaderDescriptor.sequence(file, location));
                    if (EntryHeaderDescriptor.isRemoved(file, location))
                    {
                        scan.regionRemoved[region]++;
                        scan.removedEntries++;
                        return;
                    }
                    final long keyHash = EntryHeaderDescriptor.keyHash(file, location);
                    final int head = (int)newestIndexByHash.get(keyHash);
                    for (int i = head; i >= 0; i = previousIndexSameHash.getInt(i))
                    {
                        final long older = scan.liveLocations.getLong(i);
                        if (older >= 0 && sameKey(file, older, location))
                        {
                            scan.supersede(file, older, regionSize, tombstoneSuperseded);
                            scan.liveLocations.setLong(i, -1);
                            break;
                        }
                    }
                    final int index = scan.liveLocations.size();
                    scan.liveLocations.addLong(location);
                    previousIndexSameHash.addInt(head);
                    newestIndexByHash.put(keyHash, index);
                    scan.regionLive[region]++;
                    scan.regionLiveRaw[region] += EntryHeaderDescriptor.rawLength(file, location);
                    scan.regionLiveStored[region] += EntryHeaderDescriptor.storedLength(file, location);
                }

                @Override
                public void bad(final long location, final String reason)
                {
                    if (EntryHeaderDescriptor.check(file, location, Math.min(base + scan.regionWriteLimit[region], file.byteSize())) ==
                        EntryHeaderDescriptor.VALID)
                    {
                        // a valid header over a bad payload still used its sequence: a new entry must
                        // not reuse it, or the next walk would take it for a stale one and skip it
                        scan.maxEntrySequence = Math.max(scan.maxEntrySequence, EntryHeaderDescriptor.sequence(file, location));
                        // and it was its key's newest value: an older one of the key must not stand in
                        // for it (that would return a value the key no longer had)
                        final long keyHash = EntryHeaderDescriptor.keyHash(file, location);
                        for (int i = (int)newestIndexByHash.get(keyHash); i >= 0; i = previousIndexSameHash.getInt(i))
                        {
                            final long older = scan.liveLocations.getLong(i);
                            if (older >= 0 && sameKey(file, older, location))
                            {
                                scan.supersede(file, older, regionSize, tombstoneSuperseded);
                                scan.liveLocations.setLong(i, -1);
                                break;
                            }
                        }
                    }
                    scan.regionBad[region]++;
                    scan.badEntries.add(new FileStoreReport.BadEntry(location, reason));
                }
            });
        }
        scan.liveLocations.removeIfLong(location -> location < 0);
        return scan;
    }

    /**
     * Walks the entries of one region generation; see the class comment.
     *
     * @param file           the mapped file.
     * @param base           file offset of the region.
     * @param regionSequence the region's generation.
     * @param writeLimit     offset in the region where its entries end.
     * @param verifyPayloads whether to check payload checksums of entries not removed.
     * @param walker         receives the entries and bad spans, in file order.
     */
    static void walk(
        final MemorySegment file,
        final long base,
        final long regionSequence,
        final long writeLimit,
        final boolean verifyPayloads,
        final Walker walker)
    {
        final long end = base + writeLimit;
        // a truncated file's read-only mapping may end inside the region: what lies past it is not there
        final long present = file.byteSize();
        long position = base + FileRegionDescriptor.LENGTH;
        long lastSequence = 0;
        while (position < end)
        {
            if (position + EntryHeaderDescriptor.LENGTH > present)
            {
                walker.bad(position, "cut by the end of the file at " + present + "; skipped " + (end - position) + " bytes");
                return;
            }
            final String problem = headerProblem(file, position, end, regionSequence, lastSequence);
            if (problem != null)
            {
                final long next = resync(file, position + EntryHeaderDescriptor.ALIGNMENT, end, regionSequence, lastSequence);
                walker.bad(position, problem + "; skipped " + (next - position) + " bytes");
                position = next;
                continue;
            }
            final long payloadEnd = position + EntryHeaderDescriptor.storedOffset(EntryHeaderDescriptor.keyLength(file, position),
                EntryHeaderDescriptor.metaLength(file, position)) + EntryHeaderDescriptor.storedLength(file, position);
            if (payloadEnd > present)
            {
                walker.bad(position, "cut by the end of the file at " + present + " (the entry ends at " + payloadEnd + "); skipped " +
                    (end - position) + " bytes");
                return;
            }
            lastSequence = EntryHeaderDescriptor.sequence(file, position);
            if (verifyPayloads && !EntryHeaderDescriptor.isRemoved(file, position))
            {
                final int stored = EntryHeaderDescriptor.payloadChecksum(file, position);
                final int computed = EntryHeaderDescriptor.computePayloadChecksum(file, position);
                if (stored != computed)
                {
                    walker.bad(position, "payload checksum mismatch: stored=0x" + Integer.toHexString(stored) +
                        " computed=0x" + Integer.toHexString(computed) + " sequence=" + lastSequence);
                }
                else
                {
                    walker.entry(position);
                }
            }
            else
            {
                walker.entry(position);
            }
            position += entryLength(file, position);
        }
    }

    /**
     * Whether a region header that fails its checksum was left half updated by a kill
     * ({@link FileRegionDescriptor#isTornUpdate}); the walk that finds where its last entry starts
     * trusts the header's sequence and write limit only as far as the entries' own checks agree.
     */
    private static boolean tornUpdate(final MemorySegment file, final long base, final long regionSize)
    {
        final long writeLimit = FileRegionDescriptor.writeLimit(file, base);
        long previousLimit = -1;
        if (writeLimit > FileRegionDescriptor.LENGTH && writeLimit <= regionSize && base + writeLimit <= file.byteSize())
        {
            final long[] lastStart = {-1};
            walk(file, base, FileRegionDescriptor.sequence(file, base), writeLimit, false, new Walker()
            {
                @Override
                public void entry(final long location)
                {
                    lastStart[0] = location - base;
                }

                @Override
                public void bad(final long location, final String reason)
                {
                    lastStart[0] = -1;
                }
            });
            previousLimit = lastStart[0];
        }
        return FileRegionDescriptor.isTornUpdate(file, base, regionSize, previousLimit);
    }

    static long regionBase(final int region, final long regionSize)
    {
        return FileHeaderDescriptor.REGIONS_OFFSET + region * regionSize;
    }

    static long entryLength(final MemorySegment file, final long location)
    {
        return EntryHeaderDescriptor.entryLength(
            EntryHeaderDescriptor.keyLength(file, location),
            EntryHeaderDescriptor.metaLength(file, location),
            EntryHeaderDescriptor.storedLength(file, location));
    }

    static boolean sameKey(final MemorySegment file, final long a, final long b)
    {
        final int length = EntryHeaderDescriptor.keyLength(file, a);
        if (length != EntryHeaderDescriptor.keyLength(file, b))
        {
            return false;
        }
        final long keyA = a + EntryHeaderDescriptor.LENGTH;
        final long keyB = b + EntryHeaderDescriptor.LENGTH;
        return MemorySegment.mismatch(file, keyA, keyA + length, file, keyB, keyB + length) == -1;
    }

    private void supersede(final MemorySegment file, final long location, final long regionSize, final boolean tombstone)
    {
        final int region = (int)((location - FileHeaderDescriptor.REGIONS_OFFSET) / regionSize);
        regionLive[region]--;
        regionLiveRaw[region] -= EntryHeaderDescriptor.rawLength(file, location);
        regionLiveStored[region] -= EntryHeaderDescriptor.storedLength(file, location);
        supersededEntries++;
        if (tombstone)
        {
            EntryHeaderDescriptor.markRemoved(file, location);
            regionRemoved[region]++;
        }
    }

    private static String headerProblem(
        final MemorySegment file, final long position, final long end, final long regionSequence, final long lastSequence)
    {
        final int check = EntryHeaderDescriptor.check(file, position, end);
        if (check != EntryHeaderDescriptor.VALID)
        {
            return EntryHeaderDescriptor.reason(check);
        }
        final long entryRegionSequence = EntryHeaderDescriptor.regionSequence(file, position);
        if (entryRegionSequence != regionSequence)
        {
            return "entry of region generation " + entryRegionSequence + " inside generation " + regionSequence;
        }
        final long sequence = EntryHeaderDescriptor.sequence(file, position);
        if (sequence <= lastSequence)
        {
            return "entry sequence " + sequence + " not above the previous " + lastSequence;
        }
        return null;
    }

    private static long resync(
        final MemorySegment file, final long from, final long end, final long regionSequence, final long lastSequence)
    {
        final long searchEnd = Math.min(end, file.byteSize());
        for (long position = from; position + EntryHeaderDescriptor.LENGTH <= searchEnd; position += EntryHeaderDescriptor.ALIGNMENT)
        {
            if (file.get(FileHeaderDescriptor.INT, position) == EntryHeaderDescriptor.MAGIC &&
                headerProblem(file, position, end, regionSequence, lastSequence) == null)
            {
                return position;
            }
        }
        return end;
    }
}
