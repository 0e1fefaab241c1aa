/** FUSE_SYMLINK: Create a symbolic link `name` in directory header.nodeid pointing to `linkname`. The name comes first on the wire, then the target. */
import { Opcode } from '../constants';
import { defineOp, type RequestOf } from '../op';

export const SYMLINK = defineOp(Opcode.SYMLINK, 'SYMLINK', 'entry', {
  decode: (c) => {
    const name = c.string('name');
    return { name, linkname: c.string('linkname') };
  },
  encode: (w, b) => void w.string(b.name).string(b.linkname),
});
export type SymlinkRequest = RequestOf<typeof SYMLINK>;
