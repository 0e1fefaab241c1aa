/**
 * Representative request bodies for every opcode in OPS, shared by the
 * round-trip and fuzz tests. The mapped type makes the compiler insist on
 * an entry for each opcode module.
 */
import {
  encodeRequest, OFFSET_MAX, ops, UNIQUE_RESEND_FOLDED,
  type BodyOf, type DecodeContext, type Extensions, type RequestInput,
} from '../../src/protocol';
import { bytesName, CTX_COMPAT, CTX_EXT, MAX_SAFE, ODD_NAMES, TWO32 } from './fixtures';

export type OpName = Exclude<keyof typeof ops, 'OPS'>;
export interface Sample<B> {
  body: B;
  ext?: Extensions;
  ctx?: DecodeContext;
  /** Shown in the test name. */
  note?: string;
}
export type Samples = { [K in OpName]: Sample<BodyOf<(typeof ops)[K]>>[] };

const lockOwner = 0xdead_beef_cafe_f00dn; // above 2^63: the full u64 range matters
const payload = (n: number, seed = 1): Buffer => Buffer.from(Array.from({ length: n }, (_, i) => (i * 31 + seed) & 0xff));
const readArg = { fh: TWO32 + 1, offset: MAX_SAFE, size: 131072, read_flags: 2, lock_owner: lockOwner, flags: 0o100002 };
const releaseArg = { fh: 0, flags: 0o2, release_flags: 3, lock_owner: (1n << 64n) - 1n };
const lk = { fh: 7, owner: lockOwner, lk: { start: 0, end: OFFSET_MAX, type: 1, pid: 4242 }, lk_flags: 0 };
const fsyncArg = { fh: 2 ** 52, fsync_flags: 1 };
const openArg = { flags: 0o100000 | 0o2 | 0o1000, open_flags: 1 };
const createArg = { flags: 0o100101, mode: 0o100644, umask: 0o022, open_flags: 0 };
const newInode: Extensions = {
  secctx: [{ name: 'security.selinux', value: Buffer.from('system_u:object_r:fusefs_t:s0\0') }],
  groups: [1234],
};
const copyArg = { fh_in: 1, off_in: TWO32, nodeid_out: MAX_SAFE, fh_out: 3, off_out: 0, len: 2 ** 40, flags: 0 };

export const SAMPLES: Samples = {
  ACCESS: [{ body: { arg: { mask: 7 } } }],
  BATCH_FORGET: [
    { body: { arg: { count: 3 }, nodes: [{ nodeid: 1, nlookup: 1 }, { nodeid: MAX_SAFE, nlookup: TWO32 }, { nodeid: 2 ** 52, nlookup: 0 }] } },
    { body: { arg: { count: 0 }, nodes: [] }, note: 'empty' },
  ],
  BMAP: [{ body: { arg: { block: TWO32 + 1, blocksize: 4096 } } }],
  COPY_FILE_RANGE: [{ body: { arg: copyArg } }],
  COPY_FILE_RANGE_64: [{ body: { arg: { ...copyArg, len: MAX_SAFE } } }],
  CREATE: [
    { body: { arg: createArg, name: 'new file' } },
    { body: { arg: { ...createArg, open_flags: 1 }, name: ODD_NAMES[5]! }, ext: newInode, note: 'with security context and supplementary group' },
    { body: { arg: createArg, name: 'x' }, ext: { secctx: [] }, note: 'FUSE_SECURITY_CTX with no context' },
  ],
  CUSE_INIT: [{ body: { arg: { major: 7, minor: 45, flags: 1 } } }],
  DESTROY: [{ body: {} }],
  FALLOCATE: [{ body: { arg: { fh: 5, offset: TWO32, length: MAX_SAFE, mode: 0x3 } } }],
  FLUSH: [{ body: { arg: { fh: 9, lock_owner: lockOwner } } }],
  FORGET: [{ body: { arg: { nlookup: MAX_SAFE } } }],
  FSYNC: [{ body: { arg: fsyncArg } }],
  FSYNCDIR: [{ body: { arg: { ...fsyncArg, fsync_flags: 0 } } }],
  GETATTR: [{ body: { arg: { getattr_flags: 1, fh: TWO32 } } }, { body: { arg: { getattr_flags: 0, fh: 0 } }, note: 'no fh' }],
  GETLK: [{ body: { arg: lk } }],
  GETXATTR: [
    { body: { arg: { size: 0 }, name: 'user.mime_type' } },
    { body: { arg: { size: 65536 }, name: 'trusted.' + bytesName(0xfe, 0xff) } },
  ],
  INIT: [{ body: { arg: { major: 7, minor: 45, max_readahead: 131072, flags: 0xfffff7ff, flags2: 0x7ff } } }],
  INTERRUPT: [
    { body: { arg: { unique: 2 } } },
    { body: { arg: { unique: UNIQUE_RESEND_FOLDED + 10 } }, note: 'of a resent request (FUSE_UNIQUE_RESEND)' },
  ],
  IOCTL: [
    { body: { arg: { fh: 3, flags: 2, cmd: 0x80045401, arg: 0x7ffd_1234_5678n, in_size: 5, out_size: 64 }, data: payload(5) } },
    { body: { arg: { fh: 3, flags: 0, cmd: 0x5401, arg: (1n << 64n) - 1n, in_size: 0, out_size: 0 }, data: Buffer.alloc(0) }, note: 'no input' },
  ],
  LINK: [{ body: { arg: { oldnodeid: MAX_SAFE }, name: '😀 link' } }],
  LISTXATTR: [{ body: { arg: { size: 4096 } } }],
  LOOKUP: ODD_NAMES.map((name, i) => ({ body: { name }, note: `name ${i} (${Buffer.byteLength(name)} chars)` })),
  LSEEK: [{ body: { arg: { fh: 1, offset: TWO32, whence: 4 } } }],
  MKDIR: [
    { body: { arg: { mode: 0o40755, umask: 0o077 }, name: 'dir' }, ext: newInode },
    { body: { arg: { mode: 0o40700, umask: 0 }, name: 'd2' }, ext: { groups: [5, 6] }, note: 'two groups: fuse_supp_groups padded to 8' },
  ],
  MKNOD: [
    { body: { arg: { mode: 0o20644, rdev: 0x0801, umask: 0o022 }, name: 'dev' } },
    { body: { arg: { mode: 0o10644, rdev: 0, umask: 0 }, name: 'fifo' }, ext: { groups: [1, 2, 3] }, note: 'three groups' },
  ],
  NOTIFY_REPLY: [
    { body: { arg: { offset: 4096, size: 10 }, data: payload(10) } },
    { body: { arg: { offset: 0, size: 0 }, data: Buffer.alloc(0) }, note: 'nothing cached' },
  ],
  OPEN: [{ body: { arg: openArg } }],
  OPENDIR: [{ body: { arg: { flags: 0o200000, open_flags: 0 } } }],
  POLL: [{ body: { arg: { fh: 1, kh: MAX_SAFE, flags: 1, events: 0x19 } } }],
  READ: [{ body: { arg: readArg } }],
  READDIR: [{ body: { arg: { ...readArg, size: 4096, offset: 0 } } }],
  READDIRPLUS: [{ body: { arg: { ...readArg, size: 65536, offset: 17 } } }],
  READLINK: [{ body: {} }],
  RELEASE: [{ body: { arg: releaseArg } }],
  RELEASEDIR: [{ body: { arg: { ...releaseArg, lock_owner: 0n } } }],
  REMOVEMAPPING: [{ body: { arg: { count: 2 }, mappings: [{ moffset: 0, len: 2 ** 21 }, { moffset: 2 ** 30, len: 4096 }] } }],
  REMOVEXATTR: [{ body: { name: 'user.' + 'x'.repeat(250) } }],
  RENAME: [{ body: { arg: { newdir: 77 }, oldname: ODD_NAMES[6]!, newname: ODD_NAMES[3]! } }],
  RENAME2: [{ body: { arg: { newdir: 1, flags: 2 }, oldname: 'a', newname: 'x'.repeat(255) } }],
  RMDIR: [{ body: { name: ODD_NAMES[13]! } }],
  SETATTR: [
    {
      body: {
        arg: {
          valid: 0xfff, fh: 3, size: MAX_SAFE, lock_owner: lockOwner, atime: -1, mtime: -(2 ** 40), ctime: 1_700_000_000,
          atimensec: 999_999_999, mtimensec: 0, ctimensec: 1, mode: 0o104755, uid: 0xfffffffe, gid: 0,
        },
      },
    },
  ],
  SETLK: [{ body: { arg: { ...lk, lk: { start: TWO32, end: MAX_SAFE, type: 2, pid: 1 } } } }],
  SETLKW: [{ body: { arg: { ...lk, lk_flags: 1 } } }],
  SETUPMAPPING: [{ body: { arg: { fh: 1, foffset: 2 ** 21, len: 2 ** 21, flags: 3, moffset: 0 } } }],
  SETXATTR: [
    { body: { arg: { size: 6, flags: 1, setxattr_flags: 1 }, name: 'system.posix_acl_access', value: Buffer.from([2, 0, 0, 0, 0, 0xff]) }, ctx: CTX_EXT, note: '16-byte fuse_setxattr_in' },
    { body: { arg: { size: 3, flags: 2, setxattr_flags: 0 }, name: 'user.a', value: Buffer.from([0, 0, 0]) }, ctx: CTX_COMPAT, note: '8-byte fuse_setxattr_in' },
    { body: { arg: { size: 0, flags: 0, setxattr_flags: 0 }, name: 'user.empty', value: Buffer.alloc(0) }, ctx: CTX_COMPAT, note: 'empty value' },
    { body: { arg: { size: 65536, flags: 0, setxattr_flags: 0 }, name: 'user.big', value: payload(65536) }, ctx: CTX_EXT, note: '64 KiB value' },
  ],
  STATFS: [{ body: {} }],
  STATX: [{ body: { arg: { getattr_flags: 1, fh: 9, sx_flags: 0x800, sx_mask: 0xfff } } }],
  SYMLINK: [
    { body: { name: 'link', linkname: '../target' } },
    { body: { name: ODD_NAMES[7]!, linkname: '/' + 'dir/'.repeat(1000) + bytesName(0xff, 0xfe) }, ext: newInode, note: 'long odd target' },
  ],
  SYNCFS: [{ body: { arg: {} } }],
  TMPFILE: [{ body: { arg: createArg, name: '/' }, ext: newInode }],
  UNLINK: [{ body: { name: ODD_NAMES[11]! } }],
  WRITE: [
    { body: { arg: { fh: 1, offset: MAX_SAFE - 131072, size: 131072, write_flags: 7, lock_owner: lockOwner, flags: 0o2 }, data: payload(131072) }, note: '128 KiB' },
    { body: { arg: { fh: 1, offset: 0, size: 0, write_flags: 0, lock_owner: 0n, flags: 0 }, data: Buffer.alloc(0) }, note: 'empty' },
  ],
};


export interface EncodedSample {
  op: OpName;
  note: string;
  bytes: Buffer;
  ctx: DecodeContext;
  hasExt: boolean;
}

/** Every sample encoded as the kernel sends it, with increasing uniques. */
export function encodedSamples(): EncodedSample[] {
  const out: EncodedSample[] = [];
  let unique = 0;
  for (const [op, samples] of Object.entries(SAMPLES) as [OpName, Sample<object>[]][]) {
    for (const s of samples) {
      unique += 2;
      const ctx = s.ctx ?? CTX_EXT;
      const input = { opcode: ops[op].opcode, header: { unique, nodeid: unique + 1, uid: 1, gid: 2, pid: 3 }, ext: s.ext ?? null, ...s.body } as unknown as RequestInput;
      out.push({ op, note: s.note ?? '', bytes: encodeRequest(input, ctx), ctx, hasExt: s.ext !== undefined });
    }
  }
  return out;
}
