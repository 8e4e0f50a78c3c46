/**
 * {@code tiercache simulate}: trace readers, the epochs workload, and replays of traces through the library's eviction policies and Belady's optimum.
 */
package dev.tiercache.tools.simulate;
