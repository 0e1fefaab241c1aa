/**
 * The conformance kit on the path-based memfs (src/examples/path-memfs.ts)
 * served through fromPathFilesystem: every scenario passes, and the node
 * table is the kit's leak check (a node freed after its last FORGET).
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { fromPathFilesystem, type PathAdapter } from '../../src/path';
import { pathMemfs } from '../../src/examples/path-memfs';
import { pathPassthrough } from '../../src/examples/path-passthrough';
import { formatReport, runConformance } from '../../src/testing/conformance/kit';

test('the conformance kit passes on pathMemfs through the path adapter', { timeout: 120_000 }, async () => {
  const report = await runConformance({
    seed: 20261207, // the model's random sequences, the same every run
    make: () => fromPathFilesystem(pathMemfs(), { readdirplus: true }),
    inspect: (f) => ({ liveInodes: () => (f as PathAdapter).nodeCount }),
  });
  assert.equal(report.failed, 0, formatReport(report));
  assert.ok(report.passed >= 12, formatReport(report));
});

test('the kit passes without READDIRPLUS and without inode numbers too', { timeout: 120_000 }, async () => {
  const report = await runConformance({
    seed: 20261207, // the model's random sequences, the same every run
    make: () => fromPathFilesystem(pathMemfs(), { useIno: false }),
    inspect: (f) => ({ liveInodes: () => (f as PathAdapter).nodeCount }),
  });
  assert.equal(report.failed, 0, formatReport(report));
});

test('the kit passes on the path passthrough example too', { timeout: 120_000 }, async () => {
  const dirs: string[] = [];
  try {
    const report = await runConformance({
    seed: 20261207, // the model's random sequences, the same every run
      make: () => {
        const d = fs.mkdtempSync(path.join(os.tmpdir(), 'devfuse-path-kit-'));
        dirs.push(d);
        return fromPathFilesystem(pathPassthrough(d), { readdirplus: true });
      },
      inspect: (f) => ({ liveInodes: () => (f as PathAdapter).nodeCount }),
    });
    assert.equal(report.failed, 0, formatReport(report));
  } finally {
    for (const d of dirs) fs.rmSync(d, { recursive: true, force: true });
  }
});
