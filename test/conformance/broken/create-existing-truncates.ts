/** CREATE of a name that appeared since the kernel's LOOKUP truncates it (create implemented as open(O_CREAT|O_TRUNC)): another client's data is lost. */
import { O_TRUNC } from '../../../src/linux/constants';
import { memfsWith } from './base';
export { inspect } from './base';

export const scenario = 'open-flags';
export const make = memfsWith((m) => ({ create: (c, p, n, mode, flags, info) => m.create!(c, p, n, mode, flags | O_TRUNC, info) }));
