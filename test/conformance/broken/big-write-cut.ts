/** WRITEs larger than 64 KiB stored only up to 64 KiB, the full count answered (a fixed-size bounce buffer): big_writes lose data silently. */
import { memfsWith, sync } from './base';
export { inspect } from './base';

export const scenario = 'write-patterns';
export const make = memfsWith((m) => ({
  write: (c, ino, fh, off, data, info) => {
    sync(m.write!(c, ino, fh, off, data.subarray(0, 65536), info));
    return data.length;
  },
}));
