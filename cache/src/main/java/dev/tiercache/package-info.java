/**
 * The public API: TierCache, its builder, keys, tensor specs, entry leases and statistics.
 */
package dev.tiercache;
