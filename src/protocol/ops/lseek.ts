/** FUSE_LSEEK: lseek(2) with SEEK_DATA or SEEK_HOLE (the kernel handles the other whences itself). */
import { Opcode } from '../constants';
import { argBody, defineOp, type RequestOf } from '../op';
import { LseekIn } from '../structs';

export const LSEEK = defineOp(Opcode.LSEEK, 'LSEEK', 'lseek', argBody(LseekIn));
export type LseekRequest = RequestOf<typeof LSEEK>;
