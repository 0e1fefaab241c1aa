/** STATFS reports more blocks available than free (a quota from another layer added in): df shows more room than there is. */
import type { StatfsResult } from '../../../src/api/filesystem';
import { memfsWith, sync } from './base';
export { inspect } from './base';

export const scenario = 'statfs';
export const make = memfsWith((m) => ({
  statfs: (c, ino) => {
    const s = sync(m.statfs!(c, ino)) as StatfsResult;
    return { ...s, bavail: (s.bfree ?? 0) + 1024 };
  },
}));
