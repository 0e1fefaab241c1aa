/** FUSE_POLL: poll(2)/select(2): answer with the ready events; with FUSE_POLL_SCHEDULE_NOTIFY, send NOTIFY_POLL with `kh` when readiness changes. */
import { Opcode } from '../constants';
import { argBody, defineOp, type RequestOf } from '../op';
import { PollIn } from '../structs';

export const POLL = defineOp(Opcode.POLL, 'POLL', 'poll', argBody(PollIn));
export type PollRequest = RequestOf<typeof POLL>;
