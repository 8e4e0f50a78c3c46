/**
 * JMH benchmarks: every level of the cache against the physical limit of its medium, the codecs,
 * the index, and peer caches on the same keys and values.
 */
package dev.tiercache.bench;
