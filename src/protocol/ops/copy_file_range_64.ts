/** FUSE_COPY_FILE_RANGE_64: COPY_FILE_RANGE whose reply carries a 64-bit count (fuse_copy_file_range_out), 7.45. */
import { Opcode } from '../constants';
import { argBody, defineOp, type RequestOf } from '../op';
import { CopyFileRangeIn } from '../structs';

export const COPY_FILE_RANGE_64 = defineOp(Opcode.COPY_FILE_RANGE_64, 'COPY_FILE_RANGE_64', 'copy', argBody(CopyFileRangeIn));
export type CopyFileRange64Request = RequestOf<typeof COPY_FILE_RANGE_64>;
