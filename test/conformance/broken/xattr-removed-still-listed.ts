/** REMOVEXATTR drops the value but not the name from the list (names and values kept in two stores): LISTXATTR shows names that GETXATTR says are gone. */
import { memfsWith, sync } from './base';
export { inspect } from './base';

export const scenario = 'xattr-names';
export const make = memfsWith((m) => {
  const ghosts = new Map<number, Set<string>>();
  return {
    removexattr: (c, ino, name) => {
      sync(m.removexattr!(c, ino, name));
      const g = ghosts.get(ino) ?? new Set<string>();
      g.add(name);
      ghosts.set(ino, g);
    },
    setxattr: (c, ino, name, value, flags) => {
      sync(m.setxattr!(c, ino, name, value, flags));
      ghosts.get(ino)?.delete(name);
    },
    listxattr: (c, ino) => [...sync(m.listxattr!(c, ino)), ...(ghosts.get(ino) ?? [])],
  };
});
