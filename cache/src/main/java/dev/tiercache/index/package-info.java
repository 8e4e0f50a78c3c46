/**
 * The off-heap entry index: slots in a MemorySegment, key lookup and the per-level LRU and FIFO lists.
 */
package dev.tiercache.index;
