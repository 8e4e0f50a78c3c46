/*
 * The subset of the liblz4 block API that tiercache binds, declared by us.
 *
 * Signatures checked against liblz4 1.9.4 (LZ4_VERSION_NUMBER 10904, soname liblz4.so.1): the
 * library's lz4.h and its exported dynamic symbols. All four functions have had these signatures
 * and plain symbol names since liblz4 1.7.0. Sizes are C ints, so one block holds at most
 * LZ4_MAX_INPUT_SIZE bytes.
 *
 * Return values: LZ4_compressBound gives 0 for sizes above LZ4_MAX_INPUT_SIZE;
 * LZ4_compress_default gives the compressed size, or 0 when it does not fit dstCapacity (it never
 * writes past dstCapacity); LZ4_decompress_safe gives the decompressed size, or a negative number
 * for malformed input (it never reads past compressedSize nor writes past dstCapacity).
 */
#ifndef TIERCACHE_LZ4_H
#define TIERCACHE_LZ4_H

#define LZ4_MAX_INPUT_SIZE 0x7E000000

int LZ4_versionNumber(void);
int LZ4_compressBound(int inputSize);
int LZ4_compress_default(const char *src, char *dst, int srcSize, int dstCapacity);
int LZ4_decompress_safe(const char *src, char *dst, int compressedSize, int dstCapacity);

#endif
