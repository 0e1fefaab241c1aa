/**
 * CUSE_INIT: The first request on /dev/cuse. Answered with cuse_init_out
 * followed by NUL-separated KEY=VALUE strings (DEVNAME=... is mandatory),
 * at most CUSE_INIT_INFO_MAX bytes of them; the kernel then creates the
 * character device. See ../cuse.ts.
 */
import { Opcode } from '../constants';
import { argBody, defineOp, type RequestOf } from '../op';
import { CuseInitIn } from '../structs';

export const CUSE_INIT = defineOp(Opcode.CUSE_INIT, 'CUSE_INIT', 'cuse_init', argBody(CuseInitIn));
export type CuseInitRequest = RequestOf<typeof CUSE_INIT>;
