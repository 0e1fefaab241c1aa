/** LSEEK SEEK_DATA/SEEK_HOLE at or past the end answer the offset instead of ENXIO: cp --sparse and tar loop or copy garbage. */
import { SEEK_DATA } from '../../../src/linux/constants';
import { memfsWith } from './base';
export { inspect } from './base';

export const scenario = 'lseek';
export const make = memfsWith((m) => ({
  lseek: (c, ino, fh, offset, whence) => {
    const size = m.state.get(ino).size;
    if (offset >= size) return whence === SEEK_DATA ? offset : size;
    return m.lseek!(c, ino, fh, offset, whence);
  },
}));
