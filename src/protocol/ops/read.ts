/** FUSE_READ: Read up to `size` bytes at `offset`. A short reply means end of file, except with direct IO, where it is taken as is. */
import { Opcode } from '../constants';
import { argBody, defineOp, type RequestOf } from '../op';
import { ReadIn } from '../structs';

export const READ = defineOp(Opcode.READ, 'READ', 'data', argBody(ReadIn));
export type ReadRequest = RequestOf<typeof READ>;
