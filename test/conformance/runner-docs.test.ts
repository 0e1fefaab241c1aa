/**
 * docs/conformance.md (the README's kit section and the kit's reference)
 * cannot drift: every `devfuse ...  # exit N` line of its sh blocks is run
 * and exits N; every ts block type-checks against the built package and
 * runs; the sample report is what the kit prints for the filesystem it
 * describes; the scenario count is the kit's, and every scenario is in
 * docs/conformance-scenarios.md's table.
 */
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { describe, test } from 'node:test';
import { memfs } from '../../src/fs/memfs';
import type { StatfsResult } from '../../src/api/filesystem';
import { formatReport, runConformance } from '../../src/testing/conformance/kit';
import { SCENARIOS } from '../../src/testing/conformance/scenarios';
import { fencedBlocks } from '../helpers/markdown';

const repo = path.join(__dirname, '..', '..', '..');
const doc = fs.readFileSync(path.join(repo, 'docs', 'conformance.md'), 'utf8');

function blocks(lang: string): string[] {
  return fencedBlocks(doc, lang);
}

function run(cmd: string, args: string[]): Promise<{ status: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const c = spawn(cmd, args, { cwd: repo, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    c.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    c.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    c.on('close', (status) => resolve({ status, stdout, stderr }));
  });
}

describe('docs/conformance.md', { timeout: 300_000 }, () => {
  test('every devfuse command of its sh blocks exits as its comment says', async () => {
    const lines = blocks('sh').flatMap((b) => b.split('\n')).filter((l) => l.startsWith('devfuse '));
    assert.ok(lines.length >= 5, `found ${lines.length} commands`);
    for (const line of lines) {
      const m = /^devfuse (.*?)\s+# exit (\d)/.exec(line);
      assert.ok(m, `"${line}" says its exit status as "# exit N"`);
      const r = await run(process.execPath, [path.join(repo, 'bin', 'devfuse.js'), ...m[1]!.split(/\s+/)]);
      assert.equal(r.status, Number(m[2]), `${line}\n${r.stdout}${r.stderr}`);
      if (line.includes('--json')) for (const l of r.stdout.trim().split('\n')) JSON.parse(l);
      if (r.status === 2) assert.equal(r.stderr.trim().split('\n').length, 1, r.stderr);
    }
  });

  test('every ts block type-checks against the built package and runs', async () => {
    const ts = blocks('ts');
    assert.ok(ts.length >= 3, `found ${ts.length} TypeScript examples`);
    // Inside the repository, 'devfuse' resolves to the package itself through its "exports".
    const dir = fs.mkdtempSync(path.join(repo, 'dist', 'docs-conformance-'));
    try {
      ts.forEach((code, i) => {
        const imports = [...code.matchAll(/^import .*$/gm)].map((m) => m[0]).join('\n');
        const body = `import assert from 'node:assert/strict';\n${imports}\nexport async function main(): Promise<void> {\n${code.replace(/^import .*$/gm, '')}\n}\n`;
        fs.writeFileSync(path.join(dir, `example${i}.ts`), body);
      });
      fs.writeFileSync(
        path.join(dir, 'tsconfig.json'),
        JSON.stringify({ compilerOptions: { strict: true, module: 'node16', moduleResolution: 'node16', target: 'ES2022', types: ['node'], skipLibCheck: true }, include: ['*.ts'] }),
      );
      const tsc = spawnSync(process.execPath, [path.join(repo, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', dir], { encoding: 'utf8' });
      assert.equal(tsc.status, 0, `${tsc.stdout}${tsc.stderr}`);
      for (let i = 0; i < ts.length; i++) {
        const r = await run(process.execPath, ['-e', `require(${JSON.stringify(path.join(dir, `example${i}.js`))}).main().then(() => process.exit(0), (e) => { console.error(e); process.exit(1); })`]);
        assert.equal(r.status, 0, `example ${i}:\n${ts[i]}\n${r.stdout}${r.stderr}`);
      }
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  test('its sample report is what the kit prints for the filesystem it describes', async () => {
    const sample = blocks('').find((b) => b.startsWith('- xattr-protocol'));
    assert.ok(sample, 'the sample report');
    const report = await runConformance({
      make: () => {
        const inner = memfs({ size: 1 << 30 });
        return { ...inner, setxattr: undefined, statfs: (c, ino) => ({ ...(inner.statfs!(c, ino) as StatfsResult), bavail: (inner.statfs!(c, ino) as StatfsResult).bfree! + 1 }) };
      },
      only: ['sparse', 'xattr-protocol', 'statfs'],
    });
    const norm = (s: string): string => s.trim().replace(/\[\d+ ms\]/g, '[N ms]').replace(/\(seed \d+\)/, '(seed N)');
    assert.equal(norm(formatReport(report)), norm(sample));
  });

  test('the scenario count is the kit\'s, and every scenario has its line in docs/conformance-scenarios.md', () => {
    assert.match(doc, new RegExp(`\\b${SCENARIOS.length}\\s+scenarios\\b`));
    const table = fs.readFileSync(path.join(repo, 'docs', 'conformance-scenarios.md'), 'utf8');
    for (const s of SCENARIOS) assert.match(table, new RegExp(`^\\| \`?${s.name}\`? \\|`, 'm'), `${s.name} in docs/conformance-scenarios.md`);
  });

  test('its relative links lead to files of the repository', () => {
    const links = [...doc.matchAll(/\]\(([^)#]+)(#[^)]*)?\)/g)].map((m) => m[1]!).filter((l) => !/^[a-z]+:/.test(l));
    assert.ok(links.length > 0);
    for (const l of links) assert.ok(fs.existsSync(path.join(repo, 'docs', l)), `docs/conformance.md links to ${l}`);
  });
});
