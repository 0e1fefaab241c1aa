/** FUSE_READDIR: Read directory entries from `offset` (an opaque cookie: the `off` of the last entry returned) into at most `size` bytes of fuse_dirent records. */
import { Opcode } from '../constants';
import { argBody, defineOp, type RequestOf } from '../op';
import { ReadIn } from '../structs';

export const READDIR = defineOp(Opcode.READDIR, 'READDIR', 'dirents', argBody(ReadIn));
export type ReaddirRequest = RequestOf<typeof READDIR>;
