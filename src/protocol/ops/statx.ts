/** FUSE_STATX: statx(2) with fields beyond fuse_attr (btime, attributes): sx_mask says what is wanted. */
import { Opcode } from '../constants';
import { argBody, defineOp, type RequestOf } from '../op';
import { StatxIn } from '../structs';

export const STATX = defineOp(Opcode.STATX, 'STATX', 'statx', argBody(StatxIn));
export type StatxRequest = RequestOf<typeof STATX>;
