/** Unlinking one name of a hard-linked file frees its data (pyfuse3's tmpfs example and its forks removed the inode's content with the first name). */
import { memfsWith, sync } from './base';
export { inspect } from './base';

export const scenario = 'hard-links';
export const make = memfsWith((m) => ({
  unlink: (c, p, n) => {
    const e = m.state.get(p).dir?.get(n);
    sync(m.unlink!(c, p, n));
    const i = e && m.state.has(e.ino) ? m.state.get(e.ino) : null;
    if (i?.data) i.data.truncate(0);
  },
}));
