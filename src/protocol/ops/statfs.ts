/** FUSE_STATFS: Filesystem statistics (statfs(2)). */
import { Opcode } from '../constants';
import { noBody, defineOp, type RequestOf } from '../op';

export const STATFS = defineOp(Opcode.STATFS, 'STATFS', 'statfs', noBody);
export type StatfsRequest = RequestOf<typeof STATFS>;
