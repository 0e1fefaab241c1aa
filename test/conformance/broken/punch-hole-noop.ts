/** FALLOCATE PUNCH_HOLE answers success and changes nothing (a filesystem that acknowledges modes it does not do, instead of EOPNOTSUPP). */
import { FALLOC_FL_PUNCH_HOLE } from '../../../src/linux/constants';
import { memfsWith } from './base';
export { inspect } from './base';

export const scenario = 'fallocate';
export const make = memfsWith((m) => ({
  fallocate: (c, ino, fh, mode, offset, length) => (mode & FALLOC_FL_PUNCH_HOLE ? undefined : m.fallocate!(c, ino, fh, mode, offset, length)),
}));
