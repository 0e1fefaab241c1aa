/** READDIRPLUS counts each entry twice (a lookup taken in the listing and again in the entry helper): inodes are never freed, only a look inside shows it. */
import type { DirentPlusSink } from '../../../src/api/filesystem';
import { memfsWith } from './base';
export { inspect } from './base';

export const scenario = 'lookup-balance';
export const make = memfsWith((m) => ({
  readdirplus: (ctx, ino, fh, offset, out) => {
    const sink: DirentPlusSink = {
      add: (name, e, next) => {
        const ok = out.add(name, e, next);
        if (ok && e.ino) m.state.get(e.ino).nlookup++;
        return ok;
      },
    };
    return m.readdirplus!(ctx, ino, fh, offset, sink);
  },
}));
