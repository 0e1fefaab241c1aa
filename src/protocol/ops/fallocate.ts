/** FUSE_FALLOCATE: fallocate(2): `mode` holds FALLOC_FL_* flags. */
import { Opcode } from '../constants';
import { argBody, defineOp, type RequestOf } from '../op';
import { FallocateIn } from '../structs';

export const FALLOCATE = defineOp(Opcode.FALLOCATE, 'FALLOCATE', 'empty', argBody(FallocateIn));
export type FallocateRequest = RequestOf<typeof FALLOCATE>;
