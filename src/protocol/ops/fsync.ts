/** FUSE_FSYNC: Flush file data (and metadata unless FUSE_FSYNC_FDATASYNC) to stable storage. */
import { Opcode } from '../constants';
import { argBody, defineOp, type RequestOf } from '../op';
import { FsyncIn } from '../structs';

export const FSYNC = defineOp(Opcode.FSYNC, 'FSYNC', 'empty', argBody(FsyncIn));
export type FsyncRequest = RequestOf<typeof FSYNC>;
