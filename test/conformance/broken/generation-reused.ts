/** Inode numbers come from a free list and the generation is always 0: a reused number looks like the old file (NFS export, the kernel's inode cache). */
import type { Entry } from '../../../src/api/filesystem';
import { memfsWith } from './base';
export { inspect } from './base';

export const scenario = 'generations';
export const make = memfsWith((m) => {
  const entry = m.state.entry.bind(m.state);
  m.state.entry = (inode): Entry => ({ ...entry(inode), generation: 0 });
  return {};
});
