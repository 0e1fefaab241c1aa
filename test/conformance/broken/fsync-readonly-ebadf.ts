/** FSYNC through a read-only handle answers EBADF (fsync implemented as "flush this handle's write buffer", with none to flush): fsync(2) of a file opened O_RDONLY fails, which editors and databases do. */
import { FuseError } from '../../../src/api/errors';
import { memfsWith } from './base';
export { inspect } from './base';

export const scenario = 'flush-fsync';
export const make = memfsWith((m) => ({
  fsync: (_c, _ino, fh) => {
    const h = m.state.handles.get(fh);
    if (!h || (h.flags & 3) === 0) throw new FuseError('EBADF');
  },
}));
