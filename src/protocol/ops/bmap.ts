/** FUSE_BMAP: Map a file block to a device block (fuseblk only). */
import { Opcode } from '../constants';
import { argBody, defineOp, type RequestOf } from '../op';
import { BmapIn } from '../structs';

export const BMAP = defineOp(Opcode.BMAP, 'BMAP', 'bmap', argBody(BmapIn));
export type BmapRequest = RequestOf<typeof BMAP>;
