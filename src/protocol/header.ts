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

export function readUnique(buf: Buffer, offset: number): number {
  const lo = buf.readUInt32LE(offset);
  const hi = buf.readUInt32LE(offset + 4);
  if (hi & RESEND_HI) return lo + (hi & 0xfffff) * TWO32 + UNIQUE_RESEND_FOLDED;
  return lo + hi * TWO32;
}

export function writeUnique(buf: Buffer, offset: number, unique: number): void {
  let hi = Math.floor(unique / TWO32);
  if (unique >= UNIQUE_RESEND_FOLDED) hi = ((hi - 0x100000) | RESEND_HI) >>> 0;
  buf.writeUInt32LE(unique >>> 0, offset);
  buf.writeUInt32LE(hi, offset + 4);
}

/** Reads a fuse_in_header at offset 0; the caller has checked there are 40 bytes. */
export function readInHeader(buf: Buffer): InHeader {
  return {
    len: buf.readUInt32LE(0),
    opcode: buf.readUInt32LE(4),
    unique: readUnique(buf, 8),
    nodeid: buf.readUInt32LE(16) + buf.readUInt32LE(20) * TWO32,
    uid: buf.readUInt32LE(24),
    gid: buf.readUInt32LE(28),
    pid: buf.readUInt32LE(32),
    total_extlen: buf.readUInt16LE(36),
  };
}

export function writeInHeader(buf: Buffer, offset: number, h: InHeader): void {
  InHeader.write(buf, offset, h);
  writeUnique(buf, offset + 8, h.unique);
}

/** Writes a fuse_out_header; `error` is 0 or a negative errno (or a notify code when unique is 0). */
export function writeOutHeader(buf: Buffer, len: number, error: number, unique: number): void {
  buf.writeUInt32LE(len, 0);
  buf.writeInt32LE(error, 4);
  writeUnique(buf, 8, unique);
}

export function readOutHeader(buf: Buffer): OutHeader {
  return { len: buf.readUInt32LE(0), error: buf.readInt32LE(4), unique: readUnique(buf, 8) };
}
