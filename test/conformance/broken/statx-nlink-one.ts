/** STATX answers nlink 1 always (a statx handler that fills a fixed template): hard links and unlinked files look alike. */
import type { StatxResult } from '../../../src/api/filesystem';
import { memfsWith, sync } from './base';
export { inspect } from './base';

export const scenario = 'statx';
export const make = memfsWith((m) => ({
  statx: (c, ino, fh, flags, mask) => {
    const s = sync(m.statx!(c, ino, fh, flags, mask)) as StatxResult;
    return { ...s, stat: { ...s.stat, nlink: 1 } };
  },
}));
