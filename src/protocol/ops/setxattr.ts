/**
 * FUSE_SETXATTR: Set extended attribute `name` to `value` (a view into the
 * request buffer). `flags` are XATTR_CREATE/XATTR_REPLACE. fuse_setxattr_in
 * is 16 bytes only when FUSE_SETXATTR_EXT was negotiated; otherwise the
 * kernel sends its first 8 (FUSE_COMPAT_SETXATTR_IN_SIZE) and
 * setxattr_flags reads as 0.
 */
import { CompatSize, Opcode } from '../constants';
import { ProtocolError } from '../errors';
import { defineOp, type RequestOf } from '../op';
import { SetxattrIn } from '../structs';

export const SETXATTR = defineOp(Opcode.SETXATTR, 'SETXATTR', 'empty', {
  decode: (c, ctx) => {
    const arg = c.structPrefix(SetxattrIn, ctx.setxattrExt ? SetxattrIn.size : CompatSize.SETXATTR_IN);
    const name = c.string('name');
    const value = c.rest();
    if (value.length !== arg.size) {
      throw new ProtocolError('BAD_VALUE', `SETXATTR: fuse_setxattr_in.size is ${arg.size} but ${value.length} bytes of value follow`);
    }
    return { arg, name, value };
  },
  encode: (w, b, ctx) => void w.struct(SetxattrIn, b.arg, ctx.setxattrExt ? SetxattrIn.size : CompatSize.SETXATTR_IN).string(b.name).raw(b.value),
});
export type SetxattrRequest = RequestOf<typeof SETXATTR>;
