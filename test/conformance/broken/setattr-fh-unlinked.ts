/** SETATTR through a handle looks the file up by its path: ftruncate and fchmod of an unlinked open file fail with ENOENT (sshfs without hard_remove). */
import { FuseError } from '../../../src/api/errors';
import { memfsWith } from './base';
export { inspect } from './base';

export const scenario = 'setattr-fields';
export const make = memfsWith((m) => ({
  setattr: (c, ino, ch, fh) => {
    if (m.state.get(ino).nlink === 0) throw new FuseError('ENOENT');
    return m.setattr!(c, ino, ch, fh);
  },
}));
