/**
 * A simulated CUDA device that answers the runtime's C symbols with upcall stubs, so every code path runs without a GPU.
 */
package dev.tiercache.cuda.sim;
