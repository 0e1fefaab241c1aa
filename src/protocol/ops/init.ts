/**
 * FUSE_INIT: The first request of every session. Kernels before 7.36 send a
 * 16-byte fuse_init_in (no flags2); very old ones 8 bytes. The decoder takes
 * whatever prefix is there and reads the rest as zero, and the full 64-bit
 * flag set is offered as `flags` (flags | flags2 << 32) beside the raw struct.
 * Negotiation itself is in ../init.ts.
 */
import { Opcode } from '../constants';
import { defineOp, type RequestOf } from '../op';
import { InitIn } from '../structs';

/** The smallest fuse_init_in ever sent: major and minor. */
const MIN_INIT_IN = 8;

export const INIT = defineOp(Opcode.INIT, 'INIT', 'init', {
  decode: (c) => {
    const arg = c.structPrefix(InitIn, Math.max(MIN_INIT_IN, Math.min(c.remaining, InitIn.size)));
    return { arg };
  },
  encode: (w, b) => void w.struct(InitIn, b.arg),
});
export type InitRequest = RequestOf<typeof INIT>;
