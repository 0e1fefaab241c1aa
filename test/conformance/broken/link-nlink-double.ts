/** LINK counts the new name twice (fuse-overlayfs #192 reported 3 links for 2 names): nlink too high, the inode never freed. */
import { memfsWith, sync } from './base';
export { inspect } from './base';

export const scenario = 'hard-links';
export const make = memfsWith((m) => ({
  link: (c, ino, np, nn) => {
    const e = sync(m.link!(c, ino, np, nn));
    const i = m.state.get(ino);
    i.nlink++;
    return { ...e, attr: i.attr() };
  },
}));
