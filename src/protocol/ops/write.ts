/**
 * FUSE_WRITE: Write `data` at `offset`. `data` is a view into the request
 * buffer, not a copy: the server lends that buffer to the request until it
 * is answered. FUSE_WRITE_CACHE in write_flags marks writeback from the page
 * cache, whose `fh` the kernel picked among the inode's open files.
 * When the server spliced the data into a pipe instead of reading it
 * (DecodeContext.payloadOutside), `data` is empty and `arg.size` says how
 * much waits in the pipe.
 */
import { Opcode } from '../constants';
import { ProtocolError } from '../errors';
import { defineOp, type RequestOf } from '../op';
import { WriteIn } from '../structs';

export const WRITE = defineOp(Opcode.WRITE, 'WRITE', 'write', {
  decode: (c, ctx) => {
    const arg = c.struct(WriteIn);
    const data = c.rest();
    const outside = ctx.payloadOutside ?? 0;
    if (data.length + outside !== arg.size) {
      throw new ProtocolError('BAD_VALUE', `WRITE: fuse_write_in.size is ${arg.size} but ${data.length + outside} bytes of data follow`);
    }
    return { arg, data };
  },
  encode: (w, b) => void w.struct(WriteIn, b.arg).raw(b.data),
});
export type WriteRequest = RequestOf<typeof WRITE>;
