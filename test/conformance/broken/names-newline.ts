/** Names holding a newline refused with EINVAL (names kept in a newline-separated index): files made elsewhere cannot be renamed or copied in. */
import { FuseError } from '../../../src/api/errors';
import { memfsWith } from './base';
export { inspect } from './base';

export const scenario = 'odd-names-ops';
const check = (...names: string[]): void => {
  if (names.some((n) => n.includes('\n'))) throw new FuseError('EINVAL');
};
export const make = memfsWith((m) => ({
  mkdir: (c, p, n, mode) => (check(n), m.mkdir!(c, p, n, mode)),
  rename: (c, p, n, np, nn, flags) => (check(n, nn), m.rename!(c, p, n, np, nn, flags)),
}));
