/**
 * FUSE_NOTIFY_REPLY: The kernel's answer to a NOTIFY_RETRIEVE notification,
 * sent as a request: header.unique is the retrieve's notify_unique,
 * header.nodeid the inode, and `data` the cached bytes found at `offset`.
 * Never answered.
 */
import { Opcode } from '../constants';
import { ProtocolError } from '../errors';
import { defineOp, type RequestOf } from '../op';
import { NotifyRetrieveIn } from '../structs';

export const NOTIFY_REPLY = defineOp(Opcode.NOTIFY_REPLY, 'NOTIFY_REPLY', 'none', {
  decode: (c) => {
    const arg = c.struct(NotifyRetrieveIn);
    const data = c.rest();
    if (data.length !== arg.size) {
      throw new ProtocolError('BAD_VALUE', `NOTIFY_REPLY: fuse_notify_retrieve_in.size is ${arg.size} but ${data.length} bytes follow`);
    }
    return { arg, data };
  },
  encode: (w, b) => void w.struct(NotifyRetrieveIn, b.arg).raw(b.data),
});
export type NotifyReplyRequest = RequestOf<typeof NOTIFY_REPLY>;
