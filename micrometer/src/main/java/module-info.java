/**
 * A Micrometer binder for tiercache: the figures of {@code TierCache.stats()} as meters, one set
 * per level. Micrometer is the application's own dependency.
 */
module dev.tiercache.micrometer {
    requires transitive dev.tiercache;
    requires transitive micrometer.core;

    exports dev.tiercache.micrometer;
}
