/**
 * Loading a filesystem module for the kit and the CLI: a built-in name
 * (memfs, hello, passthrough) or a path to a CommonJS or ES module whose
 * export is a factory returning a fresh Filesystem. A module offers the
 * leak check by exporting `inspect(fs)` beside its factory (the same
 * function ConformanceTarget.inspect is), so the CLI and the library
 * check the same things.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import type { Filesystem } from '../../api/filesystem';
import { UsageError, type Inspect } from './kit';

export interface LoadedTarget {
  make: () => Filesystem;
  inspect?: (fs: Filesystem) => Inspect | undefined;
  /** Frees what the factory made (the passthrough's scratch directories). */
  cleanup(): void;
}

const BUILTIN = ['memfs', 'hello', 'passthrough'];

/** A dynamic import that TypeScript's CommonJS output leaves alone. */
const importModule = new Function('u', 'return import(u)') as (u: string) => Promise<Record<string, unknown>>;

export async function loadTarget(spec: string, exportName?: string): Promise<LoadedTarget> {
  const builtin = loadBuiltin(spec);
  if (builtin) return builtin;
  const file = path.resolve(spec);
  if (!fs.existsSync(file)) throw new UsageError(`cannot find ${spec}${BUILTIN.includes(spec) ? '' : ` (not a file, nor one of ${BUILTIN.join(', ')})`}`);
  let mod: Record<string, unknown>;
  try {
    mod = require(file) as Record<string, unknown>;
  } catch (e) {
    const code = (e as { code?: string }).code;
    if (code === 'ERR_REQUIRE_ESM') mod = await importModule(pathToFileURL(file).href);
    else throw new UsageError(`cannot load ${spec}: ${whyNotLoaded(e, file)}`);
  }
  const exports = Object.keys(mod).filter((k) => typeof mod[k] === 'function' && k !== 'inspect');
  const pick = exportName ?? (typeof mod.default === 'function' ? 'default' : exports[0]);
  const f = pick === undefined ? undefined : mod[pick];
  if (typeof f !== 'function') {
    const has = exports.length ? ` (its functions: ${exports.join(', ')})` : ' (it exports no function)';
    throw new UsageError(`${spec} exports no filesystem factory${exportName ? ` named ${exportName}` : ''}${has}`);
  }
  const inspect = typeof mod.inspect === 'function' ? (mod.inspect as (fs: Filesystem) => Inspect | undefined) : undefined;
  return { make: () => (f as () => Filesystem)(), inspect, cleanup: () => undefined };
}

function loadBuiltin(spec: string): LoadedTarget | null {
  switch (spec) {
    case 'memfs': {
      const { memfs } = require('../../fs/memfs') as typeof import('../../fs/memfs');
      return { make: () => memfs(), inspect: (f) => ({ liveInodes: () => (f as ReturnType<typeof memfs>).state.inodeCount }), cleanup: () => undefined };
    }
    case 'hello': {
      const { helloFs } = require('../../examples/hello') as typeof import('../../examples/hello');
      return { make: helloFs, cleanup: () => undefined };
    }
    case 'passthrough': {
      const { passthrough } = require('../../fs/passthrough') as typeof import('../../fs/passthrough');
      const made: { dir: string; close: () => void }[] = [];
      return {
        make: () => {
          const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'devfuse-conformance-'));
          const p = passthrough(dir);
          made.push({ dir, close: () => p.close() });
          return p;
        },
        cleanup: () => {
          for (const m of made.splice(0)) {
            m.close();
            fs.rmSync(m.dir, { recursive: true, force: true });
          }
        },
      };
    }
    default:
      return null;
  }
}

/**
 * A module that failed to load, in one line: what Node says first (the
 * missing module, with no require stack), the error's name, and for a
 * syntax error the file and line it points at.
 */
function whyNotLoaded(e: unknown, file: string): string {
  if (!(e instanceof Error)) return String(e);
  const first = e.message.split('\n')[0]!.trim();
  if ((e as { code?: string }).code === 'MODULE_NOT_FOUND') return first;
  const at = e instanceof SyntaxError ? (e.stack?.split('\n')[0] ?? '') : '';
  return `${e.name}: ${first}${at.startsWith(file) ? ` (${at})` : ''}`;
}
