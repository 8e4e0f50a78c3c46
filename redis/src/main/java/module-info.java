/**
 * L4 on Redis: a {@code dev.tiercache.remote.RemoteStoreProvider} for {@code redis://},
 * {@code rediss://}, {@code redis-cluster://} and {@code rediss-cluster://}, through Jedis
 * (decision record 0021). A cache finds it with {@link java.util.ServiceLoader}; nothing here is
 * called directly.
 */
module dev.tiercache.redis {
    requires transitive dev.tiercache;
    requires transitive redis.clients.jedis;
    requires org.apache.commons.pool2;

    exports dev.tiercache.redis;

    provides dev.tiercache.remote.RemoteStoreProvider with dev.tiercache.redis.RedisStoreProvider;
}
