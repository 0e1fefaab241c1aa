/**
 * FUSE_INIT: The first request of every session. Kernels before 7.36 send a
 * 16-byte fuse_init_in (no flags2); very old ones 8 bytes. The decoder takes
 * whatever prefix is there and reads the rest as zero; offeredFlags() in
 * ../init.ts combines flags and flags2 into the 64-bit set, and the
 * negotiation itself is there too.
 */
import { Opcode } from '../constants';
import { defineOp, type RequestOf } from '../op';
import { InitIn } from '../structs';

/** The smallest fuse_init_in ever sent: major and minor. */
const MIN_INIT_IN = 8;
/** fuse_init_in before 7.36: major, minor, max_readahead, flags. */
const INIT_IN_PRE_36 = 16;

export const INIT = defineOp(Opcode.INIT, 'INIT', 'init', {
  decode: (c) => {
    const arg = c.structPrefix(InitIn, Math.max(MIN_INIT_IN, Math.min(c.remaining, InitIn.size)));
    return { arg };
  },
  // A kernel before 7.36 sends only the first 16 bytes (no flags2, no unused[]).
  encode: (w, b) => void w.struct(InitIn, b.arg, b.arg.minor < 36 ? INIT_IN_PRE_36 : InitIn.size),
});
export type InitRequest = RequestOf<typeof INIT>;
