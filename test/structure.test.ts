/**
 * The structure of src/, read from its own import statements: no cycles
 * (of the imports that load a module with its importer), and the layers
 * depend only downwards
 * (docs/design/server.md):
 *
 *   src/protocol   imports nothing but itself (a pure codec)
 *   src/linux      nothing but itself (the ABI and its syscalls)
 *   src/api        protocol; the contract a filesystem codes against
 *   src/fs         api, protocol, linux (never src/server)
 *   src/path       api, protocol, linux (the path API, a layer over api)
 *   src/server     its core/ and device/ never import accel/ (the
 *                  accelerations plug in, and come out, without them)
 *   src/testing, src/cli, src/cuse, src/fuse-native, src/examples
 *                  use src/server through its index only
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';

const ROOT = path.resolve(__dirname, '..', '..');
const SRC = path.join(ROOT, 'src');

/** Every .ts file under src/, as a path relative to the repository ("src/server/serve.ts"). */
function sources(dir: string = SRC): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) return sources(p);
    return e.name.endsWith('.ts') && !e.name.endsWith('.d.ts') ? [path.relative(ROOT, p)] : [];
  });
}

interface Import {
  /** The imported file, relative to the repository. */
  readonly to: string;
  /** `import type`, or only `type` names: erased from the JavaScript, no load-order dependency. */
  readonly typeOnly: boolean;
  /** require() or import() in code: loaded when that code runs, not when the importer loads. */
  readonly lazy: boolean;
}

/** The relative modules a file imports (import/export ... from, import(), require()). */
function imports(file: string): Import[] {
  const text = fs
    .readFileSync(path.join(ROOT, file), 'utf8')
    .replace(/\/\*[\s\S]*?\*\//g, '')
    .replace(/(^|[^:'"`])\/\/.*$/gm, '$1');
  const found: { spec: string; typeOnly: boolean; lazy?: boolean }[] = [];
  for (const m of text.matchAll(/\b(import|export)\b([^'"`;]*?)\bfrom\s*['"]([^'"]+)['"]/g)) {
    const clause = m[2]!.trim();
    const names = /\{([^}]*)\}/.exec(clause)?.[1]?.split(',').map((n) => n.trim()).filter(Boolean) ?? [];
    const typeOnly = clause.startsWith('type ') || (names.length > 0 && !/^\w+\s*,/.test(clause) && names.every((n) => n.startsWith('type ')));
    found.push({ spec: m[3]!, typeOnly });
  }
  for (const m of text.matchAll(/\bimport\s*['"]([^'"]+)['"]/g)) found.push({ spec: m[1]!, typeOnly: false });
  // `typeof import('x')` is a type; `require('x')` and `await import('x')` load x when the code runs.
  for (const m of text.matchAll(/(\btypeof\s+)?\b(require|import)\s*\(\s*['"]([^'"]+)['"]\s*\)/g)) found.push({ spec: m[3]!, typeOnly: m[1] !== undefined, lazy: true });
  return found.filter((i) => i.spec.startsWith('.')).map((i) => ({ to: resolve(file, i.spec), typeOnly: i.typeOnly, lazy: i.lazy === true }));
}

function resolve(from: string, spec: string): string {
  const base = path.join(path.dirname(from), spec);
  for (const candidate of [`${base}.ts`, path.join(base, 'index.ts')]) {
    if (fs.existsSync(path.join(ROOT, candidate))) return candidate;
  }
  // A JSON file or something outside src (package.json): not a module of the graph.
  return base;
}

/**
 * file → the files it imports. `loading`: only the imports that load a
 * module when the importer loads (not type-only ones, which are erased, nor
 * a require() in a function, which loads when it runs: how the CLI and the
 * kit defer what they may not need).
 */
function graph(loading = false): Map<string, string[]> {
  return new Map(
    sources().map((f) => [f, imports(f).filter((i) => i.to.startsWith('src/') && i.to.endsWith('.ts') && !(loading && (i.typeOnly || i.lazy))).map((i) => i.to)]),
  );
}

/**
 * Cycles in code owned elsewhere when this test was written: the
 * conformance kit re-exports ScenarioContext (context.ts), which takes
 * SkipScenario from kit.ts (moving SkipScenario to a leaf module of its own
 * would end it). Delete an entry once its cycle is gone; never add one.
 */
const KNOWN_CYCLES = new Set(['src/testing/conformance/kit.ts → src/testing/conformance/context.ts → src/testing/conformance/kit.ts']);

/** The import cycles of `g`, each as the files around it. */
function cycles(g: Map<string, string[]>): string[][] {
  const found: string[][] = [];
  const state = new Map<string, 'open' | 'done'>();
  const stack: string[] = [];
  const visit = (f: string): void => {
    state.set(f, 'open');
    stack.push(f);
    for (const d of g.get(f) ?? []) {
      if (state.get(d) === 'open') found.push([...stack.slice(stack.indexOf(d)), d]);
      else if (!state.has(d)) visit(d);
    }
    stack.pop();
    state.set(f, 'done');
  };
  for (const f of [...g.keys()].sort()) if (!state.has(f)) visit(f);
  return found;
}

/** The imports that break `rule`: "file → import". */
function violations(g: Map<string, string[]>, from: (f: string) => boolean, allowed: (d: string) => boolean): string[] {
  const out: string[] = [];
  for (const [f, deps] of g) if (from(f)) for (const d of deps) if (!allowed(d)) out.push(`${f} → ${d}`);
  return out;
}

const under = (dir: string) => (f: string): boolean => f.startsWith(`src/${dir}/`);
const anyOf = (...dirs: string[]) => (f: string): boolean => dirs.some((d) => under(d)(f));

test('the import graph of src/ is read whole', () => {
  const g = graph();
  assert.ok(g.size > 150, `${g.size} files`);
  // The reader finds what is there: serve.ts imports the session and the accelerations.
  assert.ok(g.get('src/server/serve.ts')!.includes('src/server/core/session.ts'));
  assert.ok(g.get('src/server/serve.ts')!.includes('src/server/accel/index.ts'));
});

test('no import cycles (of the imports that load a module with its importer)', () => {
  assert.deepEqual(cycles(graph(true)).map((c) => c.join(' → ')).filter((c) => !KNOWN_CYCLES.has(c)), []);
});

test('src/protocol imports only itself; src/linux only itself', () => {
  const g = graph();
  assert.deepEqual(violations(g, under('protocol'), under('protocol')), []);
  assert.deepEqual(violations(g, under('linux'), under('linux')), []);
});

test('src/api, src/fs, src/path and src/protocol never import src/server', () => {
  const g = graph();
  assert.deepEqual(violations(g, under('api'), anyOf('api', 'protocol')), []);
  assert.deepEqual(violations(g, under('fs'), anyOf('fs', 'api', 'protocol', 'linux', 'path')), []);
  assert.deepEqual(violations(g, under('path'), anyOf('path', 'api', 'protocol', 'linux')), []);
  assert.deepEqual(violations(g, anyOf('api', 'fs', 'protocol', 'path'), (d) => !under('server')(d)), []);
});

test('the server core and device layer never import the accelerations', () => {
  const g = graph();
  assert.deepEqual(violations(g, anyOf('server/core', 'server/device', 'server/options'), (d) => !under('server/accel')(d)), []);
  assert.deepEqual(violations(g, under('server/core'), (d) => !under('server/device')(d)), []);
});

test('src/testing, src/cli, src/cuse, src/fuse-native and src/examples use src/server through its index only', () => {
  const g = graph();
  const publicOnly = (d: string): boolean => !under('server')(d) || d === 'src/server/index.ts';
  assert.deepEqual(violations(g, anyOf('testing', 'cli', 'cuse', 'fuse-native', 'examples'), publicOnly), []);
});
