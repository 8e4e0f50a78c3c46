/**
 * L4 on Redis, standalone or Cluster, through Jedis: the store, its URI and its provider.
 */
package dev.tiercache.redis;
