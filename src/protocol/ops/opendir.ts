/** FUSE_OPENDIR: Open a directory for READDIR/READDIRPLUS. */
import { Opcode } from '../constants';
import { argBody, defineOp, type RequestOf } from '../op';
import { OpenIn } from '../structs';

export const OPENDIR = defineOp(Opcode.OPENDIR, 'OPENDIR', 'open', argBody(OpenIn));
export type OpendirRequest = RequestOf<typeof OPENDIR>;
