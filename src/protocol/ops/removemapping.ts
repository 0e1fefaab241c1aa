/** FUSE_REMOVEMAPPING: Remove DAX window mappings (`count` fuse_removemapping_one): virtiofs only, never sent on /dev/fuse. */
import { Opcode } from '../constants';
import { defineOp, type RequestOf } from '../op';
import { RemovemappingIn, RemovemappingOne } from '../structs';

export const REMOVEMAPPING = defineOp(Opcode.REMOVEMAPPING, 'REMOVEMAPPING', 'empty', {
  decode: (c) => {
    const arg = c.struct(RemovemappingIn);
    // fuse_removemapping_in is 4 bytes; the 16-byte records follow unaligned
    return { arg, mappings: c.array(RemovemappingOne, arg.count, 'count') };
  },
  encode: (w, b) => void w.struct(RemovemappingIn, b.arg).array(RemovemappingOne, b.mappings),
});
export type RemovemappingRequest = RequestOf<typeof REMOVEMAPPING>;
