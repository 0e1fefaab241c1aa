/**
 * Every struct of include/uapi/linux/fuse.h up to protocol 7.45, in the
 * header's order, with the header's field names. The TypeScript name drops
 * the `fuse_` prefix and is PascalCase (fuse_entry_out → EntryOut,
 * cuse_init_out → CuseInitOut), so the header can be read beside this file.
 *
 * Sizes and offsets are checked against the C compiler's view of the system
 * header (Debian's linux-libc-dev, 7.38) by test/protocol/layout-c.test.ts;
 * structs newer than that header are pinned there from the kernel's
 * published header.
 */
import { pad, struct, type StructType } from './layout';

export const Attr = struct('fuse_attr', [
  ['ino', 'u64'],
  ['size', 'u64'],
  ['blocks', 'u64'],
  // Declared u64 in the header, but the kernel stores them in signed time64_t.
  ['atime', 'i64'],
  ['mtime', 'i64'],
  ['ctime', 'i64'],
  ['atimensec', 'u32'],
  ['mtimensec', 'u32'],
  ['ctimensec', 'u32'],
  ['mode', 'u32'],
  ['nlink', 'u32'],
  ['uid', 'u32'],
  ['gid', 'u32'],
  ['rdev', 'u32'],
  ['blksize', 'u32'],
  ['flags', 'u32'],
]);
export type Attr = StructType<typeof Attr>;

/** 7.39: bit-for-bit the statx(2) timestamp. */
export const SxTime = struct('fuse_sx_time', [
  ['tv_sec', 'i64'],
  ['tv_nsec', 'u32'],
  ['__reserved', pad(4)],
]);
export type SxTime = StructType<typeof SxTime>;

/** 7.39: bit-for-bit struct statx. */
export const Statx = struct('fuse_statx', [
  ['mask', 'u32'],
  ['blksize', 'u32'],
  ['attributes', 'u64'],
  ['nlink', 'u32'],
  ['uid', 'u32'],
  ['gid', 'u32'],
  ['mode', 'u16'],
  ['__spare0', pad(2)],
  ['ino', 'u64'],
  ['size', 'u64'],
  ['blocks', 'u64'],
  ['attributes_mask', 'u64'],
  ['atime', SxTime],
  ['btime', SxTime],
  ['ctime', SxTime],
  ['mtime', SxTime],
  ['rdev_major', 'u32'],
  ['rdev_minor', 'u32'],
  ['dev_major', 'u32'],
  ['dev_minor', 'u32'],
  ['__spare2', pad(8 * 14)],
]);
export type Statx = StructType<typeof Statx>;

export const Kstatfs = struct('fuse_kstatfs', [
  ['blocks', 'u64'],
  ['bfree', 'u64'],
  ['bavail', 'u64'],
  ['files', 'u64'],
  ['ffree', 'u64'],
  ['bsize', 'u32'],
  ['namelen', 'u32'],
  ['frsize', 'u32'],
  ['padding', pad(4)],
  ['spare', pad(4 * 6)],
]);
export type Kstatfs = StructType<typeof Kstatfs>;

export const FileLock = struct('fuse_file_lock', [
  // loff_t values carried in u64 fields: OFFSET_MAX (2^63-1) means "to the
  // end". Declared i64 so that OFFSET_MAX (the double 2^63) is written back
  // as 2^63-1, as the kernel sends it, not as 2^63.
  ['start', 'i64'],
  ['end', 'i64'],
  ['type', 'u32'],
  ['pid', 'u32'], // tgid
]);
export type FileLock = StructType<typeof FileLock>;

export const EntryOut = struct('fuse_entry_out', [
  ['nodeid', 'u64'],
  ['generation', 'u64'],
  ['entry_valid', 'u64'],
  ['attr_valid', 'u64'],
  ['entry_valid_nsec', 'u32'],
  ['attr_valid_nsec', 'u32'],
  ['attr', Attr],
]);
export type EntryOut = StructType<typeof EntryOut>;

export const ForgetIn = struct('fuse_forget_in', [['nlookup', 'u64']]);
export type ForgetIn = StructType<typeof ForgetIn>;

export const ForgetOne = struct('fuse_forget_one', [
  ['nodeid', 'u64'],
  ['nlookup', 'u64'],
]);
export type ForgetOne = StructType<typeof ForgetOne>;

export const BatchForgetIn = struct('fuse_batch_forget_in', [
  ['count', 'u32'],
  ['dummy', pad(4)],
]);
export type BatchForgetIn = StructType<typeof BatchForgetIn>;

export const GetattrIn = struct('fuse_getattr_in', [
  ['getattr_flags', 'u32'],
  ['dummy', pad(4)],
  ['fh', 'u64'],
]);
export type GetattrIn = StructType<typeof GetattrIn>;

export const AttrOut = struct('fuse_attr_out', [
  ['attr_valid', 'u64'],
  ['attr_valid_nsec', 'u32'],
  ['dummy', pad(4)],
  ['attr', Attr],
]);
export type AttrOut = StructType<typeof AttrOut>;

/** 7.39 */
export const StatxIn = struct('fuse_statx_in', [
  ['getattr_flags', 'u32'],
  ['reserved', pad(4)],
  ['fh', 'u64'],
  ['sx_flags', 'u32'],
  ['sx_mask', 'u32'],
]);
export type StatxIn = StructType<typeof StatxIn>;

/** 7.39 */
export const StatxOut = struct('fuse_statx_out', [
  ['attr_valid', 'u64'],
  ['attr_valid_nsec', 'u32'],
  ['flags', 'u32'],
  ['spare', pad(8 * 2)],
  ['stat', Statx],
]);
export type StatxOut = StructType<typeof StatxOut>;

export const MknodIn = struct('fuse_mknod_in', [
  ['mode', 'u32'],
  ['rdev', 'u32'],
  ['umask', 'u32'],
  ['padding', pad(4)],
]);
export type MknodIn = StructType<typeof MknodIn>;

export const MkdirIn = struct('fuse_mkdir_in', [
  ['mode', 'u32'],
  ['umask', 'u32'],
]);
export type MkdirIn = StructType<typeof MkdirIn>;

export const RenameIn = struct('fuse_rename_in', [['newdir', 'u64']]);
export type RenameIn = StructType<typeof RenameIn>;

export const Rename2In = struct('fuse_rename2_in', [
  ['newdir', 'u64'],
  ['flags', 'u32'],
  ['padding', pad(4)],
]);
export type Rename2In = StructType<typeof Rename2In>;

export const LinkIn = struct('fuse_link_in', [['oldnodeid', 'u64']]);
export type LinkIn = StructType<typeof LinkIn>;

export const SetattrIn = struct('fuse_setattr_in', [
  ['valid', 'u32'],
  ['padding', pad(4)],
  ['fh', 'u64'],
  ['size', 'u64'],
  ['lock_owner', 'u64big'],
  ['atime', 'i64'],
  ['mtime', 'i64'],
  ['ctime', 'i64'],
  ['atimensec', 'u32'],
  ['mtimensec', 'u32'],
  ['ctimensec', 'u32'],
  ['mode', 'u32'],
  ['unused4', pad(4)],
  ['uid', 'u32'],
  ['gid', 'u32'],
  ['unused5', pad(4)],
]);
export type SetattrIn = StructType<typeof SetattrIn>;

export const OpenIn = struct('fuse_open_in', [
  ['flags', 'u32'],
  ['open_flags', 'u32'], // FUSE_OPEN_* (7.36; "unused" before)
]);
export type OpenIn = StructType<typeof OpenIn>;

export const CreateIn = struct('fuse_create_in', [
  ['flags', 'u32'],
  ['mode', 'u32'],
  ['umask', 'u32'],
  ['open_flags', 'u32'], // FUSE_OPEN_* (7.36; "padding" before)
]);
export type CreateIn = StructType<typeof CreateIn>;

export const OpenOut = struct('fuse_open_out', [
  ['fh', 'u64'],
  ['open_flags', 'u32'],
  ['backing_id', 'i32'], // 7.40 ("padding" before)
]);
export type OpenOut = StructType<typeof OpenOut>;

export const ReleaseIn = struct('fuse_release_in', [
  ['fh', 'u64'],
  ['flags', 'u32'],
  ['release_flags', 'u32'],
  ['lock_owner', 'u64big'],
]);
export type ReleaseIn = StructType<typeof ReleaseIn>;

export const FlushIn = struct('fuse_flush_in', [
  ['fh', 'u64'],
  ['unused', pad(4)],
  ['padding', pad(4)],
  ['lock_owner', 'u64big'],
]);
export type FlushIn = StructType<typeof FlushIn>;

export const ReadIn = struct('fuse_read_in', [
  ['fh', 'u64'],
  ['offset', 'u64'],
  ['size', 'u32'],
  ['read_flags', 'u32'],
  ['lock_owner', 'u64big'],
  ['flags', 'u32'],
  ['padding', pad(4)],
]);
export type ReadIn = StructType<typeof ReadIn>;

export const WriteIn = struct('fuse_write_in', [
  ['fh', 'u64'],
  ['offset', 'u64'],
  ['size', 'u32'],
  ['write_flags', 'u32'],
  ['lock_owner', 'u64big'],
  ['flags', 'u32'],
  ['padding', pad(4)],
]);
export type WriteIn = StructType<typeof WriteIn>;

export const WriteOut = struct('fuse_write_out', [
  ['size', 'u32'],
  ['padding', pad(4)],
]);
export type WriteOut = StructType<typeof WriteOut>;

export const StatfsOut = struct('fuse_statfs_out', [['st', Kstatfs]]);
export type StatfsOut = StructType<typeof StatfsOut>;

export const FsyncIn = struct('fuse_fsync_in', [
  ['fh', 'u64'],
  ['fsync_flags', 'u32'],
  ['padding', pad(4)],
]);
export type FsyncIn = StructType<typeof FsyncIn>;

/** 16 bytes with FUSE_SETXATTR_EXT; the kernel sends only the first 8 otherwise (FUSE_COMPAT_SETXATTR_IN_SIZE). */
export const SetxattrIn = struct('fuse_setxattr_in', [
  ['size', 'u32'],
  ['flags', 'u32'],
  ['setxattr_flags', 'u32'],
  ['padding', pad(4)],
]);
export type SetxattrIn = StructType<typeof SetxattrIn>;

export const GetxattrIn = struct('fuse_getxattr_in', [
  ['size', 'u32'],
  ['padding', pad(4)],
]);
export type GetxattrIn = StructType<typeof GetxattrIn>;

export const GetxattrOut = struct('fuse_getxattr_out', [
  ['size', 'u32'],
  ['padding', pad(4)],
]);
export type GetxattrOut = StructType<typeof GetxattrOut>;

export const LkIn = struct('fuse_lk_in', [
  ['fh', 'u64'],
  ['owner', 'u64big'],
  ['lk', FileLock],
  ['lk_flags', 'u32'],
  ['padding', pad(4)],
]);
export type LkIn = StructType<typeof LkIn>;

export const LkOut = struct('fuse_lk_out', [['lk', FileLock]]);
export type LkOut = StructType<typeof LkOut>;

export const AccessIn = struct('fuse_access_in', [
  ['mask', 'u32'],
  ['padding', pad(4)],
]);
export type AccessIn = StructType<typeof AccessIn>;

/**
 * Kernels before 7.36 send only the first 16 bytes (no flags2); the decoder
 * reads what is there and zero-fills the rest.
 */
export const InitIn = struct('fuse_init_in', [
  ['major', 'u32'],
  ['minor', 'u32'],
  ['max_readahead', 'u32'],
  ['flags', 'u32'],
  ['flags2', 'u32'], // 7.36
  ['unused', pad(4 * 11)],
]);
export type InitIn = StructType<typeof InitIn>;

export const InitOut = struct('fuse_init_out', [
  ['major', 'u32'],
  ['minor', 'u32'],
  ['max_readahead', 'u32'],
  ['flags', 'u32'],
  ['max_background', 'u16'],
  ['congestion_threshold', 'u16'],
  ['max_write', 'u32'],
  ['time_gran', 'u32'],
  ['max_pages', 'u16'], // 7.28
  ['map_alignment', 'u16'], // 7.31
  ['flags2', 'u32'], // 7.36
  ['max_stack_depth', 'u32'], // 7.40
  ['request_timeout', 'u16'], // 7.43
  ['unused', pad(2 * 11)],
]);
export type InitOut = StructType<typeof InitOut>;

export const CuseInitIn = struct('cuse_init_in', [
  ['major', 'u32'],
  ['minor', 'u32'],
  ['unused', pad(4)],
  ['flags', 'u32'],
]);
export type CuseInitIn = StructType<typeof CuseInitIn>;

export const CuseInitOut = struct('cuse_init_out', [
  ['major', 'u32'],
  ['minor', 'u32'],
  ['unused', pad(4)],
  ['flags', 'u32'],
  ['max_read', 'u32'],
  ['max_write', 'u32'],
  ['dev_major', 'u32'], // chardev major
  ['dev_minor', 'u32'], // chardev minor
  ['spare', pad(4 * 10)],
]);
export type CuseInitOut = StructType<typeof CuseInitOut>;

export const InterruptIn = struct('fuse_interrupt_in', [['unique', 'u64']]);
export type InterruptIn = StructType<typeof InterruptIn>;

export const BmapIn = struct('fuse_bmap_in', [
  ['block', 'u64'],
  ['blocksize', 'u32'],
  ['padding', pad(4)],
]);
export type BmapIn = StructType<typeof BmapIn>;

export const BmapOut = struct('fuse_bmap_out', [['block', 'u64']]);
export type BmapOut = StructType<typeof BmapOut>;

export const IoctlIn = struct('fuse_ioctl_in', [
  ['fh', 'u64'],
  ['flags', 'u32'],
  ['cmd', 'u32'],
  ['arg', 'u64big'], // a user-space pointer or an arbitrary unsigned long
  ['in_size', 'u32'],
  ['out_size', 'u32'],
]);
export type IoctlIn = StructType<typeof IoctlIn>;

export const IoctlIovec = struct('fuse_ioctl_iovec', [
  ['base', 'u64big'],
  ['len', 'u64'],
]);
export type IoctlIovec = StructType<typeof IoctlIovec>;

export const IoctlOut = struct('fuse_ioctl_out', [
  ['result', 'i32'],
  ['flags', 'u32'],
  ['in_iovs', 'u32'],
  ['out_iovs', 'u32'],
]);
export type IoctlOut = StructType<typeof IoctlOut>;

export const PollIn = struct('fuse_poll_in', [
  ['fh', 'u64'],
  ['kh', 'u64'],
  ['flags', 'u32'],
  ['events', 'u32'],
]);
export type PollIn = StructType<typeof PollIn>;

export const PollOut = struct('fuse_poll_out', [
  ['revents', 'u32'],
  ['padding', pad(4)],
]);
export type PollOut = StructType<typeof PollOut>;

export const NotifyPollWakeupOut = struct('fuse_notify_poll_wakeup_out', [['kh', 'u64']]);
export type NotifyPollWakeupOut = StructType<typeof NotifyPollWakeupOut>;

export const FallocateIn = struct('fuse_fallocate_in', [
  ['fh', 'u64'],
  ['offset', 'u64'],
  ['length', 'u64'],
  ['mode', 'u32'],
  ['padding', pad(4)],
]);
export type FallocateIn = StructType<typeof FallocateIn>;

/**
 * The request header. `unique` is decoded by header.ts rather than through
 * this layout because of the FUSE_UNIQUE_RESEND bit; the layout is here for
 * the size and offset checks and for the emulator, which writes headers.
 */
export const InHeader = struct('fuse_in_header', [
  ['len', 'u32'],
  ['opcode', 'u32'],
  ['unique', 'u64'],
  ['nodeid', 'u64'],
  ['uid', 'u32'],
  ['gid', 'u32'],
  ['pid', 'u32'],
  ['total_extlen', 'u16'], // 7.37: length of extensions in 8-byte units
  ['padding', pad(2)],
]);
export type InHeader = StructType<typeof InHeader>;

export const OutHeader = struct('fuse_out_header', [
  ['len', 'u32'],
  ['error', 'i32'],
  ['unique', 'u64'],
]);
export type OutHeader = StructType<typeof OutHeader>;

/** Followed by `namelen` bytes of name, then zero padding to 8 bytes (FUSE_DIRENT_ALIGN). */
export const Dirent = struct('fuse_dirent', [
  ['ino', 'u64'],
  ['off', 'u64'],
  ['namelen', 'u32'],
  ['type', 'u32'],
]);
export type Dirent = StructType<typeof Dirent>;

export const Direntplus = struct('fuse_direntplus', [
  ['entry_out', EntryOut],
  ['dirent', Dirent],
]);
export type Direntplus = StructType<typeof Direntplus>;

export const NotifyInvalInodeOut = struct('fuse_notify_inval_inode_out', [
  ['ino', 'u64'],
  ['off', 'i64'],
  ['len', 'i64'],
]);
export type NotifyInvalInodeOut = StructType<typeof NotifyInvalInodeOut>;

export const NotifyInvalEntryOut = struct('fuse_notify_inval_entry_out', [
  ['parent', 'u64'],
  ['namelen', 'u32'],
  ['flags', 'u32'], // 7.38 (FUSE_EXPIRE_ONLY); "padding" before
]);
export type NotifyInvalEntryOut = StructType<typeof NotifyInvalEntryOut>;

export const NotifyDeleteOut = struct('fuse_notify_delete_out', [
  ['parent', 'u64'],
  ['child', 'u64'],
  ['namelen', 'u32'],
  ['padding', pad(4)],
]);
export type NotifyDeleteOut = StructType<typeof NotifyDeleteOut>;

export const NotifyStoreOut = struct('fuse_notify_store_out', [
  ['nodeid', 'u64'],
  ['offset', 'u64'],
  ['size', 'u32'],
  ['padding', pad(4)],
]);
export type NotifyStoreOut = StructType<typeof NotifyStoreOut>;

export const NotifyRetrieveOut = struct('fuse_notify_retrieve_out', [
  ['notify_unique', 'u64'],
  ['nodeid', 'u64'],
  ['offset', 'u64'],
  ['size', 'u32'],
  ['padding', pad(4)],
]);
export type NotifyRetrieveOut = StructType<typeof NotifyRetrieveOut>;

/** Matches the size of fuse_write_in: the kernel answers a retrieve with a NOTIFY_REPLY request shaped like a WRITE. */
export const NotifyRetrieveIn = struct('fuse_notify_retrieve_in', [
  ['dummy1', pad(8)],
  ['offset', 'u64'],
  ['size', 'u32'],
  ['dummy2', pad(4)],
  ['dummy3', pad(8)],
  ['dummy4', pad(8)],
]);
export type NotifyRetrieveIn = StructType<typeof NotifyRetrieveIn>;

/** 7.45: followed by `count` u64 node ids. */
export const NotifyPruneOut = struct('fuse_notify_prune_out', [
  ['count', 'u32'],
  ['padding', pad(4)],
  ['spare', pad(8)],
]);
export type NotifyPruneOut = StructType<typeof NotifyPruneOut>;

/** 7.40: argument of FUSE_DEV_IOC_BACKING_OPEN. */
export const BackingMap = struct('fuse_backing_map', [
  ['fd', 'i32'],
  ['flags', 'u32'],
  ['padding', pad(8)],
]);
export type BackingMap = StructType<typeof BackingMap>;

export const LseekIn = struct('fuse_lseek_in', [
  ['fh', 'u64'],
  ['offset', 'u64'],
  ['whence', 'u32'],
  ['padding', pad(4)],
]);
export type LseekIn = StructType<typeof LseekIn>;

export const LseekOut = struct('fuse_lseek_out', [['offset', 'u64']]);
export type LseekOut = StructType<typeof LseekOut>;

export const CopyFileRangeIn = struct('fuse_copy_file_range_in', [
  ['fh_in', 'u64'],
  ['off_in', 'u64'],
  ['nodeid_out', 'u64'],
  ['fh_out', 'u64'],
  ['off_out', 'u64'],
  ['len', 'u64'],
  ['flags', 'u64'],
]);
export type CopyFileRangeIn = StructType<typeof CopyFileRangeIn>;

/** 7.45: reply of FUSE_COPY_FILE_RANGE_64 (COPY_FILE_RANGE answers with fuse_write_out). */
export const CopyFileRangeOut = struct('fuse_copy_file_range_out', [['bytes_copied', 'u64']]);
export type CopyFileRangeOut = StructType<typeof CopyFileRangeOut>;

/** DAX (virtiofs) only; a /dev/fuse kernel never sends it. Declared for completeness. */
export const SetupmappingIn = struct('fuse_setupmapping_in', [
  ['fh', 'u64'],
  ['foffset', 'u64'],
  ['len', 'u64'],
  ['flags', 'u64'],
  ['moffset', 'u64'],
]);
export type SetupmappingIn = StructType<typeof SetupmappingIn>;

/** DAX only; followed by `count` fuse_removemapping_one. */
export const RemovemappingIn = struct('fuse_removemapping_in', [['count', 'u32']]);
export type RemovemappingIn = StructType<typeof RemovemappingIn>;

export const RemovemappingOne = struct('fuse_removemapping_one', [
  ['moffset', 'u64'],
  ['len', 'u64'],
]);
export type RemovemappingOne = StructType<typeof RemovemappingOne>;

export const SyncfsIn = struct('fuse_syncfs_in', [['padding', pad(8)]]);
export type SyncfsIn = StructType<typeof SyncfsIn>;

/** One security context: followed by its NUL-terminated name, then `size` bytes of label. */
export const Secctx = struct('fuse_secctx', [
  ['size', 'u32'],
  ['padding', pad(4)],
]);
export type Secctx = StructType<typeof Secctx>;

/** The first request extension when FUSE_SECURITY_CTX is on: `nr_secctx` contexts, `size` bytes in all. */
export const SecctxHeader = struct('fuse_secctx_header', [
  ['size', 'u32'],
  ['nr_secctx', 'u32'],
]);
export type SecctxHeader = StructType<typeof SecctxHeader>;

/** Header of every request extension; types above FUSE_MAX_NR_SECCTX tell it from a fuse_secctx_header. */
export const ExtHeader = struct('fuse_ext_header', [
  ['size', 'u32'],
  ['type', 'u32'],
]);
export type ExtHeader = StructType<typeof ExtHeader>;

/** FUSE_EXT_GROUPS: followed by `nr_groups` u32 group ids. */
export const SuppGroups = struct('fuse_supp_groups', [['nr_groups', 'u32']]);
export type SuppGroups = StructType<typeof SuppGroups>;

/** 7.42, FUSE over io_uring (fuse-io-uring.rst). */
export const UringEntInOut = struct('fuse_uring_ent_in_out', [
  ['flags', 'u64'],
  ['commit_id', 'u64'],
  ['payload_sz', 'u32'],
  ['padding', pad(4)],
  ['reserved', pad(8)],
]);
export type UringEntInOut = StructType<typeof UringEntInOut>;

export const UringReqHeader = struct('fuse_uring_req_header', [
  ['in_out', pad(128)], // FUSE_URING_IN_OUT_HEADER_SZ: fuse_in_header / fuse_out_header
  ['op_in', pad(128)], // FUSE_URING_OP_IN_OUT_SZ: the per-opcode header
  ['ring_ent_in_out', UringEntInOut],
]);
export type UringReqHeader = StructType<typeof UringReqHeader>;

export const UringCmdReq = struct('fuse_uring_cmd_req', [
  ['flags', 'u64'],
  ['commit_id', 'u64'],
  ['qid', 'u16'],
  ['padding', pad(6)],
]);
export type UringCmdReq = StructType<typeof UringCmdReq>;

/** Every layout, for the size/offset tests and the trace tool. */
export const ALL_STRUCTS = [
  Attr, SxTime, Statx, Kstatfs, FileLock, EntryOut, ForgetIn, ForgetOne, BatchForgetIn, GetattrIn, AttrOut,
  StatxIn, StatxOut, MknodIn, MkdirIn, RenameIn, Rename2In, LinkIn, SetattrIn, OpenIn, CreateIn, OpenOut,
  ReleaseIn, FlushIn, ReadIn, WriteIn, WriteOut, StatfsOut, FsyncIn, SetxattrIn, GetxattrIn, GetxattrOut, LkIn,
  LkOut, AccessIn, InitIn, InitOut, CuseInitIn, CuseInitOut, InterruptIn, BmapIn, BmapOut, IoctlIn, IoctlIovec,
  IoctlOut, PollIn, PollOut, NotifyPollWakeupOut, FallocateIn, InHeader, OutHeader, Dirent, Direntplus,
  NotifyInvalInodeOut, NotifyInvalEntryOut, NotifyDeleteOut, NotifyStoreOut, NotifyRetrieveOut, NotifyRetrieveIn,
  NotifyPruneOut, BackingMap, LseekIn, LseekOut, CopyFileRangeIn, CopyFileRangeOut, SetupmappingIn,
  RemovemappingIn, RemovemappingOne, SyncfsIn, Secctx, SecctxHeader, ExtHeader, SuppGroups, UringEntInOut,
  UringReqHeader, UringCmdReq,
] as const;
