/**
 * The README cannot drift from the code unnoticed:
 *  - its TypeScript examples compile against the package as a user imports
 *    it ('devfuse', 'devfuse/testing');
 *  - its command-line synopsis is what `devfuse --help` prints;
 *  - every option docs/options.md's table names is one the -o parsers accept;
 *  - its sample conformance failure is what the kit prints for that fault;
 *  - its relative links lead to files of the repository.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { resolveServeOptions } from '../src/server/serve';
import { OPTIONS } from '../src/server/options/table';
import { memfs } from '../src/fs/memfs';
import { formatReport, runConformance } from '../src/testing/conformance/kit';
import { fencedBlocks } from './helpers/markdown';

const repo = path.join(__dirname, '..', '..');
const readme = fs.readFileSync(path.join(repo, 'README.md'), 'utf8');
function blocks(lang: string): string[] {
  return fencedBlocks(readme, lang);
}

test('every ```ts block of the README type-checks against the built package', () => {
  const ts = blocks('ts');
  assert.ok(ts.length >= 3, `found ${ts.length} TypeScript examples`);
  // Inside the repository, 'devfuse' resolves to the package itself through its "exports".
  const dir = fs.mkdtempSync(path.join(repo, 'dist', 'readme-'));
  try {
    ts.forEach((code, i) => {
      // Examples use top-level await and `assert`, and may mention a user's own filesystem (myFs).
      const body = `import assert from 'node:assert/strict';\nimport type { Filesystem as _F } from 'devfuse';\ndeclare const myFs: _F;\nvoid assert;\nexport async function example${i}(): Promise<void> {\n${code.replace(/^import .*$/gm, '')}\n}\n${[...code.matchAll(/^import .*$/gm)].map((m) => m[0]).join('\n')}\n`;
      fs.writeFileSync(path.join(dir, `example${i}.ts`), body);
    });
    fs.writeFileSync(
      path.join(dir, 'tsconfig.json'),
      JSON.stringify({ compilerOptions: { strict: true, noEmit: true, module: 'node16', moduleResolution: 'node16', target: 'ES2022', types: ['node'], skipLibCheck: true, noUnusedLocals: false }, include: ['*.ts'] }),
    );
    const r = spawnSync(process.execPath, [path.join(repo, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', dir], { encoding: 'utf8' });
    assert.equal(r.status, 0, `${r.stdout}${r.stderr}`);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test("the README's command synopsis is the usage `devfuse --help` prints", () => {
  const r = spawnSync(process.execPath, [path.join(repo, 'bin', 'devfuse.js'), '--help'], { encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  const usage = r.stdout.split('\n').filter((l) => l.startsWith('  devfuse ')).map((l) => l.trim());
  const synopsis = blocks('').find((b) => b.startsWith('devfuse mount'));
  assert.ok(synopsis, 'the README has a synopsis block');
  assert.deepEqual(synopsis.trim().split('\n'), usage);
});

test('every option the table of docs/options.md names is accepted by the -o parsers', () => {
  const section = fs.readFileSync(path.join(repo, 'docs', 'options.md'), 'utf8');
  const names = section
    .split('\n')
    .filter((l) => l.startsWith('| `'))
    .flatMap((l) => [...l.split(/(?<!\\)\|/)[1]!.matchAll(/`([^`]+)`/g)].map((m) => m[1]!.replace(/\\\|/g, '|')));
  assert.ok(names.length > 40, `found ${names.length} option names`);
  // A placeholder after "=" stands for a value: give a valid one.
  const sample = (placeholder: string): string => (placeholder.includes('|') ? placeholder.split('|')[0]! : placeholder === 'NAME' ? 'x' : placeholder === 'MODE' ? '40000' : '1');
  for (const n of names) {
    const eq = n.indexOf('=');
    const option = eq < 0 ? n : `${n.slice(0, eq)}=${sample(n.slice(eq + 1))}`;
    assert.doesNotThrow(() => resolveServeOptions({ options: option }), `-o ${option}`);
  }
});

test('docs/options.md names every -o option devfuse knows', () => {
  const doc = fs.readFileSync(path.join(repo, 'docs', 'options.md'), 'utf8');
  const named = new Set([...doc.matchAll(/`([a-z_0-9]+)(=[^`]*)?`/g)].map((m) => m[1]!));
  assert.deepEqual(Object.keys(OPTIONS).filter((k) => !named.has(k)), []);
});

test("the README's conformance commands are ones docs/conformance.md runs (test/conformance/runner-docs.test.ts)", () => {
  const command = (l: string): string => l.replace(/#.*$/, '').trim().replace(/\s+/g, ' ');
  const ran = new Set(fencedBlocks(fs.readFileSync(path.join(repo, 'docs', 'conformance.md'), 'utf8'), 'sh').flatMap((b) => b.split('\n')).map(command));
  const mine = blocks('sh').flatMap((b) => b.split('\n')).filter((l) => l.startsWith('node bin/devfuse.js conformance ') && !l.includes('--exec'));
  assert.ok(mine.length >= 3, `found ${mine.length}`);
  for (const l of mine) assert.ok(ran.has(command(l).replace('node bin/devfuse.js ', 'devfuse ')), l);
});

test("the README's sample conformance failure is what the kit prints for a filesystem that ignores RENAME_NOREPLACE", async () => {
  const sample = blocks('').find((b) => b.startsWith('✗ rename'));
  assert.ok(sample, 'the README has the sample');
  const report = await runConformance({
    make: () => {
      const inner = memfs();
      return { ...inner, rename: (c, p, n, np, nn, flags) => inner.rename!(c, p, n, np, nn, flags & ~1) };
    },
    only: ['rename'],
  });
  const ms = (s: string): string => s.replace(/\[\d+ ms\]/g, '[N ms]');
  assert.ok(ms(formatReport(report)).includes(ms(sample.trimEnd())), formatReport(report));
});

test('every relative link of the README leads to a file of the repository', () => {
  const links = [...readme.matchAll(/\]\(([^)#]+)(#[^)]*)?\)/g)].map((m) => m[1]!).filter((l) => !/^[a-z]+:/.test(l));
  assert.ok(links.length > 0);
  for (const l of links) assert.ok(fs.existsSync(path.join(repo, l)), `README links to ${l}, which does not exist`);
});
