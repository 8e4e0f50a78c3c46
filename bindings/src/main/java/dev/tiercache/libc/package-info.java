/**
 * The libc functions the stores and the hardware profile need, bound through FFM in jextract's shape.
 */
package dev.tiercache.libc;
