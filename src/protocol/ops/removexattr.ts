/** FUSE_REMOVEXATTR: Remove extended attribute `name`. */
import { Opcode } from '../constants';
import { nameBody, defineOp, type RequestOf } from '../op';

export const REMOVEXATTR = defineOp(Opcode.REMOVEXATTR, 'REMOVEXATTR', 'empty', nameBody);
export type RemovexattrRequest = RequestOf<typeof REMOVEXATTR>;
