/** COPY_FILE_RANGE answers the length asked even when the source ended first: the caller believes bytes were copied that were not. */
import { memfsWith, sync } from './base';
export { inspect } from './base';

export const scenario = 'copy-file-range';
export const make = memfsWith((m) => ({
  copyFileRange: (c, a, fa, oa, b, fb, ob, len, flags) => {
    sync(m.copyFileRange!(c, a, fa, oa, b, fb, ob, len, flags));
    return len;
  },
}));
