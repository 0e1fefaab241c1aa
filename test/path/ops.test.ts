/**
 * Every operation of the path interface, through the emulator: the request
 * reaches the path filesystem's method of the same name with the path and
 * the arguments in the documented order, and its answer reaches the reply.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { FuseError } from '../../src/api/errors';
import { Opcode } from '../../src/protocol';
import { F_GETLK, F_SETLK, F_SETLKW, type PathFilesystem } from '../../src/path';
import { start } from './helpers';

test('each operation gets its path and arguments, and answers the reply', { timeout: 60_000 }, async () => {
  const calls: unknown[][] = [];
  const rec =
    <T>(op: string, answer: T) =>
    (...args: unknown[]): T => {
      calls.push([op, ...args.slice(0, -1)]);
      return answer;
    };
  const lock = { start: 0, end: 99, type: 1, pid: 7 };
  const fs: PathFilesystem = {
    getattr: (p) => (p === '/' ? { mode: 0o040755 } : p === '/f' || p === '/g' ? { mode: 0o100644, size: 10 } : new FuseError('ENOENT')),
    open: rec('open', 41),
    opendir: rec('opendir', 51),
    flush: rec('flush', undefined),
    fsync: rec('fsync', undefined),
    fsyncdir: rec('fsyncdir', undefined),
    access: rec('access', undefined),
    readlink: rec('readlink', Buffer.from('target')),
    statfs: rec('statfs', { blocks: 5, bsize: 1024, namelen: 100 }),
    setxattr: rec('setxattr', undefined),
    getxattr: rec('getxattr', Buffer.from('value')),
    listxattr: rec('listxattr', ['user.a', 'user.b']),
    removexattr: rec('removexattr', undefined),
    lock: (...args: unknown[]) => (calls.push(['lock', ...args.slice(0, -1)]), args[2] === F_GETLK ? lock : undefined),
    flock: rec('flock', undefined),
    bmap: rec('bmap', 1234),
    ioctl: rec('ioctl', { result: 3, data: Buffer.from('out!') }),
    poll: rec('poll', 5),
    fallocate: rec('fallocate', undefined),
    lseek: rec('lseek', 4096),
    copyFileRange: rec('copyFileRange', 6),
    syncfs: rec('syncfs', undefined),
    statx: rec('statx', new FuseError('ENOSYS')),
    readdir: () => [],
  };
  const { v } = await start(fs);
  const f = await v.nodeid('/f');
  const g = await v.nodeid('/g');
  const req = async <O extends Opcode>(op: O, node: number, body: Parameters<typeof v.k.request<O>>[2]) => {
    const r = await v.k.request(op, node, body);
    return r;
  };

  const o = await req(Opcode.OPEN, f, { arg: { flags: 2, open_flags: 0 } });
  assert.equal(o.body?.kind === 'open' && o.body.open.fh, 41);
  await req(Opcode.FLUSH, f, { arg: { fh: 41, lock_owner: 9n } });
  await req(Opcode.FSYNC, f, { arg: { fh: 41, fsync_flags: 1 } });
  await req(Opcode.ACCESS, f, { arg: { mask: 4 } });
  const rl = await req(Opcode.READLINK, f, {});
  assert.equal(rl.body?.kind === 'data' && rl.body.data.toString(), 'target');
  const sf = await req(Opcode.STATFS, 1, {});
  assert.deepEqual(sf.body?.kind === 'statfs' && [sf.body.statfs.st.blocks, sf.body.statfs.st.bsize, sf.body.statfs.st.namelen], [5, 1024, 100]);
  await v.setxattr('/f', 'user.x', 'v', 1);
  assert.equal((await v.getxattr('/f', 'user.x')).toString(), 'value');
  assert.deepEqual(await v.listxattr('/f'), ['user.a', 'user.b']);
  await v.removexattr('/f', 'user.x');
  const gl = await req(Opcode.GETLK, f, { arg: { fh: 41, owner: 3n, lk: { start: 0, end: 10, type: 1, pid: 0 }, lk_flags: 0 } });
  assert.deepEqual(gl.body?.kind === 'lk' && gl.body.lk.lk, lock);
  await req(Opcode.SETLK, f, { arg: { fh: 41, owner: 3n, lk: { start: 0, end: 10, type: 1, pid: 0 }, lk_flags: 0 } });
  await req(Opcode.SETLKW, f, { arg: { fh: 41, owner: 3n, lk: { start: 0, end: 10, type: 2, pid: 0 }, lk_flags: 0 } });
  await req(Opcode.SETLK, f, { arg: { fh: 41, owner: 3n, lk: { start: 0, end: 0, type: 1, pid: 0 }, lk_flags: 1 } });
  const bm = await req(Opcode.BMAP, f, { arg: { block: 8, blocksize: 512 } });
  assert.equal(bm.body?.kind === 'bmap' && bm.body.block, 1234);
  const io = await req(Opcode.IOCTL, f, { arg: { fh: 41, flags: 0, cmd: 0x80045401, arg: 77n, in_size: 2, out_size: 4 }, data: Buffer.from('in') });
  assert.deepEqual(io.body?.kind === 'ioctl' && [io.body.out.result, io.body.data.toString()], [3, 'out!']);
  const po = await req(Opcode.POLL, f, { arg: { fh: 41, kh: 0, flags: 0, events: 1 } });
  assert.equal(po.body?.kind === 'poll' && po.body.revents, 5);
  await req(Opcode.FALLOCATE, f, { arg: { fh: 41, offset: 10, length: 20, mode: 1 } });
  const ls = await req(Opcode.LSEEK, f, { arg: { fh: 41, offset: 100, whence: 3 } });
  assert.equal(ls.body?.kind === 'lseek' && ls.body.offset, 4096);
  const cf = await req(Opcode.COPY_FILE_RANGE, f, { arg: { fh_in: 41, off_in: 1, nodeid_out: g, fh_out: 42, off_out: 2, len: 6, flags: 0 } });
  assert.equal(cf.body?.kind === 'write' && cf.body.size, 6);
  await req(Opcode.SYNCFS, 1, { arg: {} });
  const sx = await req(Opcode.STATX, f, { arg: { getattr_flags: 1, fh: 41, sx_flags: 0x800, sx_mask: 0xfff } });
  assert.equal(sx.error, -38);
  const od = await req(Opcode.OPENDIR, 1, { arg: { flags: 0o200000, open_flags: 0 } });
  const dfh = od.body?.kind === 'open' ? od.body.open.fh : -1;
  await req(Opcode.FSYNCDIR, 1, { arg: { fh: dfh, fsync_flags: 0 } });

  assert.deepEqual(calls, [
    ['open', '/f', 2],
    ['flush', '/f', 41, 9n],
    ['fsync', '/f', 41, true],
    ['access', '/f', 4],
    ['readlink', '/f'],
    ['statfs', '/'],
    ['setxattr', '/f', 'user.x', Buffer.from('v'), 1],
    ['getxattr', '/f', 'user.x'],
    ['getxattr', '/f', 'user.x'],
    ['listxattr', '/f'],
    ['listxattr', '/f'],
    ['removexattr', '/f', 'user.x'],
    ['lock', '/f', 41, F_GETLK, { start: 0, end: 10, type: 1, pid: 0 }, 3n],
    ['lock', '/f', 41, F_SETLK, { start: 0, end: 10, type: 1, pid: 0 }, 3n],
    ['lock', '/f', 41, F_SETLKW, { start: 0, end: 10, type: 2, pid: 0 }, 3n],
    ['flock', '/f', 41, 2 | 4],
    ['bmap', '/f', 512, 8],
    ['ioctl', '/f', 41, 0x80045401, 77n, Buffer.from('in'), 4, 0],
    ['poll', '/f', 41, 1, null],
    ['fallocate', '/f', 41, 1, 10, 20],
    ['lseek', '/f', 41, 100, 3],
    ['copyFileRange', '/f', 41, 1, '/g', 42, 2, 6, 0],
    ['syncfs', '/'],
    ['statx', '/f', 0x800, 0xfff, 41],
    ['opendir', '/', 0o200000],
    ['fsyncdir', '/', 51, false],
  ]);
  assert.deepEqual(v.k.violations, []);
});
