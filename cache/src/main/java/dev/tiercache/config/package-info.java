/**
 * Loaders into {@code TierCacheConfig}: the key table, the TOML reader and the environment reader.
 */
package dev.tiercache.config;
