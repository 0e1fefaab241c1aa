/** The operation completes, then the handler sees the interrupt and answers EINTR: the caller retries something that already happened. */
import { FuseError } from '../../../src/api/errors';
import type { RequestContext, Result } from '../../../src/api/filesystem';
import { memfsWith, sync } from './base';
export { inspect } from './base';

export const scenario = 'interrupt-effects';

/** The memfs call, then a backend round trip of 3 ms, then a look at the interrupt. */
function late<A extends unknown[], R>(f: (ctx: RequestContext, ...a: A) => Result<R>): (ctx: RequestContext, ...a: A) => Promise<R> {
  return async (ctx, ...a) => {
    const r = sync(f(ctx, ...a));
    await new Promise((res) => setTimeout(res, 3));
    if (ctx.signal.aborted) throw new FuseError('EINTR');
    return r;
  };
}

export const make = memfsWith((m) => ({
  mkdir: late(m.mkdir!),
  create: late(m.create!),
  unlink: late(m.unlink!),
  rmdir: late(m.rmdir!),
  rename: late(m.rename!),
  write: late(m.write!),
  setattr: late(m.setattr!),
  symlink: late(m.symlink!),
  setxattr: late(m.setxattr!),
}));
