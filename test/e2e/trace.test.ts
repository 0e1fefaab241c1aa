/**
 * A trace recorded from a real mount (an untar of a source tree onto memfs,
 * then reading it back) replays in the kernel emulator with identical
 * replies, timestamps aside.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { memfs } from '../../src/fs/memfs';
import { formatTrace, readTrace, replayTrace } from '../../src/testing/trace';
import { canMount, withMount } from '../helpers/mounted';

const repo = path.join(__dirname, '..', '..', '..');

test('record an untar onto memfs, replay it in the emulator: identical replies', { skip: !canMount() && 'needs root and /dev/fuse' }, async () => {
  const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'devfuse-trace-')), 'untar.jsonl');
  await withMount('src/fs/memfs/index.js', 'memfs', { session: {}, trace: file }, async ({ dir }) => {
    const tar = spawnSync('sh', ['-c', `tar -C ${repo} -cf - src/protocol src/server | tar -C ${dir} -xf - && cat $(find ${dir} -type f) | wc -c && ls -lR ${dir} > /dev/null`], { encoding: 'utf8' });
    assert.equal(tar.status, 0, tar.stderr);
  });
  const events = readTrace(file);
  assert.ok(events.length > 500, `a real trace (${events.length} messages)`);
  const shown = formatTrace(events);
  assert.match(shown[0]!, /→ \d+ INIT/);
  assert.ok(shown.some((l) => / CREATE /.test(l)) && shown.some((l) => / WRITE /.test(l)) && shown.some((l) => / READ /.test(l)));
  const r = await replayTrace(events, memfs());
  assert.deepEqual(r.differences.slice(0, 3), []);
  assert.deepEqual(r.violations, []);
  assert.ok(r.compared > 400, `${r.compared} replies compared`);
  fs.rmSync(path.dirname(file), { recursive: true, force: true });
});
