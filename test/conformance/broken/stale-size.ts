/** The size reported is the one from the last close: writes show up in stat only after release (s3fs and rclone without a write cache behave so). */
import type { Attr } from '../../../src/protocol';
import { memfsWith, sync } from './base';
export { inspect } from './base';

export const scenario = 'attrs-fresh';
export const make = memfsWith((m) => {
  const shown = new Map<number, number>();
  const withShown = (ino: number, a: Attr): Attr => (shown.has(ino) ? { ...a, size: shown.get(ino)! } : a);
  return {
    open: (c, ino, flags, info) => {
      const r = sync(m.open!(c, ino, flags, info));
      if (flags & 3 && !shown.has(ino)) shown.set(ino, m.state.get(ino).size);
      return r;
    },
    create: (c, p, n, mode, flags, info) => {
      const r = sync(m.create!(c, p, n, mode, flags, info));
      if (!shown.has(r.entry.ino)) shown.set(r.entry.ino, m.state.get(r.entry.ino).size);
      return r;
    },
    release: (c, ino, fh, info) => {
      shown.delete(ino);
      return m.release!(c, ino, fh, info);
    },
    getattr: (c, ino, fh) => withShown(ino, sync(m.getattr!(c, ino, fh)) as Attr),
    lookup: (c, p, n) => {
      const e = sync(m.lookup!(c, p, n));
      return { ...e, attr: withShown(e.ino, e.attr as Attr) };
    },
  };
});
