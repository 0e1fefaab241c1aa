/** FUSE_LOOKUP: Look up a directory entry by name and get its attributes. Each successful reply adds one to the inode's lookup count, which FORGET later takes away. */
import { Opcode } from '../constants';
import { nameBody, defineOp, type RequestOf } from '../op';

export const LOOKUP = defineOp(Opcode.LOOKUP, 'LOOKUP', 'entry', nameBody);
export type LookupRequest = RequestOf<typeof LOOKUP>;
