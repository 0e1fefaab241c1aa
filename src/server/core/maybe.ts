/**
 * Values that may be promises: a filesystem whose methods return plain
 * values (memfs) is answered in the same tick, with no promise allocated.
 */
import { FuseError } from '../../api/errors';

export type MaybePromise<T> = T | Promise<T>;

export function isPromise<T>(v: MaybePromise<T>): v is Promise<T> {
  return typeof (v as Promise<T> | null)?.then === 'function';
}

/**
 * Applies `f` now if `v` is a value, after it resolves if it is a promise.
 * A FuseError the filesystem returned as its value passes through untouched.
 */
export function then<T, R>(v: MaybePromise<T | FuseError>, f: (t: T) => MaybePromise<R | FuseError>): MaybePromise<R | FuseError> {
  if (isPromise(v)) return v.then((x) => (x instanceof FuseError ? x : f(x)));
  return v instanceof FuseError ? v : f(v);
}
