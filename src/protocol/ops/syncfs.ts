/** FUSE_SYNCFS: syncfs(2) on the mount. Only virtiofs kernels send it (fc->sync_fs); /dev/fuse mounts never do. */
import { Opcode } from '../constants';
import { argBody, defineOp, type RequestOf } from '../op';
import { SyncfsIn } from '../structs';

export const SYNCFS = defineOp(Opcode.SYNCFS, 'SYNCFS', 'empty', argBody(SyncfsIn));
export type SyncfsRequest = RequestOf<typeof SYNCFS>;
