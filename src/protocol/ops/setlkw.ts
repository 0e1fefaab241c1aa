/** FUSE_SETLKW: Acquire a lock, waiting for it (F_SETLKW). The wait is interruptible: expect INTERRUPT. */
import { Opcode } from '../constants';
import { argBody, defineOp, type RequestOf } from '../op';
import { LkIn } from '../structs';

export const SETLKW = defineOp(Opcode.SETLKW, 'SETLKW', 'empty', argBody(LkIn));
export type SetlkwRequest = RequestOf<typeof SETLKW>;
