/** O_TMPFILE emulated with a hidden-looking name (".tmp<n>"): the "unnamed" file shows up in listings and outlives its last close. */
import { O_CREAT, O_EXCL } from '../../../src/linux/constants';
import { memfsWith } from './base';
export { inspect } from './base';

export const scenario = 'tmpfile';
export const make = memfsWith((m) => {
  let n = 0;
  return { tmpfile: (c, p, mode, flags) => m.create!(c, p, `.tmp${n++}`, mode, flags | O_CREAT | O_EXCL, { killSuidgid: false }) };
});
