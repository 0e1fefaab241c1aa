/** FUSE_OPEN: Open a file: `flags` are the open(2) flags (O_CREAT, O_EXCL and O_NOCTTY already handled by the kernel). The reply's open_flags carry FOPEN_*. */
import { Opcode } from '../constants';
import { argBody, defineOp, type RequestOf } from '../op';
import { OpenIn } from '../structs';

export const OPEN = defineOp(Opcode.OPEN, 'OPEN', 'open', argBody(OpenIn));
export type OpenRequest = RequestOf<typeof OPEN>;
