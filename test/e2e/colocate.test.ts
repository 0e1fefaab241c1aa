/**
 * -o colocate on a real mount: a tight exchange (a stat loop, reads and
 * writes back to back) runs correctly with the server switching to
 * SCHED_IDLE for its replies, beside two CPU-bound processes too (the
 * guards of colocate.ts); without busy polling the option says it is off.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import os from 'node:os';
import { describe, test } from 'node:test';
import { canMount, withPassthrough } from '../helpers/mounted';
import { pyAsync } from '../helpers/syscalls';

const LOOP = `import os, sys
p = 'f'
with open(p, 'wb') as f: f.write(b'x' * 4096)
fd = os.open(p, os.O_RDWR)
for i in range(3000):
    os.stat(p)
    os.pwrite(fd, i.to_bytes(4, 'little'), (i % 1024) * 4)
    assert os.pread(fd, 4, (i % 1024) * 4) == i.to_bytes(4, 'little')
os.close(fd)
out(str(os.stat(p).st_size))`;

describe('-o colocate', { skip: !canMount() && 'needs root and /dev/fuse' }, () => {
  test('a tight exchange is served correctly, alone and beside CPU-bound processes', async () => {
    await withPassthrough('sync', 'colocate,attr_timeout=0,entry_timeout=0', async ({ dir, stderr }) => {
      assert.equal(await pyAsync(LOOP, [], { cwd: dir }), '4096');
      const hogs = Array.from({ length: os.availableParallelism() }, () => spawn('sh', ['-c', 'while :; do :; done'], { stdio: 'ignore' }));
      try {
        const t0 = performance.now();
        assert.equal(await pyAsync(LOOP, [], { cwd: dir, timeout: 60000 }), '4096');
        // 9,000 round trips: seconds at worst, not the minutes a starved SCHED_IDLE server would take.
        assert.ok(performance.now() - t0 < 30000);
      } finally {
        for (const h of hogs) h.kill('SIGKILL');
      }
      assert.doesNotMatch(stderr(), /devfuse:/);
    });
  });

  test('without busy polling it is off, and says so', async () => {
    await withPassthrough('sync', 'colocate,busy_poll=0', async ({ dir, stderr }) => {
      assert.equal(await pyAsync(LOOP, [], { cwd: dir }), '4096');
      assert.match(stderr(), /-o colocate is off/);
    });
  });
});
