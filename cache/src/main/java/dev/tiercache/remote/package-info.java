/**
 * The service interface of L4, a level shared by many caches on a remote key-value server: what an
 * implementation (the Redis one is in the {@code tiercache-redis} artifact) provides to the cache.
 */
package dev.tiercache.remote;
