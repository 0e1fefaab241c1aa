/**
 * The examples of docs/path-api.md and docs/fuse-native.md compile against
 * the package as a user imports it ('devfuse', 'devfuse/fuse-native'), so
 * they cannot drift from the API (test/readme.test.ts does the README's).
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';

const repo = path.join(__dirname, '..', '..', '..');
const DOCS = ['docs/path-api.md', 'docs/fuse-native.md'];

test('every ```ts block of the path and fuse-native docs type-checks; every ```js block parses', { timeout: 120_000 }, () => {
  const dir = fs.mkdtempSync(path.join(repo, 'dist', 'path-docs-'));
  try {
    let ts = 0;
    for (const doc of DOCS) {
      const text = fs.readFileSync(path.join(repo, doc), 'utf8');
      for (const m of text.matchAll(/```ts\n([\s\S]*?)```/g)) {
        const code = m[1]!;
        const imports = [...code.matchAll(/^import .*$/gm)].map((x) => x[0]).join('\n');
        // Top-level await in the examples: the body goes in an async function.
        fs.writeFileSync(path.join(dir, `example${ts}.ts`), `${imports}\nexport async function example${ts}(): Promise<void> {\n${code.replace(/^import .*$/gm, '')}\n}\n`);
        ts++;
      }
      [...text.matchAll(/```js\n([\s\S]*?)```/g)].forEach((m, i) => {
        const file = path.join(dir, `${path.basename(doc, '.md')}-${i}.js`);
        fs.writeFileSync(file, m[1]!);
        const r = spawnSync(process.execPath, ['--check', file], { encoding: 'utf8' });
        assert.equal(r.status, 0, `${doc} js block ${i}: ${r.stderr}`);
      });
    }
    assert.ok(ts >= 2, `found ${ts} TypeScript examples`);
    fs.writeFileSync(
      path.join(dir, 'tsconfig.json'),
      JSON.stringify({ compilerOptions: { strict: true, noEmit: true, module: 'node16', moduleResolution: 'node16', target: 'ES2022', types: ['node'], skipLibCheck: true }, include: ['*.ts'] }),
    );
    const r = spawnSync(process.execPath, [path.join(repo, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', dir], { encoding: 'utf8' });
    assert.equal(r.status, 0, `${r.stdout}${r.stderr}`);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
