/** Creating and removing names leaves the directory's mtime and ctime alone: make, rsync and directory caches miss the change. */
import type { RequestContext, Result } from '../../../src/api/filesystem';
import type { Memfs } from '../../../src/fs/memfs';
import { memfsWith, sync } from './base';
export { inspect } from './base';

export const scenario = 'times';

/** Runs the memfs call and puts the parent's times back. */
function keepTimes<A extends unknown[], R>(m: Memfs, f: (ctx: RequestContext, parent: number, ...a: A) => Result<R>): (ctx: RequestContext, parent: number, ...a: A) => R {
  return (ctx, parent, ...a) => {
    const d = m.state.get(parent);
    const { mtime, ctime } = d;
    const r = sync(f(ctx, parent, ...a));
    d.mtime = mtime;
    d.ctime = ctime;
    return r;
  };
}

export const make = memfsWith((m) => ({
  create: keepTimes(m, m.create!),
  mkdir: keepTimes(m, m.mkdir!),
  mknod: keepTimes(m, m.mknod!),
  symlink: keepTimes(m, m.symlink!),
  unlink: keepTimes(m, m.unlink!),
  rmdir: keepTimes(m, m.rmdir!),
}));
