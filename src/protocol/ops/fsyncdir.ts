/** FUSE_FSYNCDIR: fsync(2) on a directory. */
import { Opcode } from '../constants';
import { argBody, defineOp, type RequestOf } from '../op';
import { FsyncIn } from '../structs';

export const FSYNCDIR = defineOp(Opcode.FSYNCDIR, 'FSYNCDIR', 'empty', argBody(FsyncIn));
export type FsyncdirRequest = RequestOf<typeof FSYNCDIR>;
