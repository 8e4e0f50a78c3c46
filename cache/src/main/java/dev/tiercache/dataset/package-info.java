/**
 * Helpers for training data: preload with progress, batch gather and prefetch.
 */
package dev.tiercache.dataset;
