/**
 * What the broken filesystems share: memfs with one method (or one piece
 * of its state) replaced by a fault of the kind real FUSE filesystems ship
 * with. Each file in this directory is one such filesystem, loadable as
 * `devfuse conformance dist/test/conformance/broken/<file>.js make`, and
 * names the scenario meant to catch it (`scenario`); kit.test.ts runs them.
 */
import { FuseError } from '../../../src/api/errors';
import type { Filesystem, Result } from '../../../src/api/filesystem';
import { memfs, type Memfs } from '../../../src/fs/memfs';
import type { Inspect } from '../../../src/testing/conformance/kit';

/** A factory of memfs instances with the methods `over` returns in place of memfs's own. */
export function memfsWith(over: (inner: Memfs) => Partial<Filesystem>): () => Filesystem {
  return () => {
    const inner = memfs();
    return Object.assign(Object.create(null) as Filesystem, inner, over(inner), { state: inner.state });
  };
}

/** The leak check's view of a memfs-based filesystem (the CLI finds it by this export's name). */
export function inspect(fs: Filesystem): Inspect | undefined {
  const st = (fs as Partial<Memfs>).state;
  return st ? { liveInodes: () => st.inodeCount } : undefined;
}

/** The value of a memfs call (memfs answers synchronously); a FuseError it returned as its value is thrown. */
export function sync<T>(r: Result<T>): T {
  if (r instanceof Promise) throw new Error('memfs answered with a promise where it never does');
  if (r instanceof FuseError) throw r;
  return r as T;
}

/** The whole of `b` as one Buffer (memfs reads may come as a list). */
export function bytes(b: Buffer | Buffer[]): Buffer {
  return Buffer.isBuffer(b) ? b : Buffer.concat(b);
}
