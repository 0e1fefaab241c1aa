/** FUSE_LISTXATTR: List extended attribute names, each NUL-terminated; the size protocol is GETXATTR's. */
import { Opcode } from '../constants';
import { argBody, defineOp, type RequestOf } from '../op';
import { GetxattrIn } from '../structs';

export const LISTXATTR = defineOp(Opcode.LISTXATTR, 'LISTXATTR', 'xattr', argBody(GetxattrIn));
export type ListxattrRequest = RequestOf<typeof LISTXATTR>;
