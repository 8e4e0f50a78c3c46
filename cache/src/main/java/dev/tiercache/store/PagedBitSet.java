package dev.tiercache.store;

import java.util.Arrays;

/**
 * A set of bit indices {@code 0..length-1}, {@code long}-indexed, in pages of {@code long} words
 * allocated on the heap when a bit in them is first set: the mark of every block start in
 * {@link SpaceAllocator}, one bit per alignment unit of the space.
 *
 * <h2>Layout</h2>
 * <pre>
 *  index:  | page (bits 16 and up) | word in page (bits 6..15) | bit in word (bits 0..5) |
 *  pages:  long[][]  one reference per 2^16 bits, null until a bit in it is set
 *  page:   long[1024] (8 KiB), the last one only as long as the set needs
 * </pre>
 * So a set costs one reference per 2<sup>16</sup> bits at once, and an eighth of a byte per bit
 * once its page is touched: for the 64-byte units of the L2 arena, 0.25 bytes per 128 bytes of
 * arena. A set shorter than a page is one page of just its length.
 *
 * <h2>Garbage</h2>
 * {@link #get}, {@link #clear}, {@link #nextSetBit} and a {@link #set} into a page already there
 * allocate nothing. Pages are never dropped; {@link #clearAll()} zeroes them.
 *
 * <h2>Concurrency</h2>
 * Not thread-safe; its allocator's owner guards it.
 */
final class PagedBitSet
{
    /**
     * The longest set: 2<sup>32</sup> bits (256 GiB of arena in 64-byte units), so that the page
     * references take at most 256 KiB and a scan over untouched pages stays short.
     */
    static final long MAX_LENGTH = 1L << 32;

    private static final int WORD_SHIFT = 6;
    private static final int PAGE_WORD_SHIFT = 10;
    private static final int PAGE_WORDS = 1 << PAGE_WORD_SHIFT;
    private static final int PAGE_SHIFT = WORD_SHIFT + PAGE_WORD_SHIFT;

    private final long length;
    private final long words;
    private final long[][] pages;

    /**
     * An empty set.
     *
     * @param length the number of bits, {@code 1..}{@link #MAX_LENGTH}.
     */
    PagedBitSet(final long length)
    {
        if (length <= 0 || length > MAX_LENGTH)
        {
            throw new IllegalArgumentException("length=" + length + " not in [1, " + MAX_LENGTH + "]");
        }
        this.length = length;
        this.words = (length + 63) >>> WORD_SHIFT;
        this.pages = new long[(int)((words + PAGE_WORDS - 1) >>> PAGE_WORD_SHIFT)][];
    }

    /**
     * The number of bits.
     *
     * @return the length given at construction.
     */
    long length()
    {
        return length;
    }

    /**
     * Whether a bit is set.
     *
     * @param index any index; one outside {@code 0..length-1} is not set.
     * @return true when set.
     */
    boolean get(final long index)
    {
        if (index < 0 || index >= length)
        {
            return false;
        }
        final long[] page = pages[(int)(index >>> PAGE_SHIFT)];
        return page != null && (page[wordInPage(index)] & 1L << index) != 0;
    }

    /**
     * Sets a bit, allocating its page when it has none.
     *
     * @param index {@code 0..length-1}.
     */
    void set(final long index)
    {
        checkIndex(index);
        final int pageIndex = (int)(index >>> PAGE_SHIFT);
        long[] page = pages[pageIndex];
        if (page == null)
        {
            page = new long[(int)Math.min(PAGE_WORDS, words - ((long)pageIndex << PAGE_WORD_SHIFT))];
            pages[pageIndex] = page;
        }
        page[wordInPage(index)] |= 1L << index;
    }

    /**
     * Clears a bit.
     *
     * @param index {@code 0..length-1}.
     */
    void clear(final long index)
    {
        checkIndex(index);
        final long[] page = pages[(int)(index >>> PAGE_SHIFT)];
        if (page != null)
        {
            page[wordInPage(index)] &= ~(1L << index);
        }
    }

    /**
     * The first set bit at or after {@code from}. Reads every word up to it and skips pages that
     * were never touched, so its cost grows with the distance: for the allocator that is the size of
     * the block being freed, a word per 64 alignment units.
     *
     * @param from {@code 0..length}.
     * @return its index, or {@code -1} when no bit at or after {@code from} is set.
     */
    long nextSetBit(final long from)
    {
        if (from < 0 || from > length)
        {
            throw new IndexOutOfBoundsException("from=" + from + " not in [0, " + length + "]");
        }
        if (from == length)
        {
            return -1;
        }
        int pageIndex = (int)(from >>> PAGE_SHIFT);
        int word = wordInPage(from);
        long mask = -1L << from;
        while (pageIndex < pages.length)
        {
            final long[] page = pages[pageIndex];
            if (page != null)
            {
                for (; word < page.length; word++)
                {
                    final long bits = page[word] & mask;
                    if (bits != 0)
                    {
                        return ((long)pageIndex << PAGE_SHIFT) + ((long)word << WORD_SHIFT) + Long.numberOfTrailingZeros(bits);
                    }
                    mask = -1L;
                }
            }
            pageIndex++;
            word = 0;
            mask = -1L;
        }
        return -1;
    }

    /** Clears every bit; the pages stay. */
    void clearAll()
    {
        for (final long[] page : pages)
        {
            if (page != null)
            {
                Arrays.fill(page, 0);
            }
        }
    }

    /**
     * Pages allocated, for the footprint figures.
     *
     * @return pages with at least one bit set at some time.
     */
    int pagesAllocated()
    {
        int allocated = 0;
        for (final long[] page : pages)
        {
            allocated += page != null ? 1 : 0;
        }
        return allocated;
    }

    /**
     * Reports a bit set past the length (which {@link #set} refuses). For tests.
     *
     * @return {@code null} when consistent, else what is wrong.
     */
    String checkConsistency()
    {
        final int lastPage = pages.length - 1;
        final long[] page = pages[lastPage];
        if (page != null)
        {
            final long lastWord = words - 1 - ((long)lastPage << PAGE_WORD_SHIFT);
            if (page.length != lastWord + 1)
            {
                return "last page holds " + page.length + " words, not " + (lastWord + 1);
            }
            final long spare = page[(int)lastWord] & (-1L << length);
            if ((length & 63) != 0 && spare != 0)
            {
                return "bits set past length=" + length + ": " + Long.toHexString(spare);
            }
        }
        return null;
    }

    @Override
    public String toString()
    {
        return "PagedBitSet{length=" + length + ", pages=" + pagesAllocated() + "/" + pages.length + '}';
    }

    private static int wordInPage(final long index)
    {
        return (int)(index >>> WORD_SHIFT) & (PAGE_WORDS - 1);
    }

    private void checkIndex(final long index)
    {
        if (index < 0 || index >= length)
        {
            throw new IndexOutOfBoundsException("index=" + index + " not in [0, " + length + ")");
        }
    }
}
