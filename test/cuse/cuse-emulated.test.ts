/**
 * CUSE protocol flows through the kernel emulator (no /dev/cuse needed):
 * CUSE_INIT byte-checked, malformed CUSE_INIT refused, the echo device's
 * blocking/nonblocking reads and poll notifications, and both ioctl styles
 * of the fioc device including the FUSE_IOCTL_RETRY dance.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { CuseInitFlags, Errno, NotifyCode, Opcode, PollFlags, encodeRequest, type RequestInput } from '../../src/protocol';
import { cuseFilesystem, cuseParams, O_NONBLOCK, type CuseDeviceOptions } from '../../src/cuse/device';
import { echoDevice, POLLIN } from '../../src/cuse/examples/echo';
import { FIOC_GET_SIZE, FIOC_READ, FIOC_SET_SIZE, FIOC_WRITE, fiocDevice } from '../../src/cuse/examples/fioc';
import { CuseSession } from '../../src/cuse/session';
import { KernelEmulator, UserMemory } from '../../src/testing/emulator';

function emulate(dev: CuseDeviceOptions): KernelEmulator {
  let session!: CuseSession;
  const k = new KernelEmulator(
    cuseFilesystem(dev, () => session.unrestrictedIoctl),
    { makeSession: (fs, ch, o) => (session = new CuseSession(fs, ch, cuseParams(dev), o)) },
  );
  return k;
}

async function openDev(k: KernelEmulator, flags = 2): Promise<number> {
  const r = await k.request(Opcode.OPEN, 0, { arg: { flags, open_flags: 0 } });
  assert.equal(r.error, 0);
  assert.equal(r.body?.kind, 'open');
  if (r.body?.kind !== 'open') return -1;
  assert.ok(r.body.open.open_flags & 1, 'CUSE opens are direct IO');
  return r.body.open.fh;
}

const rd = (k: KernelEmulator, fh: number, size: number, flags = 2) => k.send(Opcode.READ, 0, { arg: { fh, offset: 0, size, read_flags: 0, lock_owner: 0n, flags } });
const wr = (k: KernelEmulator, fh: number, data: Buffer, flags = 2) =>
  k.send(Opcode.WRITE, 0, { arg: { fh, offset: 0, size: data.length, write_flags: 0, lock_owner: 0n, flags }, data });

describe('CUSE_INIT', () => {
  test('the reply carries cuse_init_out and DEVNAME, and the flags agreed', async () => {
    const k = emulate({ ...echoDevice({ name: 'echo0' }), major: 240, minor: 3, info: { MODALIAS: 'devfuse' } });
    const { init, info } = await k.cuseInit();
    assert.equal(init.major, 7);
    assert.equal(init.dev_major, 240);
    assert.equal(init.dev_minor, 3);
    assert.ok(init.max_write >= 4096);
    assert.equal(init.flags, CuseInitFlags.UNRESTRICTED_IOCTL);
    assert.deepEqual(info, { DEVNAME: 'echo0', MODALIAS: 'devfuse' });
    assert.deepEqual(k.violations, []);
    assert.equal(k.session.cuse, true);
  });

  test('a kernel too old, or an invalid device name, is refused with an error', async () => {
    const old = emulate(echoDevice());
    await assert.rejects(old.cuseInit({ minor: 10 }), /EPROTO/);
    const bad = emulate({ ...echoDevice(), name: 'a=b' });
    await assert.rejects(bad.cuseInit(), /EINVAL/);
    assert.ok(bad.log.some((l) => l.includes('DEVNAME')));
  });

  test('a truncated CUSE_INIT is answered EINVAL', async () => {
    const k = emulate(echoDevice());
    const msg = encodeRequest({ opcode: Opcode.CUSE_INIT, header: { unique: 2, nodeid: 0, uid: 0, gid: 0, pid: 1 }, arg: { major: 7, minor: 45, flags: 0 } } as RequestInput);
    const cut = Buffer.from(msg.subarray(0, msg.length - 8));
    cut.writeUInt32LE(cut.length, 0);
    const p = k.sendRaw(cut, { unique: 2, opcode: Opcode.CUSE_INIT })!;
    assert.equal((await p.reply).error, -Errno.EINVAL);
  });
});

describe('echo device', () => {
  test('what is written is read back; a blocking read waits for the write', async () => {
    const k = emulate(echoDevice());
    await k.cuseInit();
    const fh = await openDev(k);
    const pending = rd(k, fh, 100);
    await new Promise((r) => setTimeout(r, 10));
    assert.equal(pending.answered, false, 'the read waits for data');
    assert.equal((await wr(k, fh, Buffer.from('hello')).reply).error, 0);
    const r = await pending.reply;
    assert.equal(r.body?.kind === 'data' && r.body.data.toString(), 'hello');
  });

  test('O_NONBLOCK read of an empty device → EAGAIN; an interrupted blocking read → EINTR', async () => {
    const k = emulate(echoDevice());
    await k.cuseInit();
    const fh = await openDev(k, 2 | O_NONBLOCK);
    assert.equal((await rd(k, fh, 10, 2 | O_NONBLOCK).reply).error, -Errno.EAGAIN);
    const p = rd(k, fh, 10);
    await new Promise((r) => setTimeout(r, 5));
    k.interrupt(p);
    assert.equal((await p.reply).error, -Errno.EINTR);
  });

  test('poll reports readiness and a write wakes a registered poller (NOTIFY_POLL)', async () => {
    const k = emulate(echoDevice());
    await k.cuseInit();
    const fh = await openDev(k);
    const p1 = await k.request(Opcode.POLL, 0, { arg: { fh, kh: 77, flags: PollFlags.SCHEDULE_NOTIFY, events: POLLIN } });
    assert.equal(p1.body?.kind === 'poll' && p1.body.revents & POLLIN, 0);
    await wr(k, fh, Buffer.from('x')).reply;
    assert.deepEqual(k.notifications, [{ code: NotifyCode.POLL, kh: 77 }]);
    const p2 = await k.request(Opcode.POLL, 0, { arg: { fh, kh: 77, flags: 0, events: POLLIN } });
    assert.ok(p2.body?.kind === 'poll' && p2.body.revents & POLLIN);
  });
});

describe('fioc device ioctls', () => {
  test('restricted ioctls: sizes from the ioctl number', async () => {
    const k = emulate({ ...fiocDevice(), unrestrictedIoctl: false });
    await k.cuseInit({ flags: 0 });
    const fh = await openDev(k);
    const mem = new UserMemory();
    const arg = mem.map(0x1000n, Buffer.alloc(8));
    mem.write(arg, Buffer.from([200, 0, 0, 0, 0, 0, 0, 0]));
    assert.deepEqual(await k.ioctl(0, fh, FIOC_SET_SIZE, arg, mem, { unrestricted: false }), { result: 0, error: 0 });
    mem.write(arg, Buffer.alloc(8));
    await k.ioctl(0, fh, FIOC_GET_SIZE, arg, mem, { unrestricted: false });
    assert.equal(mem.read(arg, 8).readBigUInt64LE(0), 200n);
    // FIOC_READ needs the retry dance, which restricted ioctls may not do
    assert.equal((await k.ioctl(0, fh, FIOC_READ, arg, mem, { unrestricted: false })).error, -Errno.ENOTTY);
    assert.deepEqual(k.violations, []);
  });

  test('unrestricted ioctls: retry with iovecs that point through a struct to more memory', async () => {
    const k = emulate(fiocDevice());
    await k.cuseInit();
    const fh = await openDev(k);
    const mem = new UserMemory();
    const payload = mem.map(0x20000n, Buffer.from('written through an ioctl'));
    const rw = mem.map(0x10000n, Buffer.alloc(40));
    const setRw = (offset: number, buf: bigint, size: number): void => {
      const b = Buffer.alloc(40);
      b.writeBigInt64LE(BigInt(offset), 0);
      b.writeBigUInt64LE(buf, 8);
      b.writeBigUInt64LE(BigInt(size), 16);
      mem.write(rw, b);
    };
    setRw(5, payload, 24);
    assert.deepEqual(await k.ioctl(0, fh, FIOC_WRITE, rw, mem, { unrestricted: true }), { result: 24, error: 0 });
    assert.equal(mem.read(rw, 40).readBigUInt64LE(32), 29n, 'new_size reported back through the struct');
    const into = mem.map(0x30000n, Buffer.alloc(24));
    setRw(5, into, 24);
    assert.deepEqual(await k.ioctl(0, fh, FIOC_READ, rw, mem, { unrestricted: true }), { result: 24, error: 0 });
    assert.equal(mem.read(into, 24).toString(), 'written through an ioctl');
    const size = mem.map(0x40000n, Buffer.alloc(8));
    await k.ioctl(0, fh, FIOC_GET_SIZE, size, mem, { unrestricted: true });
    assert.equal(mem.read(size, 8).readBigUInt64LE(0), 29n);
    assert.deepEqual(k.violations, []);
  });

  test('read and write keep a position per handle (CUSE sends offset 0)', async () => {
    const k = emulate(fiocDevice());
    await k.cuseInit();
    const a = await openDev(k);
    await wr(k, a, Buffer.from('abcdef')).reply;
    const b = await openDev(k);
    const r1 = await rd(k, b, 3).reply;
    const r2 = await rd(k, b, 3).reply;
    assert.equal(r1.body?.kind === 'data' && r1.body.data.toString(), 'abc');
    assert.equal(r2.body?.kind === 'data' && r2.body.data.toString(), 'def');
  });
});
