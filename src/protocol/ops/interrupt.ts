/** FUSE_INTERRUPT: The kernel asks to interrupt request `unique`. The server may answer the original request with EINTR, let it finish, or answer this INTERRUPT with EAGAIN if it does not know the original yet. */
import { Opcode } from '../constants';
import { argBody, defineOp, type RequestOf } from '../op';
import { InterruptIn } from '../structs';

export const INTERRUPT = defineOp(Opcode.INTERRUPT, 'INTERRUPT', 'interrupt', argBody(InterruptIn));
export type InterruptRequest = RequestOf<typeof INTERRUPT>;
