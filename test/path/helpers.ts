/**
 * Shared by the path-layer tests (not a test file): a path filesystem that
 * records every call it gets (name and paths) and can hold chosen calls
 * until a test lets them go, to stage concurrent requests in the emulator.
 */
import { FuseError } from '../../src/api/errors';
import { fromPathFilesystem, type PathAdapter, type PathFilesystem, type PathOptions } from '../../src/path';
import type { SessionOptions } from '../../src/server/options/session';
import { Vfs } from '../../src/testing/vfs';

export interface Recorder {
  /** "op path [path2] [fh=N]" for every call, in order. */
  readonly log: string[];
  /** Calls of `op` (optionally only for `path`) wait until release(op) from now on. */
  hold(op: string, path?: string): void;
  /** Lets held calls of `op` go, and stops holding it. */
  release(op: string): void;
  /** Calls of `op` waiting right now. */
  waiting(op: string): number;
}

const PATH_ARGS: Record<string, number> = { rename: 2, link: 2, symlink: 2, copyFileRange: 4 };
const FH_AT: Record<string, number> = { getattr: 1, fgetattr: 1, read: 1, write: 1, release: 1, flush: 1, fsync: 1, chmod: 2, truncate: 2, ftruncate: 1, chown: 3, utimens: 3 };

/** `inner` with every call recorded, and holdable. */
export function recorded<T extends PathFilesystem>(inner: T): T & { rec: Recorder } {
  const log: string[] = [];
  const held = new Map<string, { path: string | undefined; gates: (() => void)[] }>();
  const rec: Recorder = {
    log,
    hold: (op, path) => void held.set(op, { path, gates: [] }),
    release(op) {
      const h = held.get(op);
      held.delete(op);
      for (const g of h?.gates ?? []) g();
    },
    waiting: (op) => held.get(op)?.gates.length ?? 0,
  };
  const out = Object.create(inner) as T & { rec: Recorder };
  out.rec = rec;
  for (const key of Object.keys(inner) as (keyof PathFilesystem)[]) {
    const f = inner[key];
    if (typeof f !== 'function') continue;
    const op = String(key);
    (out as unknown as Record<string, unknown>)[op] = (...args: unknown[]): unknown => {
      const paths = op === 'symlink' ? [args[1]] : args.slice(0, PATH_ARGS[op] ?? 1);
      const fh = FH_AT[op] !== undefined ? args[FH_AT[op]!] : undefined;
      log.push(`${op} ${paths.join(' ')}${fh !== undefined ? ` fh=${String(fh)}` : ''}`);
      const call = (): unknown => (f as (...a: unknown[]) => unknown).apply(inner, args);
      const h = held.get(op);
      if (h && (h.path === undefined || h.path === args[0])) return new Promise<void>((resolve) => h.gates.push(() => resolve())).then(call);
      return call();
    };
  }
  return out;
}

export async function start(fs: PathFilesystem, options: PathOptions = {}, session: SessionOptions = {}): Promise<{ v: Vfs; a: PathAdapter }> {
  const a = fromPathFilesystem(fs, options);
  return { v: await Vfs.start(a, { session }), a };
}

/** Resolves after the event loop has run everything ready (a few macrotask turns). */
export function settle(): Promise<void> {
  return new Promise((r) => setTimeout(r, 5));
}

/** A path filesystem of nothing but a root directory holding `names` (empty files). */
export function flatFs(names: () => Iterable<string> | AsyncIterable<string> | string[]): PathFilesystem {
  return {
    getattr(path) {
      if (path === '/') return { mode: 0o040755, nlink: 2 };
      throw new FuseError('ENOENT');
    },
    readdir: () => names(),
  };
}
