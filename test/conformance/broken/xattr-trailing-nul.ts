/** xattr values come back with a trailing NUL (C code that sizes values with strlen()+1): every size is one off. */
import { memfsWith, sync } from './base';
export { inspect } from './base';

export const scenario = 'xattr-values';
export const make = memfsWith((m) => ({
  getxattr: (c, ino, name) => Buffer.concat([sync(m.getxattr!(c, ino, name)), Buffer.alloc(1)]),
}));
