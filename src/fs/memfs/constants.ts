/**
 * The constants memfs works with: the Linux ABI values shared with
 * passthrough (src/linux.ts), and memfs's own limits.
 */

export * from '../../linux/constants';

/** Kernel-internal f_flags bit set on opens for execve (fs.h); FUSE forwards it in OPEN flags. */
export const FMODE_EXEC_FLAG = 0o40;

/** XATTR_NAME_MAX and XATTR_SIZE_MAX (<linux/limits.h>). */
export const XATTR_NAME_MAX = 255;
export const XATTR_SIZE_MAX = 65536;

/** NAME_MAX: longest name in bytes. */
export const NAME_MAX = 255;
/** PATH_MAX less the NUL: the longest symlink target. */
export const SYMLINK_MAX = 4095;
/** The block size memfs allocates file data in, reports in st_blksize and statfs. */
export const BLOCK_SIZE = 4096;
/**
 * The largest file size: offsets are JavaScript numbers, exact up to 2^53.
 * (The kernel allows 2^63-1; beyond this memfs answers EFBIG.)
 */
export const MAX_FILE_SIZE = Number.MAX_SAFE_INTEGER;
/** Most hard links to one inode before EMLINK (nlink is a u32 on the wire). */
export const LINK_MAX = 0xffffffff - 1;
