/**
 * Finding a filesystem factory from the command line: a built-in name
 * ("memfs", "hello") or a module path with an optional export name. The
 * export is called with no arguments for each fresh filesystem.
 */
import path from 'node:path';
import type { Filesystem } from '../api/filesystem';

export type Factory = () => Filesystem;

export function loadFactory(spec: string, exportName?: string): Factory {
  if (spec === 'memfs') {
    const { memfs } = require('../fs/memfs') as { memfs: Factory };
    return () => memfs();
  }
  if (spec === 'hello') {
    const { helloFs } = require('../examples/hello') as { helloFs: Factory };
    return helloFs;
  }
  const mod = require(path.resolve(spec)) as Record<string, unknown>;
  const pick = exportName ?? ('default' in mod ? 'default' : Object.keys(mod).find((k) => typeof mod[k] === 'function'));
  const f = pick === undefined ? undefined : mod[pick];
  if (typeof f !== 'function') throw new Error(`${spec} exports no filesystem factory${exportName ? ` named ${exportName}` : ''}`);
  return () => (f as Factory)();
}
