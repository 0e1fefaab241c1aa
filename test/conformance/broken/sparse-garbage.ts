/** A write past the end fills the gap from an uninitialised buffer (Buffer.allocUnsafe): holes read as garbage instead of zeros. */
import { memfsWith, sync } from './base';
export { inspect } from './base';

export const scenario = 'sparse';
export const make = memfsWith((m) => ({
  write: (c, ino, fh, off, data, info) => {
    const size = m.state.get(ino).size;
    if (off > size) sync(m.write!(c, ino, fh, size, Buffer.alloc(off - size, 0xa5), info));
    return m.write!(c, ino, fh, off, data, info);
  },
}));
