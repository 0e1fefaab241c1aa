/** A directory moved to another parent leaves both parents' link counts as they were (fuse-overlayfs had nlink wrong after directory changes). */
import { memfsWith, sync } from './base';
export { inspect } from './base';

export const scenario = 'rename-directories';
export const make = memfsWith((m) => ({
  rename: (c, p, n, np, nn, flags) => {
    const st = m.state;
    const e = st.has(p) ? st.get(p).dir?.get(n) : undefined;
    const moving = !!e && st.has(e.ino) && st.get(e.ino).isDir && p !== np && (flags & 2) === 0;
    sync(m.rename!(c, p, n, np, nn, flags));
    if (moving) {
      st.get(p).nlink++;
      st.get(np).nlink--;
    }
  },
}));
