/** RMDIR of a non-empty directory answers EPERM (a backend's "409 Conflict" mapped to the nearest errno): rm -r reports a permission problem. */
import { FuseError } from '../../../src/api/errors';
import { memfsWith, sync } from './base';
export { inspect } from './base';

export const scenario = 'errnos';
export const make = memfsWith((m) => ({
  rmdir: (c, p, n) => {
    try {
      return sync(m.rmdir!(c, p, n));
    } catch (e) {
      if (e instanceof FuseError && e.code === 'ENOTEMPTY') throw new FuseError('EPERM');
      throw e;
    }
  },
}));
