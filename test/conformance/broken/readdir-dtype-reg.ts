/** READDIR says DT_REG for every entry (DT_UNKNOWN would be honest): find and ls -F treat directories as files. */
import { S_IFDIR, S_IFREG } from '../../../src/linux/constants';
import { memfsWith } from './base';
export { inspect } from './base';

export const scenario = 'readdir-contents';
export const make = memfsWith((m) => ({
  readdir: (c, ino, fh, offset, out) => m.readdir!(c, ino, fh, offset, { add: (name, i, _mode, next) => out.add(name, i, name === '.' || name === '..' ? S_IFDIR : S_IFREG, next) }),
}));
