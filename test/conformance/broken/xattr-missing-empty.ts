/** GETXATTR of a name that is not set answers an empty value instead of ENODATA (a store that defaults to ""): tools copy xattrs that never existed. */
import { FuseError } from '../../../src/api/errors';
import { memfsWith, sync } from './base';
export { inspect } from './base';

export const scenario = 'xattr-protocol';
export const make = memfsWith((m) => ({
  getxattr: (c, ino, name) => {
    try {
      return sync(m.getxattr!(c, ino, name));
    } catch (e) {
      if (e instanceof FuseError && e.code === 'ENODATA') return Buffer.alloc(0);
      throw e;
    }
  },
}));
