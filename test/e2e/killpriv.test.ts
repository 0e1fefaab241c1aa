/**
 * handle_killpriv_v2 on real mounts: the passthrough and memfs negotiate it
 * (Filesystem.handleKillprivV2), so the kernel stops asking for
 * security.capability before every write (once per inode instead) and
 * leaves privileges to them.
 * What a caller sees must not change: a write, truncate or O_TRUNC open by
 * a user without CAP_FSETID drops setuid (and setgid from a
 * group-executable file); root's writes keep them; a chown drops them;
 * security.capability goes on any write.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { describe, test } from 'node:test';
import { canMount, withMount, withPassthrough, type IoMode } from '../helpers/mounted';
import { py } from '../helpers/syscalls';

const ALICE = { uid: 1000, gid: 1000 };

/** Files the scenario needs, each root's, world-writable, made in `dir` (the source, or the mount). */
function prepare(dir: string): void {
  const files: [string, number][] = [['w', 0o6777], ['sgid', 0o2766], ['t', 0o6777], ['ft', 0o6777], ['ot', 0o6777], ['ct', 0o6777], ['root', 0o6777], ['chown', 0o6777]];
  for (const [name, mode] of files) {
    fs.writeFileSync(path.join(dir, name), 'data');
    fs.chmodSync(path.join(dir, name), mode);
  }
}

/** What alice's writes, truncates and O_TRUNC opens leave of the modes (as octal strings). */
function asAlice(dir: string): Record<string, string> {
  return py<Record<string, string>>(
    `import os
m = lambda p: oct(os.stat(p).st_mode & 0o7777)
r = {}
with open('w', 'a') as f: f.write('x')
r['write'] = m('w')
with open('sgid', 'a') as f: f.write('x')
r['sgid_noexec'] = m('sgid')
os.truncate('t', 1); r['truncate'] = m('t')
fd = os.open('ft', os.O_WRONLY); os.ftruncate(fd, 1); os.close(fd); r['ftruncate'] = m('ft')
fd = os.open('ot', os.O_WRONLY | os.O_TRUNC); os.close(fd); r['o_trunc'] = m('ot')
fd = os.open('ct', os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644); os.close(fd); r['creat_trunc'] = m('ct')
out(r)`,
    [],
    { cwd: dir, as: ALICE },
  );
}

const ALICE_SEES = { write: '0o777', sgid_noexec: '0o2766', truncate: '0o777', ftruncate: '0o777', o_trunc: '0o777', creat_trunc: '0o777' };

/** Root writes keep setuid/setgid; root's chown drops them. */
function asRoot(dir: string): void {
  fs.appendFileSync(path.join(dir, 'root'), 'x');
  assert.equal(fs.statSync(path.join(dir, 'root')).mode & 0o7777, 0o6777, 'a write by root keeps setuid/setgid');
  fs.chownSync(path.join(dir, 'chown'), 0, 0);
  assert.equal(fs.statSync(path.join(dir, 'chown')).mode & 0o7777, 0o777, 'a chown drops setuid/setgid');
}

/**
 * Writes by root through the mount: with handle_killpriv_v2 the kernel asks
 * for security.capability once per inode (then marks it S_NOSEC), not
 * before every write as it does without (the --debug log says).
 */
async function writesAskXattrOnce(dir: string, log: () => string): Promise<void> {
  const dd = spawnSync('dd', ['if=/dev/zero', `of=${path.join(dir, 'big')}`, 'bs=64k', 'count=8', 'status=none']);
  assert.equal(dd.status, 0);
  // dd's requests, by its pid; the server's log arrives through a pipe this process reads between ticks.
  const count = (op: string): number => log().split('\n').filter((l) => l.startsWith(`→ `) && l.split(' ')[2] === op && l.includes(` pid=${dd.pid} `)).length;
  for (let i = 0; i < 100 && count('WRITE') < 8; i++) await new Promise((r) => setTimeout(r, 20));
  assert.equal(count('WRITE'), 8, 'the writes reached the server');
  assert.ok(count('GETXATTR') <= 1, `${count('GETXATTR')} GETXATTR for 8 writes`);
}

/**
 * Sets a file capability (VFS_CAP_REVISION_2, CAP_NET_BIND_SERVICE
 * permitted) on `file` (in the source, or the mount), appends to the same
 * file through the mount at `viaMount`, and checks the capability is gone.
 */
function writeDropsCapability(file: string, viaMount: string): void {
  const has = (): string =>
    py<string>(`import os
try: os.getxattr(${JSON.stringify(file)}, 'security.capability'); out('yes')
except OSError: out('no')`);
  fs.writeFileSync(file, 'data');
  py(`import os, struct; os.setxattr(${JSON.stringify(file)}, 'security.capability', struct.pack('<5I', 0x02000000, 1 << 10, 0, 0, 0))`);
  assert.equal(has(), 'yes');
  fs.appendFileSync(viaMount, 'x');
  assert.equal(has(), 'no', 'a write removed security.capability');
}

describe('handle_killpriv_v2', { skip: !canMount() && 'needs root and /dev/fuse' }, () => {
  for (const io of ['sync', 'async'] as IoMode[]) {
    test(`passthrough (${io}): privileges drop as the VFS drops them, and writes make no GETXATTR each`, async () => {
      await withPassthrough(io, 'allow_other,default_permissions,debug', async ({ dir, src, stderr }) => {
        prepare(src);
        assert.deepEqual(asAlice(dir), ALICE_SEES);
        asRoot(dir);
        await writesAskXattrOnce(dir, stderr);
        // Set in the source, behind the kernel's back: the source's own VFS drops it on our pwrite (privs.ts).
        writeDropsCapability(path.join(src, 'cap'), path.join(dir, 'cap'));
      });
    });
  }

  test('passthrough with writeback_cache: a write by alice still drops setuid (the kernel writes through)', async () => {
    await withPassthrough('sync', 'allow_other,default_permissions,writeback_cache', async ({ dir, src }) => {
      prepare(src);
      assert.deepEqual(asAlice(dir), ALICE_SEES);
    });
  });

  test('memfs: the same, and security.capability goes on a write', async () => {
    await withMount('src/fs/memfs/index.js', 'memfs', { options: 'allow_other,default_permissions,debug' }, async ({ dir, stderr }) => {
      prepare(dir);
      assert.deepEqual(asAlice(dir), ALICE_SEES);
      asRoot(dir);
      await writesAskXattrOnce(dir, stderr);
      // Set through the mount: the kernel itself checks this inode again and removes it (memfs would too:
      // the unit test in test/fs/memfs-perm.test.ts shows that part).
      writeDropsCapability(path.join(dir, 'cap'), path.join(dir, 'cap'));
    });
  });
});
