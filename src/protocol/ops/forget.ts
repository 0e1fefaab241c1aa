/** FUSE_FORGET: The kernel drops `nlookup` references to header.nodeid. Never answered. */
import { Opcode } from '../constants';
import { argBody, defineOp, type RequestOf } from '../op';
import { ForgetIn } from '../structs';

export const FORGET = defineOp(Opcode.FORGET, 'FORGET', 'none', argBody(ForgetIn));
export type ForgetRequest = RequestOf<typeof FORGET>;
