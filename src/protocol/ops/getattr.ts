/** FUSE_GETATTR: Get attributes; with FUSE_GETATTR_FH in getattr_flags, `fh` names the open file (fstat). */
import { Opcode } from '../constants';
import { argBody, defineOp, type RequestOf } from '../op';
import { GetattrIn } from '../structs';

export const GETATTR = defineOp(Opcode.GETATTR, 'GETATTR', 'attr', argBody(GetattrIn));
export type GetattrRequest = RequestOf<typeof GETATTR>;
