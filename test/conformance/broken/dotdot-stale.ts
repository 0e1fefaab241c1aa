/** ".." in a moved directory's listing still names its first parent (the parent recorded at mkdir): pwd and find walk to the wrong place. */
import { memfsWith, sync } from './base';
export { inspect } from './base';

export const scenario = 'rename-directories';
export const make = memfsWith((m) => {
  const firstParent = new Map<number, number>();
  return {
    mkdir: (c, p, n, mode) => {
      const e = sync(m.mkdir!(c, p, n, mode));
      firstParent.set(e.ino, p);
      return e;
    },
    readdir: (c, ino, fh, offset, out) =>
      m.readdir!(c, ino, fh, offset, { add: (name, i, mode, next) => out.add(name, name === '..' && firstParent.has(ino) ? firstParent.get(ino)! : i, mode, next) }),
  };
});
