/**
 * The package as a user installs it: `npm pack` of this checkout, unpacked
 * into a throwaway project's node_modules (koffi and @types/node linked from
 * ours: no network), then
 *  - what ships: LICENSE, README, bin, dist/src; no tests, scripts or .ts sources;
 *  - source maps carry their sources (src/*.ts is not shipped);
 *  - every subpath of "exports" type-checks from TypeScript under the
 *    node10, node16 and bundler resolutions (node10 reads "typesVersions",
 *    which must list each subpath), and loads with require() and import();
 *  - the devfuse command runs.
 */
import assert from 'node:assert/strict';
import { spawnSync, type SpawnSyncReturns } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';

const repo = path.join(__dirname, '..', '..');
const pkg = JSON.parse(fs.readFileSync(path.join(repo, 'package.json'), 'utf8')) as {
  exports: Record<string, string>;
  typesVersions: Record<string, Record<string, string[]>>;
};
/** 'devfuse', 'devfuse/protocol', ... : every entry point of "exports" but package.json. */
const subpaths = Object.keys(pkg.exports)
  .filter((k) => k !== './package.json')
  .map((k) => (k === '.' ? 'devfuse' : `devfuse/${k.slice(2)}`));

function run(cmd: string, args: readonly string[], cwd: string): SpawnSyncReturns<string> {
  return spawnSync(cmd, args, { cwd, encoding: 'utf8', timeout: 60_000 });
}

function ok(r: SpawnSyncReturns<string>, what: string): string {
  assert.equal(r.status, 0, `${what} failed (${r.error?.message ?? `status ${r.status}`}):\n${r.stdout}${r.stderr}`);
  return r.stdout;
}

const npm = run('npm', ['--version'], repo);

test('every subpath of "exports" has its "typesVersions" line (what TypeScript\'s node10 resolution reads)', () => {
  const listed = Object.keys(pkg.typesVersions['*'] ?? {}).sort();
  assert.deepEqual(listed, subpaths.filter((s) => s !== 'devfuse').map((s) => s.slice('devfuse/'.length)).sort());
  for (const [name, [target]] of Object.entries(pkg.typesVersions['*']!)) {
    assert.equal(target, pkg.exports[`./${name}`]!.replace(/^\.\//, '').replace(/\.js$/, '.d.ts'), `typesVersions "${name}" and exports "./${name}" name the same module`);
  }
});

test('the packed package installs and resolves as a user gets it', { skip: npm.status !== 0 && `npm is not runnable here: ${npm.error?.message ?? npm.stderr}`, timeout: 180_000 }, () => {
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'devfuse-pack-'));
  try {
    // --ignore-scripts: pack what npm test just built, without prepack rebuilding dist/src under the running tests.
    const packed = JSON.parse(ok(run('npm', ['pack', '--ignore-scripts', '--json', '--pack-destination', tmp], repo), 'npm pack')) as [{ filename: string; files: { path: string }[] }];
    const files = packed[0].files.map((f) => f.path);
    for (const must of ['LICENSE', 'README.md', 'package.json', 'bin/devfuse.js', 'dist/src/index.js', 'dist/src/index.d.ts']) assert.ok(files.includes(must), `the package ships ${must}`);
    const stray = files.filter((f) => /^(test|scripts|src|dist\/test|dist\/scripts)\//.test(f) || (f.endsWith('.ts') && !f.endsWith('.d.ts')));
    assert.deepEqual(stray, [], 'no tests, scripts or TypeScript sources in the package');

    // Unpack into node_modules/devfuse of a consumer project, with our koffi and @types/node beside it.
    const consumer = path.join(tmp, 'consumer');
    const modules = path.join(consumer, 'node_modules');
    fs.mkdirSync(path.join(modules, '@types'), { recursive: true });
    ok(run('tar', ['xzf', path.join(tmp, packed[0].filename), '-C', modules], repo), 'tar');
    fs.renameSync(path.join(modules, 'package'), path.join(modules, 'devfuse'));
    fs.symlinkSync(path.join(repo, 'node_modules', 'koffi'), path.join(modules, 'koffi'));
    fs.symlinkSync(path.join(repo, 'node_modules', '@types', 'node'), path.join(modules, '@types', 'node'));
    const installed = path.join(modules, 'devfuse');

    // Source maps: every source a map names is in its sourcesContent (src/*.ts does not ship).
    const maps = files.filter((f) => f.endsWith('.js.map'));
    assert.ok(maps.length > 0, 'source maps ship');
    for (const m of maps) {
      const map = JSON.parse(fs.readFileSync(path.join(installed, m), 'utf8')) as { sources: string[]; sourcesContent?: (string | null)[] };
      map.sources.forEach((s, i) => {
        const inPackage = fs.existsSync(path.resolve(path.dirname(path.join(installed, m)), s));
        assert.ok(inPackage || typeof map.sourcesContent?.[i] === 'string', `${m}: its source ${s} is neither shipped nor inlined`);
      });
    }

    // Every entry point, type-checked under each resolution TypeScript users have.
    const code = [
      "import { serve, memfs, FuseError, type Filesystem } from 'devfuse';",
      "import { Vfs, reorderingBackend } from 'devfuse/testing';",
      "import { Opcode, decodeRequest } from 'devfuse/protocol';",
      ...subpaths.map((s, i) => `import * as entry${i} from '${s}';`),
      'const fs: Filesystem = memfs();',
      'export const used = [serve, fs, FuseError, Vfs, reorderingBackend, Opcode.LOOKUP, decodeRequest];',
      `export const entries = [${subpaths.map((_, i) => `entry${i}`).join(', ')}];`,
    ].join('\n');
    fs.writeFileSync(path.join(consumer, 'index.ts'), code + '\n');
    fs.writeFileSync(path.join(consumer, 'package.json'), JSON.stringify({ name: 'consumer', private: true }));
    const tsc = path.join(repo, 'node_modules', 'typescript', 'bin', 'tsc');
    for (const [resolution, module] of [['node10', 'commonjs'], ['node16', 'node16'], ['bundler', 'esnext']]) {
      const config = `tsconfig.${resolution}.json`;
      const compilerOptions = { strict: true, noEmit: true, target: 'ES2022', module, moduleResolution: resolution, types: ['node'], esModuleInterop: true };
      fs.writeFileSync(path.join(consumer, config), JSON.stringify({ compilerOptions, files: ['index.ts'] }));
      ok(run(process.execPath, [tsc, '-p', config], consumer), `tsc with moduleResolution ${resolution}`);
    }

    // At run time: require() and import() reach every entry point, with the same names.
    const script = `const names = (o) => Object.keys(o).filter((k) => k !== 'default' && k !== '__esModule').sort().join();
for (const s of ${JSON.stringify(subpaths)}) {
  const cjs = require(s);
  import(s).then((esm) => { if (names(esm) !== names(cjs)) { console.error(s + ': import() names differ from require()'); process.exitCode = 1; } });
}`;
    ok(run(process.execPath, ['-e', script], consumer), 'loading the entry points');
    assert.match(ok(run(process.execPath, [path.join(installed, 'bin', 'devfuse.js'), '--version'], consumer), 'devfuse --version'), /^devfuse \d+\.\d+\.\d+/);
  } finally {
    fs.rmSync(tmp, { recursive: true, force: true });
  }
});
