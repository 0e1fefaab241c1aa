/**
 * A module as `devfuse conformance` loads it, offering the leak check: the
 * factory, and `inspect` beside it (for runner-cli.test.ts). Its memfs
 * takes back one lookup too few on FORGET.
 */
import { memfs, type Memfs } from '../../src/fs/memfs';
import type { Filesystem } from '../../src/api/filesystem';
import type { Inspect } from '../../src/testing/conformance/kit';

export function make(): Filesystem {
  const inner = memfs();
  return Object.assign(Object.create(null) as Filesystem, inner, { state: inner.state, forget: (ino: number, n: number) => inner.forget!(ino, n - 1) });
}

export function inspect(fs: Filesystem): Inspect {
  return { liveInodes: () => (fs as Memfs).state.inodeCount };
}
