/** READDIR offsets are positions in the current listing: an unlink during a listing shifts them and an entry is skipped (rm -rf then fails with ENOTEMPTY). */
import { memfsWith, sync } from './base';
export { inspect } from './base';

export const scenario = 'readdir-offsets';
export const make = memfsWith((m) => ({
  readdir: (c, ino, fh, offset, out) => {
    const all: [string, number, number][] = [];
    sync(m.readdir!(c, ino, fh, 0, { add: (name, i, mode) => (all.push([name, i, mode]), true) }));
    for (let k = offset; k < all.length; k++) if (!out.add(all[k]![0], all[k]![1], all[k]![2], k + 1)) break;
  },
}));
