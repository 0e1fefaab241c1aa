/** FUSE_TMPFILE: O_TMPFILE: create an unnamed regular file in directory header.nodeid and open it. Answered like CREATE. */
import { Opcode } from '../constants';
import { argNameBody, defineOp, type RequestOf } from '../op';
import { CreateIn } from '../structs';

export const TMPFILE = defineOp(Opcode.TMPFILE, 'TMPFILE', 'create', argNameBody(CreateIn));
export type TmpfileRequest = RequestOf<typeof TMPFILE>;
