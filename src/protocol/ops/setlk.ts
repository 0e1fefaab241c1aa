/** FUSE_SETLK: Acquire or release a POSIX lock without waiting (F_SETLK), or a BSD flock when lk_flags has FUSE_LK_FLOCK. */
import { Opcode } from '../constants';
import { argBody, defineOp, type RequestOf } from '../op';
import { LkIn } from '../structs';

export const SETLK = defineOp(Opcode.SETLK, 'SETLK', 'empty', argBody(LkIn));
export type SetlkRequest = RequestOf<typeof SETLK>;
