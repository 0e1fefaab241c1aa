/** chmod does not touch ctime (a filesystem that only stamps ctime on data changes): backup tools that trust ctime miss the change. */
import type { AttrInput } from '../../../src/api/filesystem';
import { memfsWith, sync } from './base';
export { inspect } from './base';

export const scenario = 'times';
export const make = memfsWith((m) => ({
  setattr: (c, ino, ch, fh) => {
    const i = m.state.get(ino);
    const before = i.ctime;
    const r = sync(m.setattr!(c, ino, ch, fh)) as AttrInput;
    if (ch.mode !== undefined && ch.size === undefined && ch.uid === undefined && ch.gid === undefined && ch.mtime === undefined) {
      i.ctime = before;
      return i.attr();
    }
    return r;
  },
}));
