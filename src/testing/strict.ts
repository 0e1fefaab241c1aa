/**
 * Calling a filesystem's methods directly, as unit tests do, with the
 * FuseErrors a handler may return as values (see Result in filesystem.ts)
 * thrown instead, so that a test reads `await fs.lookup(...)` as an Entry
 * and a failure as a rejection, whichever way the filesystem reported it.
 */
import { FuseError } from '../api/errors';

type Unwrapped<R> = R extends Promise<infer U> ? Promise<Exclude<U, FuseError>> : Exclude<R, FuseError>;

/** `F` with FuseError taken out of every method's result. */
export type Strict<F> = {
  [K in keyof F]: F[K] extends ((...args: infer A) => infer R) | undefined ? (...args: A) => Unwrapped<R> : F[K];
};

function unwrap(v: unknown): unknown {
  if (v instanceof FuseError) throw v;
  if (typeof (v as Promise<unknown> | null)?.then === 'function') return (v as Promise<unknown>).then(unwrap);
  return v;
}

/** A view of `fs` whose methods throw (or reject with) the FuseErrors they return. */
export function strict<F extends object>(fs: F): Strict<F> {
  return new Proxy(fs, {
    get(target, key, receiver) {
      const v: unknown = Reflect.get(target, key, receiver);
      if (typeof v !== 'function') return v;
      return (...args: unknown[]) => unwrap((v as (...a: unknown[]) => unknown).apply(target, args));
    },
  }) as unknown as Strict<F>;
}
