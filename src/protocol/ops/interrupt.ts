/**
 * FUSE_INTERRUPT: The kernel asks to interrupt request `unique`. The server may answer the original request with EINTR, let it finish, or answer this INTERRUPT with EAGAIN if it does not know the original yet.
 *
 * arg.unique is the original request's in.h.unique, FUSE_UNIQUE_RESEND bit
 * included when that request was resent, so it is folded exactly as the
 * header's unique is (header.ts): it then equals the original's decoded unique.
 */
import { Opcode } from '../constants';
import { readUnique, writeUnique } from '../header';
import { defineOp, type RequestOf } from '../op';
import { InterruptIn } from '../structs';

export const INTERRUPT = defineOp(Opcode.INTERRUPT, 'INTERRUPT', 'interrupt', {
  decode: (c) => {
    const at = c.pos;
    c.struct(InterruptIn); // bounds check
    const arg: InterruptIn = { unique: readUnique(c.buf, at) };
    return { arg };
  },
  encode: (w, b) => {
    const buf = Buffer.alloc(InterruptIn.size);
    writeUnique(buf, 0, b.arg.unique);
    w.raw(buf);
  },
});
export type InterruptRequest = RequestOf<typeof INTERRUPT>;
