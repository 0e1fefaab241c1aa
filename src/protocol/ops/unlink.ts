/** FUSE_UNLINK: Remove the directory entry `name` (not a directory). */
import { Opcode } from '../constants';
import { nameBody, defineOp, type RequestOf } from '../op';

export const UNLINK = defineOp(Opcode.UNLINK, 'UNLINK', 'empty', nameBody);
export type UnlinkRequest = RequestOf<typeof UNLINK>;
