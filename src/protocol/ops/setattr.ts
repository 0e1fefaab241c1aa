/** FUSE_SETATTR: Change attributes: `valid` (FATTR_*) says which fields of the argument apply. Answered with the new attributes. */
import { Opcode } from '../constants';
import { argBody, defineOp, type RequestOf } from '../op';
import { SetattrIn } from '../structs';

export const SETATTR = defineOp(Opcode.SETATTR, 'SETATTR', 'attr', argBody(SetattrIn));
export type SetattrRequest = RequestOf<typeof SETATTR>;
