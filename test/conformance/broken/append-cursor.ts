/** O_APPEND kept as a cursor per handle, set at open and the WRITE offset ignored: two appenders overwrite each other (a stream-backed filesystem). */
import { O_APPEND } from '../../../src/linux/constants';
import { memfsWith, sync } from './base';
export { inspect } from './base';

export const scenario = 'append';
export const make = memfsWith((m) => {
  const cursor = new Map<number, number>();
  return {
    open: (c, ino, flags, info) => {
      const r = sync(m.open!(c, ino, flags, info));
      if (flags & O_APPEND && r.fh !== undefined) cursor.set(r.fh, m.state.get(ino).fileData().size);
      return r;
    },
    write: (c, ino, fh, off, data, info) => {
      const pos = cursor.get(fh);
      if (pos === undefined) return m.write!(c, ino, fh, off, data, info);
      const n = sync(m.write!(c, ino, fh, pos, data, info));
      cursor.set(fh, pos + n);
      return n;
    },
    release: (c, ino, fh, info) => {
      cursor.delete(fh);
      return m.release!(c, ino, fh, info);
    },
  };
});
