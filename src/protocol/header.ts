/**
 * fuse_in_header and fuse_out_header.
 *
 * `unique` is a JavaScript number. The kernel's counter grows by 2 per
 * request from 0, so it stays far below 2^53 for the life of any mount; the
 * one high bit it can carry, FUSE_UNIQUE_RESEND (bit 63, set on requests the
 * kernel resends after NOTIFY_RESEND), is folded into bit 52 on decode and
 * unfolded on encode, so a reply echoes exactly the 64 bits it was sent.
 */
import { InHeader, OutHeader, WriteIn } from './structs';

export const IN_HEADER_SIZE = InHeader.size; // 40
export const OUT_HEADER_SIZE = OutHeader.size; // 16

const TWO32 = 4294967296;
/** Bit 31 of the high word: FUSE_UNIQUE_RESEND. */
const RESEND_HI = 0x80000000;
/** Where the resend bit lives inside a `unique` number. */
export const UNIQUE_RESEND_FOLDED = 2 ** 52;

// Byte by byte rather than Buffer's readUInt32LE/writeUInt32LE, which V8
// does not inline on Node 20 (see layout.ts). The callers check bounds.
function u32(b: Buffer, o: number): number {
  return (b[o]! | (b[o + 1]! << 8) | (b[o + 2]! << 16)) + b[o + 3]! * 16777216;
}

function put32(b: Buffer, o: number, x: number): void {
  b[o] = x;
  b[o + 1] = x >>> 8;
  b[o + 2] = x >>> 16;
  b[o + 3] = x >>> 24;
}

export function readUnique(buf: Buffer, offset: number): number {
  const lo = u32(buf, offset);
  const hi = u32(buf, offset + 4);
  if (hi & RESEND_HI) return lo + (hi & 0xfffff) * TWO32 + UNIQUE_RESEND_FOLDED;
  return lo + hi * TWO32;
}

export function writeUnique(buf: Buffer, offset: number, unique: number): void {
  let hi = Math.floor(unique / TWO32);
  if (unique >= UNIQUE_RESEND_FOLDED) hi = ((hi - 0x100000) | RESEND_HI) >>> 0;
  put32(buf, offset, unique >>> 0);
  put32(buf, offset + 4, hi);
}

// Peeks at one field of a raw request, for code that routes requests before decoding them (the
// device channel, splice, data workers). The caller has checked the buffer holds a whole header.

/** fuse_in_header.len: the request's length, data a splice left in its pipe included. */
export function peekLength(buf: Buffer): number {
  return u32(buf, 0);
}

/** fuse_in_header.opcode. */
export function peekOpcode(buf: Buffer): number {
  return u32(buf, 4);
}

/** fuse_in_header.unique. */
export function peekUnique(buf: Buffer): number {
  return readUnique(buf, 8);
}

/** fuse_in_header.nodeid. */
export function peekNodeid(buf: Buffer): number {
  return u32(buf, 16) + u32(buf, 20) * TWO32;
}

/** fuse_in_header.pid: the calling thread. */
export function peekPid(buf: Buffer): number {
  return u32(buf, 32);
}

/** fuse_in_header.total_extlen: the request extensions' length in 8-byte units (0: none). */
export function peekExtlen(buf: Buffer): number {
  return buf[36]! | (buf[37]! << 8);
}

const WRITE_OPEN_FLAGS = IN_HEADER_SIZE + WriteIn.offsetOf('flags');

/** fuse_write_in.flags of a WRITE (the file's open flags); the caller has checked it is a WRITE with its headers. */
export function peekWriteOpenFlags(buf: Buffer): number {
  return u32(buf, WRITE_OPEN_FLAGS);
}

/** Reads a fuse_in_header at offset 0; the caller has checked there are 40 bytes. */
export function readInHeader(buf: Buffer): InHeader {
  return {
    len: peekLength(buf),
    opcode: peekOpcode(buf),
    unique: peekUnique(buf),
    nodeid: peekNodeid(buf),
    uid: u32(buf, 24),
    gid: u32(buf, 28),
    pid: peekPid(buf),
    total_extlen: peekExtlen(buf),
  };
}

export function writeInHeader(buf: Buffer, offset: number, h: InHeader): void {
  InHeader.write(buf, offset, h);
  writeUnique(buf, offset + 8, h.unique);
}

/** Writes a fuse_out_header; `error` is 0 or a negative errno (or a notify code when unique is 0). */
export function writeOutHeader(buf: Buffer, len: number, error: number, unique: number): void {
  put32(buf, 0, len);
  put32(buf, 4, error);
  writeUnique(buf, 8, unique);
}

export function readOutHeader(buf: Buffer): OutHeader {
  return { len: buf.readUInt32LE(0), error: buf.readInt32LE(4), unique: readUnique(buf, 8) };
}
