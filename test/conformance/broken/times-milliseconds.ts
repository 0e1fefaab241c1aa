/** Times kept in milliseconds (a JavaScript Date, or a backend's ms field): utimensat's nanoseconds come back rounded, make and rsync see every file as changed. */
import type { SetattrChanges, Timespec } from '../../../src/api/filesystem';
import { memfsWith } from './base';
export { inspect } from './base';

export const scenario = 'setattr';
const ms = (t: Timespec | 'now' | undefined): Timespec | 'now' | undefined => (t && t !== 'now' ? { sec: t.sec, nsec: Math.floor(t.nsec / 1e6) * 1e6 } : t);
export const make = memfsWith((m) => ({
  setattr: (c, ino, ch: SetattrChanges, fh) => m.setattr!(c, ino, { ...ch, atime: ms(ch.atime), mtime: ms(ch.mtime) }, fh),
}));
