/** FUSE_FLUSH: Sent on every close(2) of a file descriptor; `lock_owner` lets the filesystem drop that owner's POSIX locks. */
import { Opcode } from '../constants';
import { argBody, defineOp, type RequestOf } from '../op';
import { FlushIn } from '../structs';

export const FLUSH = defineOp(Opcode.FLUSH, 'FLUSH', 'empty', argBody(FlushIn));
export type FlushRequest = RequestOf<typeof FLUSH>;
