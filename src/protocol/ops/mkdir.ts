/** FUSE_MKDIR: Create a directory named `name` in directory header.nodeid. */
import { Opcode } from '../constants';
import { argNameBody, defineOp, type RequestOf } from '../op';
import { MkdirIn } from '../structs';

export const MKDIR = defineOp(Opcode.MKDIR, 'MKDIR', 'entry', argNameBody(MkdirIn));
export type MkdirRequest = RequestOf<typeof MKDIR>;
