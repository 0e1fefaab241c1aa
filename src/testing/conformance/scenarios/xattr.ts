/** Extended attributes: the size protocol, values, names, flags. */
import { Errno, errnoName, Opcode } from '../../../protocol';
import type { Vfs } from '../../vfs';
import { SkipScenario, type Scenario } from '../kit';
import { code, firstDifference, show, UNSUPPORTED, XATTR_CREATE, XATTR_REPLACE } from './common';

export const xattrs: Scenario = {
  name: 'xattr-protocol',
  description: 'xattrs: the size probe (size 0, then exact), ERANGE, XATTR_CREATE/REPLACE, ENODATA',
  needs: ['write', 'xattr'],
  async run(t) {
    const v = await t.start();
    await v.writeFile('/f', '');
    try {
      await v.setxattr('/f', 'user.k', 'value');
    } catch (e) {
      if (['ENOSYS', 'EOPNOTSUPP', 'ENOTSUP'].includes(code(e))) throw new SkipScenario(`no xattr support (${code(e)})`);
      throw e;
    }
    const id = await v.nodeid('/f');
    const probe = await v.k.request(Opcode.GETXATTR, id, { arg: { size: 0 }, name: 'user.k' });
    t.check(probe.body?.kind === 'xattr_size' && probe.body.size === 5, 'GETXATTR user.k with size 0', 'fuse_getxattr_out size 5', JSON.stringify(probe.body ?? probe.error));
    const small = await v.k.request(Opcode.GETXATTR, id, { arg: { size: 4 }, name: 'user.k' });
    t.check(small.error === -Errno.ERANGE, 'GETXATTR user.k with size 4', 'ERANGE', String(small.error || 'success'));
    const got = await t.expectOk(v.getxattr('/f', 'user.k'), 'GETXATTR user.k');
    t.check(got?.toString() === 'value', 'value of user.k', '"value"', JSON.stringify(got?.toString()));
    const list = await t.expectOk(v.listxattr('/f'), 'LISTXATTR');
    t.check(!!list?.includes('user.k'), 'LISTXATTR', 'includes user.k', JSON.stringify(list));
    const lsmall = await v.k.request(Opcode.LISTXATTR, id, { arg: { size: 1 } });
    t.check(lsmall.error === -Errno.ERANGE, 'LISTXATTR with size 1', 'ERANGE', String(lsmall.error || 'success'));
    await t.expectError(v.setxattr('/f', 'user.k', 'x', XATTR_CREATE), 'EEXIST', 'SETXATTR XATTR_CREATE of an existing name');
    await t.expectError(v.setxattr('/f', 'user.none', 'x', XATTR_REPLACE), 'ENODATA', 'SETXATTR XATTR_REPLACE of a missing name');
    await t.expectError(v.getxattr('/f', 'user.none'), 'ENODATA', 'GETXATTR of a missing name');
    await t.expectOk(v.setxattr('/f', 'user.empty', ''), 'SETXATTR of an empty value');
    const empty = await t.expectOk(v.getxattr('/f', 'user.empty'), 'GETXATTR of an empty value');
    t.check(empty?.length === 0, 'an empty value', '0 bytes', String(empty?.length));
    await t.expectOk(v.removexattr('/f', 'user.k'), 'REMOVEXATTR user.k');
    await t.expectError(v.getxattr('/f', 'user.k'), 'ENODATA', 'GETXATTR after REMOVEXATTR');
  },
};

/** Sets user.* xattrs on a fresh /f; skips the scenario when the filesystem has none. */
async function xattrFile(t: Parameters<Scenario['run']>[0], path = '/f'): Promise<Vfs> {
  const v = await t.start();
  await v.writeFile(path, '');
  try {
    await v.setxattr(path, 'user.probe', 'x');
    await v.removexattr(path, 'user.probe');
  } catch (e) {
    if (UNSUPPORTED.includes(code(e))) t.skip(`no xattr support (${code(e)})`);
    throw e;
  }
  return v;
}

export const xattrValues: Scenario = {
  name: 'xattr-values',
  description: 'xattr values of every byte value and of sizes 0 to 64 KiB come back exactly; the size probe, a buffer one byte short (ERANGE) and one byte long around each size',
  needs: ['write', 'xattr'],
  async run(t) {
    const v = await xattrFile(t);
    const every = Buffer.from(Array.from({ length: 512 }, (_, i) => (i * 7 + (i >> 8)) & 0xff));
    const sizes = [0, 1, 2, 255, 256, 511, 512, 1023, 1024, 4000, 4095, 4096, 4097, 16384, 65535, 65536];
    for (const n of sizes) {
      t.step(`a ${n}-byte value`);
      const value = Buffer.alloc(n);
      for (let i = 0; i < n; i++) value[i] = every[i % every.length]!;
      try {
        await v.setxattr('/f', 'user.v', value);
      } catch (e) {
        // A filesystem's own limit (ext4 keeps a file's xattrs in one block): say so, and stop growing.
        if (n > 1024 && ['ENOSPC', 'E2BIG', 'ERANGE'].includes(code(e))) break;
        t.fail(`SETXATTR user.v with a ${n}-byte value`, 'success', code(e));
        continue;
      }
      const probe = await v.getxattrRaw('/f', 'user.v', 0);
      const size = probe.body?.kind === 'xattr_size' ? probe.body.size : undefined;
      t.check(size === n, `GETXATTR user.v size probe (a ${n}-byte value)`, `fuse_getxattr_out size ${n}`, probe.error ? errnoName(-probe.error) : `size ${size}`);
      if (n > 0) {
        const exact = await v.getxattrRaw('/f', 'user.v', n);
        const got = exact.body?.kind === 'data' ? exact.body.data : undefined;
        t.check(!!got && got.equals(value), `GETXATTR user.v with a ${n}-byte buffer`, `the ${n} bytes set`, exact.error ? errnoName(-exact.error) : got ? `${got.length} bytes, first difference at ${firstDifference(got, value)}` : 'no data');
        const short = await v.getxattrRaw('/f', 'user.v', n - 1 || 1);
        if (n > 1) t.check(short.error === -Errno.ERANGE, `GETXATTR user.v (${n} bytes) with a ${n - 1}-byte buffer`, 'ERANGE', short.error ? errnoName(-short.error) : `success with ${short.body?.kind === 'data' ? short.body.data.length : '?'} bytes (a truncated value)`);
        if (n < 65536) {
          const long = await v.getxattrRaw('/f', 'user.v', n + 1);
          const lg = long.body?.kind === 'data' ? long.body.data : undefined;
          t.check(!!lg && lg.equals(value), `GETXATTR user.v (${n} bytes) with a ${n + 1}-byte buffer`, `the ${n} bytes`, long.error ? errnoName(-long.error) : `${lg?.length} bytes`);
        }
      }
    }
    t.step('a value replaced by a shorter one');
    await v.setxattr('/f', 'user.v', 'a much longer first value');
    await v.setxattr('/f', 'user.v', 'short');
    const s = await v.getxattr('/f', 'user.v');
    t.check(s.toString() === 'short', 'user.v after replacing a long value with "short"', '"short" (5 bytes)', show(s));
  },
};

export const xattrNames: Scenario = {
  name: 'xattr-names',
  description: 'many xattr names: LISTXATTR lists each once (its size probe and ERANGE one byte short), removal takes one name only, XATTR_CREATE/XATTR_REPLACE leave values alone when they refuse, xattrs follow the inode through LINK and RENAME',
  needs: ['write', 'xattr'],
  async run(t) {
    const v = await xattrFile(t);
    t.step('40 short names and two of the longest length (255 bytes with the prefix)');
    const names = Array.from({ length: 40 }, (_, i) => `user.n${String(i).padStart(3, '0')}`);
    names.push(`user.${'L'.repeat(250)}`, `user.${'M'.repeat(250)}`);
    for (const n of names) await t.expectOk(v.setxattr('/f', n, n.slice(5, 12)), `SETXATTR ${n.slice(0, 20)}`);
    const listed = async (when: string, want: string[]): Promise<void> => {
      const probe = await v.listxattrRaw('/f', 0);
      const total = want.reduce((s, n) => s + Buffer.byteLength(n) + 1, 0);
      const size = probe.body?.kind === 'xattr_size' ? probe.body.size : undefined;
      const list = await v.listxattr('/f');
      const user = list.filter((n) => n.startsWith('user.'));
      const extra = list.length - user.length;
      t.check(size !== undefined && size - extraBytes(list) === total, `LISTXATTR size probe ${when}`, `${total} bytes of user.* names (with their NULs)`, probe.error ? errnoName(-probe.error) : `size ${size}`);
      const set = new Set(user);
      const missing = want.filter((n) => !set.has(n));
      t.check(user.length === want.length && missing.length === 0, `LISTXATTR ${when}`, `${want.length} user.* names, each once`, `${user.length} names (${set.size} distinct), missing ${JSON.stringify(missing.map((n) => n.slice(0, 12)))}`);
      if (size && extra === 0 && size > 1) {
        const short = await v.listxattrRaw('/f', size - 1);
        t.check(short.error === -Errno.ERANGE, `LISTXATTR ${when} with a buffer one byte short`, 'ERANGE', short.error ? errnoName(-short.error) : 'success (a truncated list)');
      }
    };
    await listed('with 42 names', names);
    t.step('removing every other name');
    const kept = names.filter((_, i) => i % 2 === 1);
    for (const n of names.filter((_, i) => i % 2 === 0)) await t.expectOk(v.removexattr('/f', n), `REMOVEXATTR ${n.slice(0, 20)}`);
    await listed('after removing half', kept);
    for (const n of kept.slice(0, 5)) {
      const got = await t.expectOk(v.getxattr('/f', n), `GETXATTR ${n.slice(0, 20)} (kept)`);
      t.check(got?.toString() === n.slice(5, 12), `value of ${n.slice(0, 20)} after other names were removed`, JSON.stringify(n.slice(5, 12)), JSON.stringify(got?.toString()));
    }
    await t.expectError(v.getxattr('/f', names[0]!), 'ENODATA', `GETXATTR ${names[0]} after REMOVEXATTR`);
    await t.expectError(v.removexattr('/f', names[0]!), 'ENODATA', `REMOVEXATTR ${names[0]} again`);
    t.step('XATTR_CREATE and XATTR_REPLACE');
    const k = kept[0]!;
    await t.expectError(v.setxattr('/f', k, 'changed', XATTR_CREATE), 'EEXIST', `SETXATTR ${k} with XATTR_CREATE (it exists)`);
    const same = await v.getxattr('/f', k);
    t.check(same.toString() === k.slice(5, 12), `${k} after a refused XATTR_CREATE`, JSON.stringify(k.slice(5, 12)), show(same));
    await t.expectError(v.setxattr('/f', 'user.absent', 'x', XATTR_REPLACE), 'ENODATA', 'SETXATTR user.absent with XATTR_REPLACE');
    await t.expectError(v.getxattr('/f', 'user.absent'), 'ENODATA', 'GETXATTR user.absent after a refused XATTR_REPLACE');
    await t.expectOk(v.setxattr('/f', k, 'replaced', XATTR_REPLACE), `SETXATTR ${k} with XATTR_REPLACE`);
    await t.expectOk(v.setxattr('/f', 'user.created', 'new', XATTR_CREATE), 'SETXATTR user.created with XATTR_CREATE');
    const r = await v.getxattr('/f', k);
    t.check(r.toString() === 'replaced', `${k} after XATTR_REPLACE`, '"replaced"', show(r));
    t.step('xattrs belong to the inode: LINK, RENAME, directories');
    await v.setxattr('/f', 'user.follow', 'me');
    await v.rename('/f', '/g').catch(() => undefined);
    const path = await v.lookup('/g').then(() => '/g', () => '/f');
    const fm = await t.expectOk(v.getxattr(path, 'user.follow'), `GETXATTR user.follow on ${path} (renamed from /f)`);
    t.check(fm?.toString() === 'me', `user.follow on ${path}`, '"me"', JSON.stringify(fm?.toString()));
    if (await v.link(path, '/h').then(() => true, () => false)) {
      const hm = await t.expectOk(v.getxattr('/h', 'user.follow'), 'GETXATTR user.follow through a hard link');
      t.check(hm?.toString() === 'me', 'user.follow through the hard link /h', '"me"', JSON.stringify(hm?.toString()));
      await v.setxattr('/h', 'user.shared', 'both');
      const sm = await t.expectOk(v.getxattr(path, 'user.shared'), `GETXATTR user.shared on ${path} (set through /h)`);
      t.check(sm?.toString() === 'both', `user.shared on ${path}, set through its link /h`, '"both"', JSON.stringify(sm?.toString()));
    }
    await v.mkdir('/dir');
    await t.expectOk(v.setxattr('/dir', 'user.d', 'on a directory'), 'SETXATTR on a directory');
    const dm = await t.expectOk(v.getxattr('/dir', 'user.d'), 'GETXATTR on a directory');
    t.check(dm?.toString() === 'on a directory', 'user.d on /dir', '"on a directory"', JSON.stringify(dm?.toString()));
    await v.writeFile('/other', '');
    await t.expectError(v.getxattr('/other', 'user.follow'), 'ENODATA', 'GETXATTR user.follow on another file');
  },
};

/** Bytes of names outside user.* in a list (security.*, system.* a filesystem may add on its own). */
function extraBytes(list: string[]): number {
  return list.filter((n) => !n.startsWith('user.')).reduce((s, n) => s + Buffer.byteLength(n) + 1, 0);
}
