/** FUSE_GETXATTR: Read extended attribute `name`. With size 0 the reply is fuse_getxattr_out holding the value's size; otherwise the value itself, or ERANGE if it does not fit in `size`. */
import { Opcode } from '../constants';
import { argNameBody, defineOp, type RequestOf } from '../op';
import { GetxattrIn } from '../structs';

export const GETXATTR = defineOp(Opcode.GETXATTR, 'GETXATTR', 'xattr', argNameBody(GetxattrIn));
export type GetxattrRequest = RequestOf<typeof GETXATTR>;
