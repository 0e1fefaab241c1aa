/** FUSE_READLINK: Read a symlink's target. Answered with the target's bytes, no NUL. */
import { Opcode } from '../constants';
import { noBody, defineOp, type RequestOf } from '../op';

export const READLINK = defineOp(Opcode.READLINK, 'READLINK', 'data', noBody);
export type ReadlinkRequest = RequestOf<typeof READLINK>;
