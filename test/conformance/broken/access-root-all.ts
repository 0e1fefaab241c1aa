/** ACCESS lets root do anything, execute included (root may execute only what has an execute bit): scripts without +x pass `test -x`. */
import { memfsWith } from './base';
export { inspect } from './base';

export const scenario = 'access';
export const make = memfsWith((m) => ({ access: (c, ino, mask) => (c.uid === 0 ? undefined : m.access!(c, ino, mask)) }));
