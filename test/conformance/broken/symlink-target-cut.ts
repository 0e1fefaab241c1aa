/** Symlink targets cut at 1023 bytes (a fixed buffer of 1024): long targets point elsewhere. */
import { memfsWith } from './base';
export { inspect } from './base';

export const scenario = 'symlinks';
export const make = memfsWith((m) => ({ symlink: (c, p, n, target) => m.symlink!(c, p, n, target.slice(0, 1023)) }));
