/**
 * The Filesystem a `Fuse` serves: the program's operations on the path
 * layer, with the high-level options its `opts` give. mount() serves it;
 * the conformance kit runs on it without a mount (test/fuse-native).
 */
import { fromPathFilesystem, type PathAdapter } from '../path/adapter';
import type { ServeOptions } from '../server/index';
import { Deadlines, opsToPathFs } from './ops';
import { timeoutOf, translate } from './options';
import type { Operations, Options } from './types';

export interface FuseNativeFilesystem {
  fs: PathAdapter;
  /** What serve() takes for `opts`: -o options, mount options, debug. */
  serve: ServeOptions;
}

/** Throws on an option it cannot read (a negative timeout, a umask that is not octal). */
export function fuseNativeFilesystem(ops: Operations, opts: Options = {}, deadlines = new Deadlines(), envDebug?: string): FuseNativeFilesystem {
  const t = translate(opts, envDebug);
  return { fs: fromPathFilesystem(opsToPathFs(ops, timeoutOf(opts.timeout), deadlines), t.path), serve: t.serve };
}
