/**
 * tiercache: a three-level cache (GPU device memory, pinned host memory, a memory-mapped file)
 * for tensors and binary blobs. Users pass
 * {@code --enable-native-access=dev.tiercache.bindings,dev.tiercache} and nothing else.
 */
module dev.tiercache {
    requires transitive dev.tiercache.bindings;
    requires org.agrona;
    requires org.lz4.java;
    requires java.management;

    exports dev.tiercache;
    exports dev.tiercache.dataset;
    exports dev.tiercache.profile;
    exports dev.tiercache.remote;
    // not exported: config (the settings loaders behind TierCache.Builder), store, index, policy

    uses dev.tiercache.remote.RemoteStoreProvider;

}
