/** FUSE_COPY_FILE_RANGE: copy_file_range(2) between two open files of this filesystem; answered with the bytes copied in fuse_write_out (at most 4 GiB - 1). */
import { Opcode } from '../constants';
import { argBody, defineOp, type RequestOf } from '../op';
import { CopyFileRangeIn } from '../structs';

export const COPY_FILE_RANGE = defineOp(Opcode.COPY_FILE_RANGE, 'COPY_FILE_RANGE', 'write', argBody(CopyFileRangeIn));
export type CopyFileRangeRequest = RequestOf<typeof COPY_FILE_RANGE>;
