/** FUSE_RMDIR: Remove the empty directory `name`. */
import { Opcode } from '../constants';
import { nameBody, defineOp, type RequestOf } from '../op';

export const RMDIR = defineOp(Opcode.RMDIR, 'RMDIR', 'empty', nameBody);
export type RmdirRequest = RequestOf<typeof RMDIR>;
