/**
 * A JSR-107 (JCache) provider whose caches keep their values, serialized, in a TierCache.
 */
package dev.tiercache.jcache;
