/** FUSE_RENAME: Move `oldname` in header.nodeid to `newname` in `newdir`. Plain rename(2) arrives as RENAME; renameat2(2) with flags as RENAME2. */
import { Opcode } from '../constants';
import { argTwoNamesBody, defineOp, type RequestOf } from '../op';
import { RenameIn } from '../structs';

export const RENAME = defineOp(Opcode.RENAME, 'RENAME', 'empty', argTwoNamesBody(RenameIn));
export type RenameRequest = RequestOf<typeof RENAME>;
