/** Renaming over one name of a hard-linked file removes the file's first name instead (a filesystem that keeps one canonical path per inode). */
import { memfsWith, sync } from './base';
export { inspect } from './base';

export const scenario = 'rename-files';
export const make = memfsWith((m) => ({
  rename: (c, p, n, np, nn, flags) => {
    const dir = m.state.get(np).dir;
    const d = dir?.get(nn);
    if (dir && d && flags === 0) {
      const victim = m.state.get(d.ino);
      if (!victim.isDir && victim.nlink > 1) {
        for (const e of dir.entriesAfter(2)) {
          if (e.ino === d.ino && e.name !== nn) {
            sync(m.unlink!(c, np, e.name));
            break;
          }
        }
      }
    }
    return m.rename!(c, p, n, np, nn, flags);
  },
}));
