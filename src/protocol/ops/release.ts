/** FUSE_RELEASE: The last reference to an open file is gone. The kernel does not wait for the reply unless the file is a CUSE device or the filesystem is fuseblk. */
import { Opcode } from '../constants';
import { argBody, defineOp, type RequestOf } from '../op';
import { ReleaseIn } from '../structs';

export const RELEASE = defineOp(Opcode.RELEASE, 'RELEASE', 'empty', argBody(ReleaseIn));
export type ReleaseRequest = RequestOf<typeof RELEASE>;
