/** FUSE_DESTROY: The filesystem is being unmounted (sent on fuseblk, and on fuse when the connection is torn down cleanly). Answered, then no more requests come. */
import { Opcode } from '../constants';
import { noBody, defineOp, type RequestOf } from '../op';

export const DESTROY = defineOp(Opcode.DESTROY, 'DESTROY', 'empty', noBody);
export type DestroyRequest = RequestOf<typeof DESTROY>;
