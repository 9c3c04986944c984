// LD_PRELOADed into relpos by test_atomic_file.cpp: a filesystem with neither
// RENAME_NOREPLACE nor hard links (vfat, exFAT, some FUSE and SMB mounts).
#define _GNU_SOURCE
#include <errno.h>

int renameat2(int olddirfd, const char* oldpath, int newdirfd, const char* newpath, unsigned int flags) {
  (void)olddirfd, (void)oldpath, (void)newdirfd, (void)newpath, (void)flags;
  errno = EINVAL;
  return -1;
}

int link(const char* oldpath, const char* newpath) {
  (void)oldpath, (void)newpath;
  errno = EPERM;
  return -1;
}
