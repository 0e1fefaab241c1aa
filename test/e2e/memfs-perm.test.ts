/**
 * memfs permission checks through a real mount, as other users: the mount
 * has allow_other (and no default_permissions, so the kernel leaves the
 * checks to memfs) and a /tmp-like sticky, world-writable root. The test
 * runs python3 as uid 1000 ("alice", gid 1000) and 1001 ("bob", gid 1001).
 * An execve() open reaches memfs with the kernel's __FMODE_EXEC flag, so
 * memfs checks x permission for the right class (the kernel alone only
 * checks that some x bit is set).
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, test } from 'node:test';
import { py, pyAsync } from '../helpers/syscalls';
import { assertNothingMounted, skip, withMemfs } from '../helpers/mounted';

after(assertNothingMounted);

const ALICE = { uid: 1000, gid: 1000 };
const BOB = { uid: 1001, gid: 1001 };

function as<T>(who: { uid: number; gid: number }, code: string, ...args: string[]): Promise<T> {
  return pyAsync<T>(code, args, { as: who, cwd: '/' });
}

test('memfs e2e: permissions as other users (allow_other, checks done by memfs)', { skip }, async () => {
  await withMemfs(
    'tmpLikeMemfs',
    // entry_timeout=0: a name alice just created is not served to bob from the kernel's cache without memfs
    // checking bob's search permission (see perm.ts: with caching, multi-user mounts want default_permissions).
    { options: 'allow_other,entry_timeout=0' },
    async ({ dir }) => {
      // alice sets up her files.
      const setup = await as<Record<string, unknown>>(
        ALICE,
        `d = ARGS[0]
os.umask(0o022)
os.mkdir(d + '/alice', 0o755)
os.mkdir(d + '/alice/private', 0o700)
open(d + '/alice/private/secret', 'w').write('s')
fd = os.open(d + '/alice/readable', os.O_CREAT | os.O_WRONLY, 0o644); os.write(fd, b'r'); os.close(fd)
fd = os.open(d + '/alice/mine', os.O_CREAT | os.O_WRONLY, 0o600); os.close(fd)
fd = os.open(d + '/alice/shared', os.O_CREAT | os.O_WRONLY, 0o666); os.close(fd)
os.chmod(d + '/alice/shared', 0o666)
with open(d + '/alice/script', 'w') as f: f.write('#!/bin/sh\\necho ran\\n')
os.chmod(d + '/alice/script', 0o744)
open(d + '/in-sticky-root', 'w').close()
st = os.stat(d + '/alice/readable')
out({'owner': [st.st_uid, st.st_gid], 'mode': st.st_mode & 0o7777})`,
        dir,
      );
      assert.deepEqual(setup, { owner: [1000, 1000], mode: 0o644 });

      const bob = await as<Record<string, unknown>>(
        BOB,
        `d = ARGS[0]; a = d + '/alice'
r = {}
r['read_644'] = open(a + '/readable').read()
r['write_644'] = tryErr(os.open, a + '/readable', os.O_WRONLY)
r['read_600'] = tryErr(os.open, a + '/mine', os.O_RDONLY)
r['trunc_644'] = tryErr(os.open, a + '/readable', os.O_RDONLY | os.O_TRUNC)
r['truncate_path'] = tryErr(os.truncate, a + '/readable', 0)
r['lookup_700'] = tryErr(os.stat, a + '/private/secret')
r['list_700'] = tryErr(os.listdir, a + '/private')
r['create_755'] = tryErr(os.open, a + '/bobs', os.O_CREAT | os.O_WRONLY, 0o644)
r['mkdir_755'] = tryErr(os.mkdir, a + '/bobdir')
r['unlink_755'] = tryErr(os.unlink, a + '/readable')
r['rename_755'] = tryErr(os.rename, a + '/readable', d + '/stolen')
r['sticky_unlink'] = tryErr(os.unlink, d + '/in-sticky-root')
r['chmod'] = tryErr(os.chmod, a + '/readable', 0o777)
r['chown'] = tryErr(os.chown, a + '/readable', 1001, -1)
r['utime_explicit'] = tryErr(os.utime, a + '/shared', (1, 1))
r['utime_now_writable'] = tryErr(os.utime, a + '/shared', None)
r['utime_now_readonly'] = tryErr(os.utime, a + '/readable', None)
r['access_w'] = os.access(a + '/readable', os.W_OK)
r['access_r'] = os.access(a + '/readable', os.R_OK)
import subprocess
r['exec_744'] = tryErr(subprocess.run, [a + '/script'])
r['xattr_write'] = tryErr(os.setxattr, a + '/readable', 'user.x', b'1')
r['write_666'] = tryErr(lambda: open(a + '/shared', 'w').write('bob was here'))
out(r)`,
        dir,
      );
      assert.deepEqual(bob, {
        read_644: 'r', write_644: 'EACCES', read_600: 'EACCES', trunc_644: 'EACCES', truncate_path: 'EACCES',
        lookup_700: 'EACCES', list_700: 'EACCES', create_755: 'EACCES', mkdir_755: 'EACCES', unlink_755: 'EACCES',
        rename_755: 'EACCES', sticky_unlink: 'EPERM', chmod: 'EPERM', chown: 'EPERM', utime_explicit: 'EPERM',
        utime_now_writable: null, utime_now_readonly: 'EACCES', access_w: false, access_r: true, exec_744: 'EACCES',
        xattr_write: 'EACCES', write_666: null,
      });

      // The owner's rights, and chown/chgrp rules for the owner.
      const alice = await as<Record<string, unknown>>(
        ALICE,
        `d = ARGS[0]; a = d + '/alice'
r = {}
r['chmod'] = tryErr(os.chmod, a + '/readable', 0o640)
r['give_away'] = tryErr(os.chown, a + '/readable', 1001, -1)
r['chgrp_foreign'] = tryErr(os.chown, a + '/readable', -1, 1001)
r['chgrp_own'] = tryErr(os.chown, a + '/readable', -1, 1000)
import subprocess
r['exec_own'] = subprocess.run([a + '/script'], capture_output=True).stdout.decode()
r['unlink_sticky_own'] = tryErr(os.unlink, d + '/in-sticky-root')
out(r)`,
        dir,
      );
      assert.deepEqual(alice, { chmod: null, give_away: 'EPERM', chgrp_foreign: 'EPERM', chgrp_own: null, exec_own: 'ran\n', unlink_sticky_own: null });

      // Setgid directories: root makes one for group 50; alice's files there get group 50, subdirectories setgid.
      py(`os.mkdir(ARGS[0] + '/sg'); os.chown(ARGS[0] + '/sg', 0, 50); os.chmod(ARGS[0] + '/sg', 0o2777)`, [dir]);
      const sg = await as<Record<string, unknown>>(
        ALICE,
        `d = ARGS[0] + '/sg'
open(d + '/f', 'w').close(); os.mkdir(d + '/sub')
out({'file_gid': os.stat(d + '/f').st_gid, 'sub': [os.stat(d + '/sub').st_gid, bool(os.stat(d + '/sub').st_mode & 0o2000)]})`,
        dir,
      );
      assert.deepEqual(sg, { file_gid: 50, sub: [50, true] });

      // A write by another user drops setuid (root's file, world-writable).
      const suid = path.join(dir, 'suid');
      fs.writeFileSync(suid, '#!/bin/sh\n');
      fs.chmodSync(suid, 0o4777);
      await as(BOB, `open(ARGS[0], 'a').write('echo\\n')`, suid);
      assert.equal(fs.statSync(suid).mode & 0o7777, 0o0777);
      // Root keeps them.
      fs.chmodSync(suid, 0o6777);
      fs.appendFileSync(suid, '\n');
      assert.equal(fs.statSync(suid).mode & 0o7777, 0o6777);
    },
  );
});
