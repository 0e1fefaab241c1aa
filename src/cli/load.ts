/**
 * Finding a filesystem factory from the command line: a built-in name
 * ("memfs", "hello") or a module path with an optional export name. The
 * export is called with no arguments for each fresh filesystem.
 *
 * A module that cannot be loaded is named in one line with what went wrong
 * ("cannot load ./x.js: no such file (/abs/x.js)", "... SyntaxError:
 * Unexpected token (/abs/x.js:3)"), never with Node's require stack.
 */
import fs from 'node:fs';
import path from 'node:path';
import type { Filesystem } from '../api/filesystem';

export type Factory = () => Filesystem;

/** A module that cannot be loaded, or exports no factory: the message is the whole story. */
export class LoadError extends Error {
  override readonly name = 'LoadError';
}

export function loadFactory(spec: string, exportName?: string): Factory {
  if (spec === 'memfs') {
    const { memfs } = require('../fs/memfs') as { memfs: Factory };
    return () => memfs();
  }
  if (spec === 'hello') {
    const { helloFs } = require('../examples/hello') as { helloFs: Factory };
    return helloFs;
  }
  const mod = loadModule(spec);
  const pick = exportName ?? ('default' in mod ? 'default' : Object.keys(mod).find((k) => typeof mod[k] === 'function'));
  const f = pick === undefined ? undefined : mod[pick];
  if (typeof f !== 'function') {
    const fns = Object.keys(mod).filter((k) => typeof mod[k] === 'function');
    throw new LoadError(`${spec} exports no filesystem factory${exportName ? ` named ${exportName}` : ''} (its function exports: ${fns.join(', ') || 'none'})`);
  }
  return () => (f as Factory)();
}

function loadModule(spec: string): Record<string, unknown> {
  const abs = path.resolve(spec);
  try {
    return require(abs) as Record<string, unknown>;
  } catch (e) {
    throw new LoadError(`cannot load ${spec}: ${whyNotLoaded(e, abs)}`);
  }
}

function whyNotLoaded(e: unknown, abs: string): string {
  const err = e as NodeJS.ErrnoException;
  if (err.code === 'MODULE_NOT_FOUND') {
    if (!fs.existsSync(abs) && !fs.existsSync(`${abs}.js`)) return `no such file (${abs})`;
    // The module was found; something it requires was not. Node names it on the first line.
    return firstLine(err.message);
  }
  const where = e instanceof SyntaxError ? syntaxLocation(e, abs) : '';
  return `${e instanceof Error ? `${e.name}: ${firstLine(e.message)}` : String(e)}${where}`;
}

function firstLine(s: string): string {
  return s.split('\n')[0]!.trim();
}

/** Node puts "file:line" of a syntax error on the first line of its stack. */
function syntaxLocation(e: SyntaxError, abs: string): string {
  const first = e.stack?.split('\n')[0] ?? '';
  return first.startsWith(abs) ? ` (${first})` : '';
}
