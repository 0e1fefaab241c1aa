/** FUSE_CREATE: Create and open a regular file `name` in directory header.nodeid (open(2) with O_CREAT). Answered with fuse_entry_out then fuse_open_out. */
import { Opcode } from '../constants';
import { argNameBody, defineOp, type RequestOf } from '../op';
import { CreateIn } from '../structs';

export const CREATE = defineOp(Opcode.CREATE, 'CREATE', 'create', argNameBody(CreateIn));
export type CreateRequest = RequestOf<typeof CREATE>;
