/**
 * Notifications on a real kernel: with 60-second cache timeouts and
 * keep_cache, the kernel only sees a change the filesystem notifies.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import { test } from 'node:test';
import { canMount, withMount } from '../helpers/mounted';


test('NOTIFY_INVAL_INODE, STORE, RETRIEVE and INVAL_ENTRY reach the kernel', { skip: !canMount() && 'needs root and /dev/fuse' }, async () => {
  await withMount('test/helpers/notify-fs.js', 'notifyFs', {}, async ({ dir, stderr }) => {
    const read = () => fs.readFileSync(`${dir}/data`, 'utf8');
    // Waits until the filesystem has delivered its n-th notification (a count it serves uncached).
    const delivered = async (n: number): Promise<void> => {
      while (Number(fs.readFileSync(`${dir}/done`, 'utf8')) < n) await new Promise((r) => setTimeout(r, 10));
    };
    assert.equal(read(), 'old content\n');
    // Cached now; a change without notification would not be seen for 60 s.
    fs.writeFileSync(`${dir}/ctl`, 'set new content\n');
    await delivered(1);
    assert.equal(read(), 'new content\n', 'INVAL_INODE dropped the cached pages and attributes');

    fs.writeFileSync(`${dir}/ctl`, 'store STORED!!!!!\n');
    await delivered(2);
    assert.equal(read(), 'STORED!!!!!\n', 'STORE put bytes into the page cache the filesystem never served');

    fs.writeFileSync(`${dir}/ctl`, 'retrieve');
    await delivered(3);
    assert.equal(fs.readFileSync(`${dir}/retrieved`, 'utf8'), 'STORED!!!!!\n', 'RETRIEVE read the kernel cache back');

    fs.writeFileSync(`${dir}/ctl`, 'hide');
    await delivered(4);
    assert.throws(() => fs.statSync(`${dir}/data`), { code: 'ENOENT' }, 'INVAL_ENTRY dropped the cached name');
    assert.doesNotMatch(stderr(), /notify failed/);
  });
});
