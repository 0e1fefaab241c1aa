/**
 * FUSE_IOCTL: ioctl(2) on an open file. `data` is the input buffer the
 * kernel copied from the caller (`in_size` bytes; for a retried
 * unrestricted ioctl, the concatenated input iovecs), as a view into the
 * request buffer. The reply is fuse_ioctl_out plus output data, or, with
 * FUSE_IOCTL_RETRY, the iovecs the kernel should fetch and resend with.
 */
import { Opcode } from '../constants';
import { ProtocolError } from '../errors';
import { defineOp, type RequestOf } from '../op';
import { IoctlIn } from '../structs';

export const IOCTL = defineOp(Opcode.IOCTL, 'IOCTL', 'ioctl', {
  decode: (c) => {
    const arg = c.struct(IoctlIn);
    const data = c.rest();
    // fuse_do_ioctl sends exactly in_size bytes of input after fuse_ioctl_in.
    if (data.length !== arg.in_size) {
      throw new ProtocolError('BAD_VALUE', `IOCTL: fuse_ioctl_in.in_size is ${arg.in_size} but ${data.length} bytes of input follow`);
    }
    return { arg, data };
  },
  encode: (w, b) => void w.struct(IoctlIn, b.arg).raw(b.data),
});
export type IoctlRequest = RequestOf<typeof IOCTL>;
