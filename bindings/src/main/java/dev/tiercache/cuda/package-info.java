/**
 * The Java face of the CUDA runtime: discovery, devices, device and pinned buffers, streams, events and errors.
 */
package dev.tiercache.cuda;
