/**
 * The README's TypeScript examples compile against the package as a user
 * imports it ('devfuse', 'devfuse/testing'), so they cannot drift from the
 * API unnoticed.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';

const repo = path.join(__dirname, '..', '..');

test('every ```ts block of the README type-checks against the built package', () => {
  const readme = fs.readFileSync(path.join(repo, 'README.md'), 'utf8');
  const blocks = [...readme.matchAll(/```ts\n([\s\S]*?)```/g)].map((m) => m[1]!);
  assert.ok(blocks.length >= 3, `found ${blocks.length} TypeScript examples`);
  // Inside the repository, 'devfuse' resolves to the package itself through its "exports".
  const dir = fs.mkdtempSync(path.join(repo, 'dist', 'readme-'));
  try {
    blocks.forEach((code, i) => {
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
