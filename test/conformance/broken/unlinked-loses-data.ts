/** Unlink deletes the data even while the file is open (an object store backend deleting the object at once; sshfs without hard_remove shows the other side). */
import { memfsWith, sync } from './base';
export { inspect } from './base';

export const scenario = 'open-unlinked';
export const make = memfsWith((m) => ({
  unlink: (c, p, n) => {
    const e = m.state.get(p).dir?.get(n);
    sync(m.unlink!(c, p, n));
    const i = e && m.state.has(e.ino) ? m.state.get(e.ino) : null;
    if (i && i.nlink === 0 && i.data) i.data.truncate(0);
  },
}));
