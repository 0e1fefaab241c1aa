/**
 * memfs extended attributes: XATTR_CREATE/XATTR_REPLACE, ENODATA, listing,
 * removal, namespaces, and the Linux limits. (Permissions per namespace are
 * in memfs-perm.test.ts.)
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ROOT, root, throwsErrno } from '../helpers/fs-calls';
import { Fx } from './memfs-helpers';

const XATTR_CREATE = 1;
const XATTR_REPLACE = 2;

test('set, get, list, remove; values are copied in', () => {
  const f = new Fx();
  const ino = f.file(root, ROOT, 'f');
  const v = Buffer.from('value');
  f.setxattr(root, ino, 'user.a', v);
  v.fill(0);
  f.setxattr(root, ino, 'user.b', Buffer.alloc(0));
  assert.equal(f.getxattr(root, ino, 'user.a').toString(), 'value');
  assert.equal(f.getxattr(root, ino, 'user.b').length, 0, 'an empty value is a value');
  assert.deepEqual(f.listxattr(root, ino), ['user.a', 'user.b']);
  f.removexattr(root, ino, 'user.a');
  assert.deepEqual(f.listxattr(root, ino), ['user.b']);
  throwsErrno(() => f.getxattr(root, ino, 'user.a'), 'ENODATA');
  throwsErrno(() => f.removexattr(root, ino, 'user.a'), 'ENODATA');
  assert.deepEqual(f.listxattr(root, f.file(root, ROOT, 'g')), []);
});

test('XATTR_CREATE fails with EEXIST on an existing name; XATTR_REPLACE with ENODATA on a missing one', () => {
  const f = new Fx();
  const ino = f.file(root, ROOT, 'f');
  throwsErrno(() => f.setxattr(root, ino, 'user.a', 'x', XATTR_REPLACE), 'ENODATA');
  f.setxattr(root, ino, 'user.a', 'x', XATTR_CREATE);
  throwsErrno(() => f.setxattr(root, ino, 'user.a', 'y', XATTR_CREATE), 'EEXIST');
  f.setxattr(root, ino, 'user.a', 'z', XATTR_REPLACE);
  assert.equal(f.getxattr(root, ino, 'user.a').toString(), 'z');
  throwsErrno(() => f.setxattr(root, ino, 'user.a', 'z', 4), 'EINVAL');
});

test('namespaces: user, trusted, security work; system.* and unknown prefixes are EOPNOTSUPP', () => {
  const f = new Fx();
  const ino = f.file(root, ROOT, 'f');
  for (const n of ['user.x', 'trusted.x', 'security.x']) f.setxattr(root, ino, n, '1');
  for (const n of ['system.posix_acl_access', 'foo.bar', 'user', 'nodot']) throwsErrno(() => f.setxattr(root, ino, n, '1'), 'EOPNOTSUPP', n);
  throwsErrno(() => f.getxattr(root, ino, 'system.posix_acl_access'), 'EOPNOTSUPP');
  throwsErrno(() => f.setxattr(root, ino, 'user.', '1'), 'EINVAL');
});

test('limits: names up to 255 bytes (ERANGE beyond), values up to 64 KiB (E2BIG beyond)', () => {
  const f = new Fx();
  const ino = f.file(root, ROOT, 'f');
  const name255 = 'user.' + 'n'.repeat(250);
  f.setxattr(root, ino, name255, 'v');
  throwsErrno(() => f.setxattr(root, ino, name255 + 'n', 'v'), 'ERANGE');
  throwsErrno(() => f.getxattr(root, ino, name255 + 'n'), 'ERANGE');
  f.setxattr(root, ino, 'user.big', Buffer.alloc(65536, 1));
  assert.equal(f.getxattr(root, ino, 'user.big').length, 65536);
  throwsErrno(() => f.setxattr(root, ino, 'user.big', Buffer.alloc(65537)), 'E2BIG');
});

test('xattrs work on directories; their space comes back when the inode is freed', () => {
  const f = new Fx();
  const d = f.mkdir(root, ROOT, 'd');
  f.setxattr(root, d.ino, 'user.dir', 'yes');
  assert.equal(f.getxattr(root, d.ino, 'user.dir').toString(), 'yes');
  const ino = f.file(root, ROOT, 'f');
  f.setxattr(root, ino, 'user.k', Buffer.alloc(1000));
  const used = f.st.usedBytes;
  assert.ok(used >= 1000);
  f.setxattr(root, ino, 'user.k', Buffer.alloc(10));
  assert.equal(f.st.usedBytes, used - 990, 'shrinking a value gives space back');
  f.unlink(root, ROOT, 'f');
  f.forget(ino, 1);
  assert.equal(f.st.usedBytes, 'user.dir'.length + 'yes'.length, 'only the directory\'s attribute is left');
});
