/** FUSE_BATCH_FORGET: Many FORGETs in one message: `count` fuse_forget_one records. Never answered. */
import { Opcode } from '../constants';
import { defineOp, type RequestOf } from '../op';
import { BatchForgetIn, ForgetOne } from '../structs';

export const BATCH_FORGET = defineOp(Opcode.BATCH_FORGET, 'BATCH_FORGET', 'none', {
  decode: (c) => {
    const arg = c.struct(BatchForgetIn);
    return { arg, nodes: c.array(ForgetOne, arg.count, 'count') };
  },
  encode: (w, b) => void w.struct(BatchForgetIn, b.arg).array(ForgetOne, b.nodes),
});
export type BatchForgetRequest = RequestOf<typeof BATCH_FORGET>;
