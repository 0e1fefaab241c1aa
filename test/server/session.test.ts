/**
 * Session-level behaviour through the kernel emulator: negotiation,
 * malformed input, crashing and lying handlers, interrupts, forgets,
 * concurrency, buffer lending.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { Errno, IN_HEADER_SIZE, InitFlags, InitOut, Opcode, encodeRequest, readOutHeader, type RequestInput } from '../../src/protocol';
import type { Channel, RequestSink } from '../../src/server/core/channel';
import { parseMountOptions, sessionOptionsFromMountOptions } from '../../src/server/options/parse';
import { Session } from '../../src/server/core/session';
import { FuseError } from '../../src/api/errors';
import type { Filesystem } from '../../src/api/filesystem';
import { KernelEmulator } from '../../src/testing/emulator';
import { Vfs, VfsError } from '../../src/testing/vfs';
import { tinyFs } from '../helpers/tiny-fs';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('INIT', () => {
  test('7.45 kernel: agreed flags are a subset of the offer, max_write 1 MiB with max_pages 256', async () => {
    const k = new KernelEmulator(tinyFs());
    const out = await k.init();
    assert.equal(out.major, 7);
    assert.equal(out.minor, 45);
    assert.equal(out.max_write, 1 << 20);
    assert.equal(out.max_pages, 256);
    const agreed = BigInt(out.flags) | (BigInt(out.flags2) << 32n);
    assert.ok(agreed & InitFlags.INIT_EXT);
    assert.ok(agreed & InitFlags.ASYNC_READ);
    assert.equal(agreed & InitFlags.WRITEBACK_CACHE, 0n, 'writeback cache only when asked');
    assert.equal(agreed & InitFlags.POSIX_LOCKS, 0n, 'no getlk/setlk in this fs');
    assert.equal(k.channel.readBufferSize, (1 << 20) + 4096);
    assert.deepEqual(k.violations, []);
  });

  test('old minors: the reply has the size that kernel reads (24 bytes before 7.23)', async () => {
    for (const minor of [12, 22, 23, 26, 36, 45]) {
      const k = new KernelEmulator(tinyFs());
      const out = await k.init({ minor, flags: InitFlags.ASYNC_READ | InitFlags.BIG_WRITES });
      assert.equal(out.major, 7);
      assert.equal(k.session.minor, minor);
      assert.deepEqual(k.violations, [], `minor ${minor}`);
      // a kernel without MAX_PAGES caps requests at 32 pages
      assert.equal(out.max_write, 128 * 1024);
    }
  });

  test('a kernel too old is refused with EPROTO', async () => {
    const k = new KernelEmulator(tinyFs());
    await assert.rejects(k.init({ minor: 8 }), /EPROTO/);
  });

  test('writeback_cache is granted when asked and offered', async () => {
    const k = new KernelEmulator(tinyFs(), { session: { writebackCache: true } });
    const out = await k.init();
    assert.ok(BigInt(out.flags) & InitFlags.WRITEBACK_CACHE);
  });

  test('handle_killpriv_v2: asked for when the filesystem clears privileges itself, or by option; never with no_handle_killpriv_v2', async () => {
    const agreed = async (fs: Filesystem, options: string | undefined): Promise<boolean> => {
      const session = options ? sessionOptionsFromMountOptions(parseMountOptions(options).rest) : {};
      const out = await new KernelEmulator(fs, { session }).init();
      return ((BigInt(out.flags) | (BigInt(out.flags2) << 32n)) & InitFlags.HANDLE_KILLPRIV_V2) !== 0n;
    };
    assert.equal(await agreed(tinyFs(), undefined), false, 'a filesystem that says nothing');
    assert.equal(await agreed({ ...tinyFs(), handleKillprivV2: true }, undefined), true);
    assert.equal(await agreed({ ...tinyFs(), handleKillprivV2: true }, 'no_handle_killpriv_v2'), false);
    assert.equal(await agreed(tinyFs(), 'handle_killpriv_v2'), true);
  });

  test('OPEN and CREATE pass FUSE_OPEN_KILL_SUIDGID on as OpenInfo.killSuidgid', async () => {
    const seen: boolean[] = [];
    const fs: Filesystem = {
      ...tinyFs(),
      open: (_ctx, _ino, _flags, info) => (seen.push(info.killSuidgid), { fh: 1 }),
      create: (_ctx, _parent, _name, mode, _flags, info) => (seen.push(info.killSuidgid), { entry: { ino: 9, attr: { ino: 9, mode } }, open: { fh: 2 } }),
    };
    const k = new KernelEmulator(fs);
    await k.init();
    for (const open_flags of [0, 1]) {
      assert.equal((await k.request(Opcode.OPEN, 1, { arg: { flags: 0o1001, open_flags } })).error, 0);
      const c = await k.request(Opcode.CREATE, 1, { arg: { flags: 0o1101, mode: 0o100644, umask: 0, open_flags }, name: 'f' });
      assert.equal(c.error, 0);
    }
    assert.deepEqual(seen, [false, false, true, true]);
  });

  test('a filesystem whose init throws: INIT answered EIO, the waiter told why, the connection closed', async () => {
    const fs = tinyFs();
    fs.init = () => {
      throw new Error('no backing store');
    };
    const k = new KernelEmulator(fs);
    const waiting = k.session.whenInitialized();
    await assert.rejects(k.init(), /EIO/);
    await assert.rejects(waiting, /no backing store/);
    assert.equal(k.channel.isClosed, true);
  });

  test('requests before INIT are answered EIO', async () => {
    const k = new KernelEmulator(tinyFs());
    const r = await k.request(Opcode.GETATTR, 1, { arg: { getattr_flags: 0, fh: 0 } });
    assert.equal(r.error, -Errno.EIO);
  });

  test('InitOut layout is what the kernel reads', () => {
    assert.equal(InitOut.size, 64);
  });
});

describe('bad input and bad handlers', () => {
  test('unknown opcode → ENOSYS, the session goes on', async () => {
    const v = await Vfs.start(tinyFs());
    const raw = Buffer.alloc(IN_HEADER_SIZE);
    raw.writeUInt32LE(IN_HEADER_SIZE, 0);
    raw.writeUInt32LE(99, 4);
    raw.writeUInt32LE(1000, 8);
    const p = v.k.sendRaw(raw, { unique: 1000, opcode: Opcode.GETATTR })!;
    assert.equal((await p.reply).error, -Errno.ENOSYS);
    await v.writeFile('/a', 'still here');
    assert.equal((await v.readFile('/a')).toString(), 'still here');
  });

  test('length mismatch, truncated body, unterminated name → EINVAL, named in the log', async () => {
    const v = await Vfs.start(tinyFs());
    const good = encodeRequest({ opcode: Opcode.LOOKUP, header: { unique: 2000, nodeid: 1, uid: 0, gid: 0, pid: 1 }, name: 'abc' } as RequestInput);
    const lying = Buffer.from(good);
    lying.writeUInt32LE(good.length + 10, 0);
    assert.equal((await v.k.sendRaw(lying, { unique: 2000, opcode: Opcode.LOOKUP })!.reply).error, -Errno.EINVAL);
    const unterminated = Buffer.from(good.subarray(0, good.length - 1));
    unterminated.writeUInt32LE(unterminated.length, 0);
    unterminated.writeUInt32LE(2002, 8);
    assert.equal((await v.k.sendRaw(unterminated, { unique: 2002, opcode: Opcode.LOOKUP })!.reply).error, -Errno.EINVAL);
    assert.ok(v.k.log.some((l) => /not NUL-terminated/.test(l)), v.k.log.join('\n'));
    assert.ok(v.k.log.some((l) => /fuse_in_header.len is/.test(l)));
    assert.deepEqual(v.k.violations, []);
  });

  test('a handler that throws is answered EIO and logged; the next request is served', async () => {
    const fs = tinyFs();
    fs.getattr = () => {
      throw new TypeError('boom');
    };
    const v = await Vfs.start(fs);
    await assert.rejects(v.getattr(1), (e: VfsError) => e.code === 'EIO');
    assert.ok(v.k.log.some((l) => l.includes('boom') && l.includes('GETATTR')));
    await v.writeFile('/x', '1');
  });

  test('an async handler that rejects with a Node error code is answered with that errno', async () => {
    const fs = tinyFs();
    fs.lookup = async () => {
      throw Object.assign(new Error('no'), { code: 'ENAMETOOLONG' });
    };
    const v = await Vfs.start(fs);
    await assert.rejects(v.lookup('/x'), (e: VfsError) => e.code === 'ENAMETOOLONG');
  });

  test('a FuseError returned (or resolved) as the value is answered as that error, nothing logged', async () => {
    const fs = tinyFs();
    fs.lookup = (_ctx, _parent, name) => (name === 'sync' ? new FuseError('ENOENT') : Promise.resolve(new FuseError('ENAMETOOLONG')));
    fs.getxattr = () => new FuseError('ENODATA');
    fs.write = () => Promise.resolve(new FuseError('ENOSPC'));
    const v = await Vfs.start(fs);
    await assert.rejects(v.lookup('/sync'), (e: VfsError) => e.code === 'ENOENT');
    await assert.rejects(v.lookup('/async'), (e: VfsError) => e.code === 'ENAMETOOLONG');
    await assert.rejects(v.getxattr('/', 'user.x'), (e: VfsError) => e.code === 'ENODATA');
    const { nodeid, fh } = await v.create('/f');
    await assert.rejects(v.write(nodeid, fh, 0, Buffer.from('x')), (e: VfsError) => e.code === 'ENOSPC');
    assert.deepEqual(v.k.log, []);
    assert.deepEqual(v.k.violations, []);
    assert.equal(v.k.session.inFlightCount, 0);
  });

  test('invalid values from a filesystem → EIO with the field named, never a bad reply', async () => {
    const cases: [string, Filesystem['getattr']][] = [
      ['size', () => ({ mode: 0o100644, size: -1 })],
      ['mode', () => ({ mode: 0o644 })],
      ['nlink', () => ({ mode: 0o100644, nlink: 2 ** 40 })],
    ];
    for (const [field, getattr] of cases) {
      const fs = tinyFs();
      fs.getattr = getattr;
      const v = await Vfs.start(fs);
      await assert.rejects(v.getattr(1), (e: VfsError) => e.code === 'EIO');
      assert.ok(v.k.log.some((l) => l.includes(field)), `${field}: ${v.k.log.join('\n')}`);
      assert.deepEqual(v.k.violations, []);
    }
  });

  test('a readdir entry with a negative ino or offset → EIO, naming it', async () => {
    const fs = tinyFs();
    fs.readdir = (_c, _i, _f, off, out) => {
      if (off === 0) out.add('x', -5, 0o100000, 1);
    };
    const v = await Vfs.start(fs);
    await assert.rejects(v.readdir('/'), (e: VfsError) => e.code === 'EIO');
    assert.ok(v.k.log.some((l) => l.includes('ino -5')));
  });

  test('a readdir name with "/" → EIO', async () => {
    const fs = tinyFs();
    fs.readdir = (_c, _i, _f, off, out) => {
      if (off === 0) out.add('a/b', 5, 0o100000, 1);
    };
    const v = await Vfs.start(fs);
    await assert.rejects(v.readdir('/'), (e: VfsError) => e.code === 'EIO');
    assert.ok(v.k.log.some((l) => l.includes("'/'")));
  });

  test('a reply the device refuses is followed by an EIO reply, so the caller is not left waiting', async () => {
    const k = new KernelEmulator(tinyFs());
    await k.init();
    const orig = k.channel.write.bind(k.channel);
    let refused = 0;
    k.channel.write = (d) => {
      const b = Buffer.isBuffer(d) ? d : (d as Buffer[])[0]!;
      if (b.readInt32LE(4) === 0 && refused === 0) {
        refused++;
        return Errno.EINVAL;
      }
      return orig(d);
    };
    const r = await k.request(Opcode.GETATTR, 1, { arg: { getattr_flags: 0, fh: 0 } });
    assert.equal(refused, 1);
    assert.equal(r.error, -Errno.EIO);
    assert.ok(k.log.some((l) => /failed: EINVAL/.test(l)));
  });

  test('read returning more than asked → EIO', async () => {
    const fs = tinyFs();
    fs.read = () => Buffer.alloc(10);
    const v = await Vfs.start(fs);
    await v.writeFile('/f', 'abc');
    const f = await v.open('/f');
    await assert.rejects(v.read(f.nodeid, f.fh, 0, 4), (e: VfsError) => e.code === 'EIO');
  });

  test('missing operations: ENOSYS, except open/opendir/release which succeed (libfuse)', async () => {
    const v = await Vfs.start({ lookup: () => ({ ino: 2, attr: { mode: 0o100644 } }) });
    const f = await v.open('/f');
    assert.equal(f.fh, 0);
    await v.release(f.nodeid, f.fh);
    const r = await v.k.request(Opcode.FSYNC, f.nodeid, { arg: { fh: 0, fsync_flags: 0 } });
    assert.equal(r.error, -Errno.ENOSYS);
  });
});

describe('interrupts', () => {
  test('a waiting handler sees ctx.signal and the request is answered EINTR', async () => {
    const fs = tinyFs();
    let aborted = false;
    fs.getattr = (ctx) =>
      new Promise((_, reject) => {
        ctx.signal.addEventListener('abort', () => {
          aborted = true;
          reject(ctx.signal.reason);
        });
      });
    const k = new KernelEmulator(fs);
    await k.init();
    const p = k.send(Opcode.GETATTR, 1, { arg: { getattr_flags: 0, fh: 0 } });
    await sleep(5);
    k.interrupt(p);
    assert.equal((await p.reply).error, -Errno.EINTR);
    assert.ok(aborted);
    assert.deepEqual(k.violations, []);
  });

  test('a handler that ignores the interrupt finishes normally, answered once', async () => {
    const fs = tinyFs();
    const slow = fs.getattr!;
    fs.getattr = async (ctx, ino, fh) => {
      await sleep(10);
      return slow(ctx, ino, fh);
    };
    const k = new KernelEmulator(fs);
    await k.init();
    const p = k.send(Opcode.GETATTR, 1, { arg: { getattr_flags: 0, fh: 0 } });
    k.interrupt(p);
    assert.equal((await p.reply).error, 0);
    await sleep(5);
    assert.deepEqual(k.violations, []);
  });

  test('INTERRUPT for a request not seen yet → EAGAIN (the kernel requeues it); for one finished → ignored', async () => {
    const k = new KernelEmulator(tinyFs());
    await k.init();
    const writes: Buffer[] = [];
    const orig = k.channel.write.bind(k.channel);
    k.channel.write = (d) => {
      writes.push(Buffer.isBuffer(d) ? d : Buffer.concat(d as Buffer[]));
      return orig(d);
    };
    k.interrupt(1_000_000); // far ahead of anything sent
    const eagain = writes.find((w) => w.readUInt32LE(8) === 1_000_001);
    assert.ok(eagain);
    assert.equal(eagain.readInt32LE(4), -Errno.EAGAIN);
    const p = k.send(Opcode.GETATTR, 1, { arg: { getattr_flags: 0, fh: 0 } });
    await p.reply;
    writes.length = 0;
    k.interrupt(p);
    assert.equal(writes.length, 0, 'an interrupt of a finished request is not answered');
  });
});

describe('DESTROY', () => {
  test('calls fs.destroy once, then answers', async () => {
    const fs = tinyFs();
    let destroyed = 0;
    fs.destroy = () => void destroyed++;
    const k = new KernelEmulator(fs);
    await k.init();
    const r = await k.request(Opcode.DESTROY, 0, {});
    assert.equal(r.error, 0);
    k.unmount();
    await k.session.ended;
    assert.equal(destroyed, 1, 'not again when the session ends');
  });
});

describe('lookup accounting', () => {
  test('every entry counts, FORGET and BATCH_FORGET give back, the ledgers agree', async () => {
    const fs = tinyFs();
    const forgets: [number, number][] = [];
    fs.forget = (ino, n) => void forgets.push([ino, n]);
    const v = await Vfs.start(fs);
    await v.writeFile('/a', '1');
    await v.lookup('/a');
    await v.lookup('/a');
    const id = await v.nodeid('/a');
    assert.equal(v.k.session.lookups.get(id), 4);
    v.k.forget(id, 3);
    assert.equal(v.k.session.lookups.get(id), 1);
    v.k.forgetAll();
    assert.equal(v.k.session.lookups.get(id), undefined);
    assert.deepEqual(forgets, [[id, 3], [id, 1]]);
    assert.deepEqual(v.k.ledgerProblems(), []);
  });

  test('over-forget is recorded', async () => {
    const v = await Vfs.start(tinyFs());
    v.k.send(Opcode.FORGET, 77, { arg: { nlookup: 2 } });
    assert.match(v.k.session.ledgerErrors.join(), /FORGET of node 77 by 2, but only 0/);
  });

  test('an entry the kernel never received is forgotten by the session', async () => {
    const fs = tinyFs();
    const forgets: [number, number][] = [];
    fs.forget = (ino, n) => void forgets.push([ino, n]);
    fs.files.set('z', { ino: 9, data: Buffer.alloc(0) });
    fs.byIno.set(9, { name: 'z', data: Buffer.alloc(0) });
    fs.lookup = async () => {
      await sleep(5);
      return { ino: 9, attr: { mode: 0o100644 } };
    };
    const k = new KernelEmulator(fs);
    await k.init();
    // The kernel gives up on the request (as after a fatal signal): its reply write fails with ENOENT.
    const orig = k.channel.write.bind(k.channel);
    k.channel.write = (d) => {
      const b = Buffer.isBuffer(d) ? d : (d as Buffer[])[0]!;
      return b.readUInt32LE(8) === 2 + 2 ? Errno.ENOENT : orig(d);
    };
    k.send(Opcode.LOOKUP, 1, { name: 'z' });
    await sleep(20);
    assert.deepEqual(forgets, [[9, 1]]);
    assert.equal(k.session.lookups.get(9), undefined);
  });
});

describe('concurrency', () => {
  test('many requests in flight complete in any order, each answered once', async () => {
    const fs = tinyFs();
    const getattr = fs.getattr!;
    fs.getattr = async (ctx, ino, fh) => {
      await sleep(Math.random() * 10);
      return getattr(ctx, ino, fh);
    };
    const k = new KernelEmulator(fs);
    await k.init();
    const ps = Array.from({ length: 200 }, () => k.send(Opcode.GETATTR, 1, { arg: { getattr_flags: 0, fh: 0 } }));
    const rs = await Promise.all(ps.map((p) => p.reply));
    assert.ok(rs.every((r, i) => r.error === 0 && r.unique === ps[i]!.unique));
    assert.equal(k.inFlight, 0);
    assert.equal(k.session.inFlightCount, 0);
    assert.deepEqual(k.violations, []);
  });

  test('a WRITE payload stays valid until the write resolves, and the buffer is reused after', async () => {
    const fs = tinyFs();
    const write = fs.write!;
    let seen = '';
    fs.write = async (ctx, ino, fh, off, data, info) => {
      await sleep(5);
      seen = data.toString();
      return write(ctx, ino, fh, off, data, info);
    };
    const v = await Vfs.start(fs);
    await v.writeFile('/w', 'payload');
    assert.equal(seen, 'payload');
    assert.equal(v.k.channel.kept.size, 0, 'every lent buffer came back');
  });
});

describe('errors as values', () => {
  test('FuseError by name and by number', () => {
    assert.equal(new FuseError('ENOENT').errno, 2);
    assert.equal(new FuseError(13).code, 'EACCES');
  });
});

describe('READ replies from a lent buffer', () => {
  test('go out as one buffer, the header written into the headroom in front of the data', () => {
    const written: (Buffer | readonly Buffer[])[] = [];
    let sink: RequestSink | null = null;
    const channel: Channel = {
      fd: -1, start: (s) => void (sink = s), setBufferSize() {}, release() {}, close() {},
      write: (d) => (written.push(d), 0),
    };
    const s = new Session({ read: (ctx, _i, _f, _o, size) => ctx.buffer(size).fill(0x5a).subarray(0, size - 100) }, channel);
    s.initialized = true;
    s.start();
    const req = encodeRequest({
      opcode: Opcode.READ, header: { len: 0, opcode: Opcode.READ, unique: 8, nodeid: 2, uid: 0, gid: 0, pid: 1, total_extlen: 0, padding: 0 },
      arg: { fh: 1, offset: 0, size: 4096, read_flags: 0, lock_owner: 0n, flags: 0, padding: 0 },
    } as unknown as RequestInput);
    sink!(req, req.length);
    assert.equal(written.length, 1);
    const reply = written[0]!;
    assert.ok(Buffer.isBuffer(reply), 'one buffer, not an iovec list');
    assert.deepEqual(readOutHeader(reply), { len: 16 + 3996, error: 0, unique: 8 });
    assert.ok(reply.subarray(16).every((b) => b === 0x5a));
  });
});
