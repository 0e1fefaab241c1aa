/** Truncating down only moves the size; growing again shows the old bytes instead of zeros (a block store that never clears the tail). */
import { bytes, memfsWith, sync } from './base';
export { inspect } from './base';

export const scenario = 'truncate';
export const make = memfsWith((m) => {
  const kept = new Map<number, Buffer>();
  return {
    setattr: (c, ino, ch, fh) => {
      const i = m.state.get(ino);
      if (ch.size === undefined || !i.data) return m.setattr!(c, ino, ch, fh);
      const old = i.data.size;
      if (ch.size < old) {
        const prev = kept.get(ino) ?? Buffer.alloc(0);
        const now = bytes(i.data.read(0, old));
        kept.set(ino, now.length >= prev.length ? now : Buffer.concat([now, prev.subarray(now.length)]));
      }
      sync(m.setattr!(c, ino, ch, fh));
      const stale = kept.get(ino);
      if (ch.size > old && stale && stale.length > old) i.data.write(old, stale.subarray(old, Math.min(ch.size, stale.length)));
      return i.attr();
    },
  };
});
