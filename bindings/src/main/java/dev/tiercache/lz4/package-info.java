/**
 * The liblz4 block API bound through FFM in jextract's shape, found like libcudart and optional.
 */
package dev.tiercache.lz4;
