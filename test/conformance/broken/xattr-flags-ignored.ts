/** XATTR_CREATE and XATTR_REPLACE ignored: every SETXATTR creates or replaces (a backend with a plain put). */
import { memfsWith } from './base';
export { inspect } from './base';

export const scenario = 'xattr-names';
export const make = memfsWith((m) => ({ setxattr: (c, ino, name, value) => m.setxattr!(c, ino, name, value, 0) }));
