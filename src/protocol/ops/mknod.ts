/** FUSE_MKNOD: Create a file node (regular, device, FIFO, socket) named `name` in directory header.nodeid. */
import { Opcode } from '../constants';
import { argNameBody, defineOp, type RequestOf } from '../op';
import { MknodIn } from '../structs';

export const MKNOD = defineOp(Opcode.MKNOD, 'MKNOD', 'entry', argNameBody(MknodIn));
export type MknodRequest = RequestOf<typeof MKNOD>;
