/** READDIRPLUS entries are not counted as lookups, so the kernel's later FORGETs free inodes it still holds. */
import type { DirentPlusSink } from '../../../src/api/filesystem';
import { memfsWith } from './base';
export { inspect } from './base';

export const scenario = 'readdirplus-lookups';
export const make = memfsWith((m) => ({
  readdirplus: (ctx, ino, fh, offset, out) => {
    const given: number[] = [];
    const sink: DirentPlusSink = {
      add: (name, e, next) => {
        const ok = out.add(name, e, next);
        if (ok && e.ino) given.push(e.ino);
        return ok;
      },
    };
    const r = m.readdirplus!(ctx, ino, fh, offset, sink);
    for (const i of given) m.state.get(i).nlookup--;
    return r;
  },
}));
