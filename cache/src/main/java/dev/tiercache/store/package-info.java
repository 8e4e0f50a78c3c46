/**
 * The three stores (device, pinned host, memory-mapped file), their space allocator, codecs and the copies between them.
 */
package dev.tiercache.store;
