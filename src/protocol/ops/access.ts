/** FUSE_ACCESS: access(2): check `mask` (R_OK|W_OK|X_OK, or F_OK) for the caller. Not sent with default_permissions. */
import { Opcode } from '../constants';
import { argBody, defineOp, type RequestOf } from '../op';
import { AccessIn } from '../structs';

export const ACCESS = defineOp(Opcode.ACCESS, 'ACCESS', 'empty', argBody(AccessIn));
export type AccessRequest = RequestOf<typeof ACCESS>;
