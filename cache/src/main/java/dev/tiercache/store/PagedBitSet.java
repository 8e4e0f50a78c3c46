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
 *  page:   +----------------------------+------------------------------------------+
 *          | words: 1024 longs, the bits | summary: 16 longs, bit w = word w != 0   |
 *          +----------------------------+------------------------------------------+
 *          (8320 bytes; the last page only as long as the set needs: n words, ceil(n/64) summary)
 * </pre>
 * So a set costs one reference per 2<sup>16</sup> bits at once, and 0.127 bytes per bit once its
 * page is touched: for the 64-byte units of the L2 arena, about 0.25 bytes per 128 bytes of arena.
 * A set shorter than a page is one page of just its length.
 *
 * <p>{@link #nextSetBit} reads the summary to skip empty words, 64 at a time: the distance to the
 * next set bit costs a summary word per 4096 bits (a 4 MiB block of 64-byte units: 16 reads), and
 * pages never touched are skipped by their null reference.
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
    /** The words of the last page; every other page has {@link #PAGE_WORDS}. */
    private final int lastPageWords;

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
        this.lastPageWords = (int)(words - ((long)(pages.length - 1) << PAGE_WORD_SHIFT));
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
        final int pageWords = pageWords(pageIndex);
        if (page == null)
        {
            page = new long[pageWords + ((pageWords + 63) >>> WORD_SHIFT)];
            pages[pageIndex] = page;
        }
        final int word = wordInPage(index);
        page[word] |= 1L << index;
        page[pageWords + (word >>> WORD_SHIFT)] |= 1L << word;
    }

    /**
     * Clears a bit.
     *
     * @param index {@code 0..length-1}.
     */
    void clear(final long index)
    {
        checkIndex(index);
        final int pageIndex = (int)(index >>> PAGE_SHIFT);
        final long[] page = pages[pageIndex];
        if (page != null)
        {
            final int word = wordInPage(index);
            if ((page[word] &= ~(1L << index)) == 0)
            {
                page[pageWords(pageIndex) + (word >>> WORD_SHIFT)] &= ~(1L << word);
            }
        }
    }

    /**
     * The first set bit at or after {@code from}: the rest of {@code from}'s word, then the
     * summary of non-empty words, a word of it per 4096 bits, and untouched pages skipped whole.
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
        final int word = wordInPage(from);
        final long[] first = pages[pageIndex];
        if (first != null)
        {
            final long bits = first[word] & -1L << from;
            if (bits != 0)
            {
                return ((long)pageIndex << PAGE_SHIFT) + ((long)word << WORD_SHIFT) + Long.numberOfTrailingZeros(bits);
            }
            final int found = nextNonEmptyWord(first, pageWords(pageIndex), word + 1);
            if (found >= 0)
            {
                return ((long)pageIndex << PAGE_SHIFT) + ((long)found << WORD_SHIFT) + Long.numberOfTrailingZeros(first[found]);
            }
        }
        while (++pageIndex < pages.length)
        {
            final long[] page = pages[pageIndex];
            if (page != null)
            {
                final int found = nextNonEmptyWord(page, pageWords(pageIndex), 0);
                if (found >= 0)
                {
                    return ((long)pageIndex << PAGE_SHIFT) + ((long)found << WORD_SHIFT) + Long.numberOfTrailingZeros(page[found]);
                }
            }
        }
        return -1;
    }

    /** The first word at or after {@code from} with a bit set, by the page's summary; {@code -1} if none. */
    private static int nextNonEmptyWord(final long[] page, final int pageWords, final int from)
    {
        if (from >= pageWords)
        {
            return -1;
        }
        int summaryWord = from >>> WORD_SHIFT;
        long summary = page[pageWords + summaryWord] & -1L << from;
        final int summaryEnd = page.length - pageWords;
        while (summary == 0)
        {
            if (++summaryWord == summaryEnd)
            {
                return -1;
            }
            summary = page[pageWords + summaryWord];
        }
        return (summaryWord << WORD_SHIFT) + Long.numberOfTrailingZeros(summary);
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
     * Reports a page of the wrong length, a summary bit that disagrees with its word, or a bit set
     * past the length (which {@link #set} refuses). For tests; reads every allocated page.
     *
     * @return {@code null} when consistent, else what is wrong.
     */
    String checkConsistency()
    {
        for (int pageIndex = 0; pageIndex < pages.length; pageIndex++)
        {
            final long[] page = pages[pageIndex];
            if (page == null)
            {
                continue;
            }
            final int pageWords = pageWords(pageIndex);
            if (page.length != pageWords + ((pageWords + 63) >>> WORD_SHIFT))
            {
                return "page " + pageIndex + " holds " + page.length + " longs for " + pageWords + " words";
            }
            for (int word = 0; word < (page.length - pageWords) << WORD_SHIFT; word++)
            {
                final boolean marked = (page[pageWords + (word >>> WORD_SHIFT)] & 1L << word) != 0;
                if (marked != (word < pageWords && page[word] != 0))
                {
                    return "page " + pageIndex + " word " + word + ": summary bit " + marked;
                }
            }
        }
        final long[] last = pages[pages.length - 1];
        final long spare = last == null || (length & 63) == 0 ? 0 : last[lastPageWords - 1] & -1L << length;
        return spare == 0 ? null : "bits set past length=" + length + ": " + Long.toHexString(spare);
    }

    @Override
    public String toString()
    {
        return "PagedBitSet{length=" + length + ", pages=" + pagesAllocated() + "/" + pages.length + '}';
    }

    private int pageWords(final int pageIndex)
    {
        return pageIndex == pages.length - 1 ? lastPageWords : PAGE_WORDS;
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
