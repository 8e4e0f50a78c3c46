/**
 * Binds a TierCache's per-level statistics to a Micrometer MeterRegistry.
 */
package dev.tiercache.micrometer;
