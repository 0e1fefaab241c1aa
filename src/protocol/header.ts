/**
 * fuse_in_header and fuse_out_header.
 *
 * `unique` is a JavaScript number. The kernel's counter grows by 2 per
 * request from 0, so it stays far below 2^53 for the life of any mount; the
 * one high bit it can carry, FUSE_UNIQUE_RESEND (bit 63, set on requests the
 * kernel resends after NOTIFY_RESEND), is folded into bit 52 on decode and
 * unfolded on encode, so a reply echoes exactly the 64 bits it was sent.
 */
import { InHeader, OutHeader } from './structs';

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

/** Reads a fuse_in_header at offset 0; the caller has checked there are 40 bytes. */
export function readInHeader(buf: Buffer): InHeader {
  return {
    len: u32(buf, 0),
    opcode: u32(buf, 4),
    unique: readUnique(buf, 8),
    nodeid: u32(buf, 16) + u32(buf, 20) * TWO32,
    uid: u32(buf, 24),
    gid: u32(buf, 28),
    pid: u32(buf, 32),
    total_extlen: buf[36]! | (buf[37]! << 8),
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
