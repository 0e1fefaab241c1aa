/** FUSE_READDIRPLUS: READDIR with a lookup of each entry: fuse_direntplus records. Each entry with a nonzero nodeid counts as a lookup. */
import { Opcode } from '../constants';
import { argBody, defineOp, type RequestOf } from '../op';
import { ReadIn } from '../structs';

export const READDIRPLUS = defineOp(Opcode.READDIRPLUS, 'READDIRPLUS', 'direntsplus', argBody(ReadIn));
export type ReaddirplusRequest = RequestOf<typeof READDIRPLUS>;
