/**
 * Shared sample values for the protocol tests: odd names, u64 edge values,
 * filled-in structs, and a tiny independent byte builder (so a test can
 * state the kernel's bytes without going through the codec's layouts).
 */
import {
  decodeName, DEFAULT_DECODE_CONTEXT, type Attr, type AttrOut, type DecodeContext, type EntryOut, type InHeader,
  type Kstatfs, type OpenOut, type Statx, type StatxOut,
} from '../../src/protocol';

export const TWO32 = 2 ** 32;
/** The largest integer a double holds exactly. */
export const MAX_SAFE = Number.MAX_SAFE_INTEGER;
/** u64 values that must survive as numbers. */
export const U64_EDGES = [0, 1, 0xffffffff, TWO32, TWO32 + 1, 2 ** 52, MAX_SAFE] as const;
export const U64BIG_EDGES = [0n, 1n, 0xffffffffn, 1n << 32n, (1n << 63n) - 1n, 1n << 63n, (1n << 64n) - 1n] as const;

export const CTX_EXT: DecodeContext = { minor: 45, setxattrExt: true };
export const CTX_COMPAT: DecodeContext = { minor: 45, setxattrExt: false };
export { DEFAULT_DECODE_CONTEXT };

/** A name made of raw bytes, as the codec decodes it. */
export function bytesName(...bytes: number[]): string {
  const b = Buffer.from(bytes);
  return decodeName(b, 0, b.length);
}

/** Names that stress the byte/string mapping. */
export const ODD_NAMES: readonly string[] = [
  'a',
  'file.txt',
  'ünïcödé',
  '😀 emoji 🎉',
  '\u{10080}', // its UTF-16 low surrogate (U+DC80) is in the escape range
  bytesName(0xff),
  bytesName(0x66, 0x80, 0x6f), // f, a stray continuation byte, o
  bytesName(0xc3), // a truncated two-byte sequence
  bytesName(0xed, 0xb2, 0x80), // UTF-8 of the surrogate U+DC80: invalid, must stay three bytes
  bytesName(0xf0, 0x9f, 0x98), // a truncated emoji
  bytesName(0xc0, 0xaf), // overlong '/'
  'x'.repeat(255), // NAME_MAX
  'é'.repeat(127) + 'x', // 255 bytes of two-byte characters
  bytesName(...Array.from({ length: 255 }, (_, i) => 0x80 + (i % 128))), // 255 invalid bytes
  'with space\tand\ttabs',
  '.hidden',
];

export function header(unique: number, nodeid = 1): Omit<InHeader, 'len' | 'total_extlen' | 'opcode'> {
  return { unique, nodeid, uid: 1000, gid: 1000, pid: 4242 };
}

export function attr(ino = 42): Attr {
  return {
    ino,
    size: 2 ** 40 + 7,
    blocks: 8,
    atime: 1_700_000_000,
    mtime: -1, // before the epoch: i64
    ctime: MAX_SAFE,
    atimensec: 999_999_999,
    mtimensec: 1,
    ctimensec: 0,
    mode: 0o100644,
    nlink: 1,
    uid: 0xffffffff,
    gid: 0,
    rdev: 0,
    blksize: 4096,
    flags: 1,
  };
}

export function entryOut(nodeid = 42): EntryOut {
  return {
    nodeid,
    generation: TWO32 + 3,
    entry_valid: 1,
    attr_valid: MAX_SAFE,
    entry_valid_nsec: 500,
    attr_valid_nsec: 999_999_999,
    attr: attr(nodeid),
  };
}

export function attrOut(): AttrOut {
  return { attr_valid: 5, attr_valid_nsec: 7, attr: attr() };
}

export function openOut(): OpenOut {
  return { fh: TWO32 + 9, open_flags: 0b1011, backing_id: -1 };
}

export function kstatfs(): Kstatfs {
  return { blocks: 2 ** 50, bfree: 2 ** 33, bavail: 12, files: 1, ffree: 0, bsize: 4096, namelen: 255, frsize: 512 };
}

export function statxOut(): StatxOut {
  const t = (s: number, ns: number): Statx['atime'] => ({ tv_sec: s, tv_nsec: ns });
  return {
    attr_valid: 1,
    attr_valid_nsec: 2,
    flags: 0,
    stat: {
      mask: 0xfff, blksize: 4096, attributes: 0x20, nlink: 3, uid: 5, gid: 6, mode: 0o40755, ino: MAX_SAFE,
      size: 2 ** 45, blocks: 9, attributes_mask: 0x7fff, atime: t(-5, 1), btime: t(0, 0), ctime: t(1_700_000_000, 999_999_999),
      mtime: t(-(2 ** 40), 3), rdev_major: 8, rdev_minor: 1, dev_major: 0, dev_minor: 0x1f,
    },
  };
}

/** Builds bytes by hand: little-endian integers, strings, raw bytes, and zero padding. */
export class Bytes {
  private readonly parts: Buffer[] = [];
  u8(v: number): this {
    return this.push(Buffer.from([v]));
  }
  u16(v: number): this {
    const b = Buffer.alloc(2);
    b.writeUInt16LE(v);
    return this.push(b);
  }
  u32(v: number): this {
    const b = Buffer.alloc(4);
    b.writeUInt32LE(v >>> 0);
    return this.push(b);
  }
  i32(v: number): this {
    const b = Buffer.alloc(4);
    b.writeInt32LE(v);
    return this.push(b);
  }
  u64(v: number | bigint): this {
    const b = Buffer.alloc(8);
    b.writeBigUInt64LE(BigInt.asUintN(64, BigInt(v)));
    return this.push(b);
  }
  /** A C string: the bytes and a NUL. */
  cstr(s: string | Buffer): this {
    return this.raw(typeof s === 'string' ? Buffer.from(s, 'utf8') : s).u8(0);
  }
  raw(b: Buffer): this {
    return this.push(b);
  }
  zeros(n: number): this {
    return this.push(Buffer.alloc(n));
  }
  /** Zero bytes up to the next multiple of `n`. */
  align(n: number): this {
    return this.zeros((n - (this.length % n)) % n);
  }
  get length(): number {
    return this.parts.reduce((a, b) => a + b.length, 0);
  }
  build(): Buffer {
    return Buffer.concat(this.parts);
  }
  private push(b: Buffer): this {
    this.parts.push(b);
    return this;
  }
}

/** A fuse_in_header followed by `body`, as the kernel lays it out. */
export function kernelRequest(opcode: number, unique: number | bigint, nodeid: number, body: Buffer, extlen = 0): Buffer {
  return Buffer.concat([
    new Bytes().u32(40 + body.length).u32(opcode).u64(unique).u64(nodeid).u32(1000).u32(1000).u32(4242).u16(extlen).u16(0).build(),
    body,
  ]);
}

/** Joins a reply's iovec list into the one message the kernel reads. */
export function joined(b: Buffer | readonly Buffer[]): Buffer {
  return Buffer.isBuffer(b) ? b : Buffer.concat(b);
}

/**
 * Runs `fn` with Buffer.allocUnsafe handing out memory full of 0xee, as
 * reused memory may be: an encoder that leaves a byte unwritten shows it.
 */
export function withDirtyMemory<T>(fn: () => T): T {
  const original = Buffer.allocUnsafe;
  Buffer.allocUnsafe = (size: number) => Buffer.alloc(size, 0xee);
  try {
    return fn();
  } finally {
    Buffer.allocUnsafe = original;
  }
}

/** Runs `fn` with Buffer.allocUnsafe handing out zeroed memory. */
export function withCleanMemory<T>(fn: () => T): T {
  const original = Buffer.allocUnsafe;
  Buffer.allocUnsafe = (size: number) => Buffer.alloc(size);
  try {
    return fn();
  } finally {
    Buffer.allocUnsafe = original;
  }
}

/** Asserts-free helper: the bytes `make` produces do not depend on what memory it was given. */
export function sameOnDirtyMemory(make: () => Buffer | readonly Buffer[]): { dirty: Buffer; clean: Buffer } {
  return { dirty: joined(withDirtyMemory(make)), clean: joined(withCleanMemory(make)) };
}
