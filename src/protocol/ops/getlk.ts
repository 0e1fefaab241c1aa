/** FUSE_GETLK: Test for a POSIX lock (F_GETLK): answer with the conflicting lock, or with type F_UNLCK. */
import { Opcode } from '../constants';
import { argBody, defineOp, type RequestOf } from '../op';
import { LkIn } from '../structs';

export const GETLK = defineOp(Opcode.GETLK, 'GETLK', 'lk', argBody(LkIn));
export type GetlkRequest = RequestOf<typeof GETLK>;
