/*
 * The subset of libc that tiercache binds, declared by us (glibc on Linux, x86-64 and aarch64).
 *
 * Values and layouts were checked with gcc 12.2 against glibc 2.36 on x86-64: a small C program
 * printed sizeof/offsetof of struct statvfs and every macro value below. aarch64 was not compiled
 * for; its kernel uapi headers (arch/arm64/include/uapi/asm/fcntl.h and mman.h) take O_RDWR,
 * O_CLOEXEC and the MADV_* values from asm-generic unchanged, and glibc's statvfs layout and
 * sysconf names are the same generic 64-bit definitions there.
 *
 * errno is not declared here: in glibc it is a macro over the thread-local __errno_location(),
 * and the JVM may run code that changes it between a downcall's return and any second downcall
 * that reads it. The Java side captures it with Linker.Option.captureCallState("errno") on the
 * functions marked "sets errno". posix_fallocate returns its error number instead of setting
 * errno.
 */
#ifndef TIERCACHE_LIBC_H
#define TIERCACHE_LIBC_H

#include <stddef.h>

typedef long off_t;

/* fcntl.h: open flags (asm-generic values; the same on x86-64 and aarch64) */
#define O_RDONLY 0
#define O_WRONLY 1
#define O_RDWR 2
#define O_CLOEXEC 02000000

/* sys/mman.h: madvise advice */
#define MADV_NORMAL 0
#define MADV_RANDOM 1
#define MADV_SEQUENTIAL 2
#define MADV_WILLNEED 3
#define MADV_DONTNEED 4
#define MADV_COLD 20
#define MADV_PAGEOUT 21

/* sys/mman.h: mmap protection and flags (asm-generic values; the same on x86-64 and aarch64) */
#define PROT_READ 1
#define PROT_WRITE 2
#define MAP_PRIVATE 2
#define MAP_ANONYMOUS 32
#define MAP_NORESERVE 16384

/* unistd.h, bits/confname.h: sysconf names */
#define _SC_PAGESIZE 30
#define _SC_NPROCESSORS_ONLN 84
#define _SC_PHYS_PAGES 85

/* errno values the stores name in messages and tests (asm-generic/errno-base.h, errno.h) */
#define ENOENT 2
#define ENOMEM 12
#define EBADF 9
#define EACCES 13
#define EINVAL 22
#define EFBIG 27
#define ENOSPC 28
#define EOPNOTSUPP 95

/*
 * sys/statvfs.h on 64-bit glibc: 112 bytes. Offsets: f_bsize 0, f_frsize 8, f_blocks 16,
 * f_bfree 24, f_bavail 32, f_files 40, f_ffree 48, f_favail 56, f_fsid 64, f_flag 72,
 * f_namemax 80, __f_spare 88.
 */
struct statvfs {
    unsigned long f_bsize;
    unsigned long f_frsize;
    unsigned long f_blocks;
    unsigned long f_bfree;
    unsigned long f_bavail;
    unsigned long f_files;
    unsigned long f_ffree;
    unsigned long f_favail;
    unsigned long f_fsid;
    unsigned long f_flag;
    unsigned long f_namemax;
    int __f_spare[6];
};

/* sets errno; variadic: the Java side passes exactly one int mode */
extern int open(const char *pathname, int flags, ...);
/* sets errno */
extern int close(int fd);
/* returns an error number, does not set errno */
extern int posix_fallocate(int fd, off_t offset, off_t len);
/* sets errno */
extern int madvise(void *addr, size_t length, int advice);

/* sets errno; returns MAP_FAILED, (void *) -1, on failure */
extern void *mmap(void *addr, size_t length, int prot, int flags, int fd, off_t offset);

/* sets errno */
extern int munmap(void *addr, size_t length);
/* sets errno */
extern int statvfs(const char *path, struct statvfs *buf);
/* sets errno for an unknown name; returns -1 without setting it for an indeterminate limit */
extern long sysconf(int name);
extern char *strerror(int errnum);

#endif
