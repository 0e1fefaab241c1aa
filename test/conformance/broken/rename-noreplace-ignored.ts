/** renameat2 flags dropped: RENAME_NOREPLACE replaces (a high-level port that maps RENAME2 to rename()). */
import { memfsWith } from './base';
export { inspect } from './base';

export const scenario = 'rename';
export const make = memfsWith((m) => ({ rename: (c, p, n, np, nn, flags) => m.rename!(c, p, n, np, nn, flags & ~1) }));
