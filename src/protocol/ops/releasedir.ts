/** FUSE_RELEASEDIR: Close an open directory. */
import { Opcode } from '../constants';
import { argBody, defineOp, type RequestOf } from '../op';
import { ReleaseIn } from '../structs';

export const RELEASEDIR = defineOp(Opcode.RELEASEDIR, 'RELEASEDIR', 'empty', argBody(ReleaseIn));
export type ReleasedirRequest = RequestOf<typeof RELEASEDIR>;
