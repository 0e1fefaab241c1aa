/** Names that are not UTF-8 stored with U+FFFD in place of their bytes (a backend that only keeps UTF-8 strings): two names become one, a file cannot be found by the name it was created with. */
import { memfsWith } from './base';
export { inspect } from './base';

export const scenario = 'odd-names';
const lossy = (name: string): string => name.replace(/[\udc80-\udcff]/g, '\ufffd');
export const make = memfsWith((m) => ({
  lookup: (c, p, n) => m.lookup!(c, p, lossy(n)),
  create: (c, p, n, mode, flags, info) => m.create!(c, p, lossy(n), mode, flags, info),
  mkdir: (c, p, n, mode) => m.mkdir!(c, p, lossy(n), mode),
  mknod: (c, p, n, mode, rdev) => m.mknod!(c, p, lossy(n), mode, rdev),
  symlink: (c, p, n, target) => m.symlink!(c, p, lossy(n), target),
  unlink: (c, p, n) => m.unlink!(c, p, lossy(n)),
  rmdir: (c, p, n) => m.rmdir!(c, p, lossy(n)),
  link: (c, ino, np, nn) => m.link!(c, ino, np, lossy(nn)),
  rename: (c, p, n, np, nn, flags) => m.rename!(c, p, lossy(n), np, lossy(nn), flags),
}));
