/** FUSE_LINK: Create a hard link `name` in directory header.nodeid to inode `oldnodeid`. */
import { Opcode } from '../constants';
import { argNameBody, defineOp, type RequestOf } from '../op';
import { LinkIn } from '../structs';

export const LINK = defineOp(Opcode.LINK, 'LINK', 'entry', argNameBody(LinkIn));
export type LinkRequest = RequestOf<typeof LINK>;
