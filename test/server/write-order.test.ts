/**
 * The writeback/direct-IO ordering rule (the seed kernel fix, carried into
 * the server), through the kernel emulator and a deliberately reordering
 * backend: cached writes are applied late, reads at once.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { Errno, Opcode, WriteFlags, type DecodedReply } from '../../src/protocol';
import { CuseSession } from '../../src/cuse/session';
import type { Filesystem } from '../../src/api/filesystem';
import type { SessionOptions } from '../../src/server/options/session';
import { SharedWriteOrder } from '../../src/server/accel/workers/shared-write-order';
import { WriteOrder, type WriteOrdering } from '../../src/server/core/write-order';
import { KernelEmulator } from '../../src/testing/emulator';
import { reorderingBackend, seededRandom } from '../../src/testing/reorder';
import { tinyFs } from '../helpers/tiny-fs';

const O_DIRECT = 0o40000;
const PAGE = 4096;

async function setup(opts: SessionOptions = {}, cuse = false, fsOverride?: (fs: Filesystem) => Filesystem) {
  const inner = tinyFs();
  // A 64 KiB file of 'A's, created behind the session's back.
  inner.files.set('f', { ino: 2, data: Buffer.alloc(16 * PAGE, 'A') });
  inner.byIno.set(2, { name: 'f', data: inner.files.get('f')!.data });
  const fs = (fsOverride ?? ((f) => reorderingBackend(f, { writeDelayMs: [20, 30] })))(inner);
  const k = new KernelEmulator(fs, {
    session: { writebackCache: true, ...opts },
    makeSession: cuse ? (f, ch, o) => new CuseSession(f, ch, { devname: 'ordering' }, o) : undefined,
  });
  if (cuse) await k.cuseInit();
  else await k.init();
  return { k, inner };
}

/** Writeback of cached pages: FUSE_WRITE_CACHE, fh guessed by the kernel. */
function writeback(k: KernelEmulator, offset: number, data: Buffer) {
  return k.send(Opcode.WRITE, 2, { arg: { fh: 2, offset, size: data.length, write_flags: WriteFlags.CACHE, lock_owner: 0n, flags: 1 }, data });
}

function read(k: KernelEmulator, offset: number, size: number, flags: number, fh = 2) {
  return k.send(Opcode.READ, 2, { arg: { fh, offset, size, read_flags: 0, lock_owner: 0n, flags } });
}

function data(r: DecodedReply): Buffer {
  assert.equal(r.error, 0);
  assert.equal(r.body?.kind, 'data');
  return r.body.kind === 'data' ? r.body.data : Buffer.alloc(0);
}

/** Records the order in which replies complete. */
function order(...ps: { reply: Promise<DecodedReply> }[]): Promise<number[]> {
  const seen: number[] = [];
  return Promise.all(ps.map((p, i) => p.reply.then(() => void seen.push(i)))).then(() => seen);
}

describe('direct IO waits for overlapping writes in flight', () => {
  test('O_DIRECT read of a range under writeback returns the new bytes', async () => {
    const { k } = await setup();
    const w = writeback(k, PAGE, Buffer.alloc(PAGE, 'B'));
    const r = read(k, 0, 4 * PAGE, O_DIRECT);
    const got = data(await r.reply);
    assert.equal(got.subarray(PAGE, 2 * PAGE).toString(), 'B'.repeat(PAGE), 'the direct read saw the write');
    assert.deepEqual(await order(w, r), [0, 1]);
    assert.equal(k.session.writeOrder!.waits, 1);
    assert.deepEqual(k.violations, []);
  });

  test('an open answered with FOPEN_DIRECT_IO counts as direct', async () => {
    const { k } = await setup({}, false, (inner) => {
      const fs = reorderingBackend(inner, { writeDelayMs: [20, 30] });
      fs.open = () => ({ fh: 7, directIo: true });
      return fs;
    });
    const o = await k.request(Opcode.OPEN, 2, { arg: { flags: 0, open_flags: 0 } });
    assert.equal(o.body?.kind === 'open' && o.body.open.fh, 7);
    const w = writeback(k, 0, Buffer.alloc(PAGE, 'C'));
    const r = read(k, 0, PAGE, 0, 7);
    assert.equal(data(await r.reply).toString(), 'C'.repeat(PAGE));
    await w.reply;
  });

  test('a direct write waits too, so it lands after the cached write it overlaps', async () => {
    const { k, inner } = await setup();
    const w1 = writeback(k, 0, Buffer.alloc(PAGE, 'B'));
    const w2 = k.send(Opcode.WRITE, 2, { arg: { fh: 2, offset: 0, size: PAGE, write_flags: 0, lock_owner: 0n, flags: 1 | O_DIRECT }, data: Buffer.alloc(PAGE, 'D') });
    await Promise.all([w1.reply, w2.reply]);
    assert.equal(inner.byIno.get(2)!.data.subarray(0, PAGE).toString(), 'D'.repeat(PAGE));
  });

  test('non-overlapping direct reads and page-cache reads are not delayed', async () => {
    const { k } = await setup();
    const w = writeback(k, 0, Buffer.alloc(PAGE, 'B'));
    const apart = read(k, 8 * PAGE, PAGE, O_DIRECT);
    const cached = read(k, 0, PAGE, 0);
    assert.deepEqual(await order(w, apart, cached), [1, 2, 0], 'both reads answered before the write');
    assert.equal(data(await cached.reply).toString(), 'A'.repeat(PAGE), 'a page-cache read is not held back');
    assert.equal(k.session.writeOrder!.waits, 0);
  });

  test('without the rule, the same sequence reads stale bytes (the test can fail)', async () => {
    const { k } = await setup({ writeOrdering: false });
    const w = writeback(k, 0, Buffer.alloc(PAGE, 'B'));
    const r = read(k, 0, PAGE, O_DIRECT);
    assert.equal(data(await r.reply).toString(), 'A'.repeat(PAGE));
    await w.reply;
  });

  test('through a CUSE session the check is skipped (FUSE_DIO_CUSE)', async () => {
    const { k } = await setup({}, true);
    const w = writeback(k, 0, Buffer.alloc(PAGE, 'B'));
    const r = read(k, 0, PAGE, O_DIRECT);
    assert.deepEqual(await order(w, r), [1, 0]);
    assert.equal(data(await r.reply).toString(), 'A'.repeat(PAGE));
    assert.equal(k.session.writeOrder!.waits, 0);
  });

  test('an INTERRUPT ends the wait of a direct read with EINTR, and the write still lands', async () => {
    const { k, inner } = await setup({}, false, (f) => reorderingBackend(f, { writeDelayMs: [80, 80] }));
    const w = writeback(k, 0, Buffer.alloc(PAGE, 'B'));
    const r = read(k, 0, PAGE, O_DIRECT);
    await new Promise((res) => setTimeout(res, 5));
    k.interrupt(r);
    assert.equal((await r.reply).error, -Errno.EINTR);
    assert.equal(w.answered, false, 'answered before the write finished');
    await w.reply;
    assert.equal(inner.byIno.get(2)!.data.subarray(0, PAGE).toString(), 'B'.repeat(PAGE));
    assert.deepEqual(k.violations, []);
  });

  test('random overlapping writeback + O_DIRECT reads: never stale', async () => {
    const random = seededRandom(1234);
    const { k } = await setup({}, false, (f) => reorderingBackend(f, { writeDelayMs: [0, 8], random }));
    const model = Buffer.alloc(16 * PAGE, 'A');
    let stale = 0;
    // Like the kernel, never put a page under writeback twice at once: wait for the earlier write of it.
    const inflight: { off: number; end: number; p: Promise<DecodedReply> }[] = [];
    for (let i = 0; i < 60; i++) {
      const off = Math.floor(random() * 12) * PAGE;
      const len = (1 + Math.floor(random() * 4)) * PAGE;
      await Promise.all(inflight.filter((w) => w.off < off + len && w.end > off).map((w) => w.p));
      const fill = Buffer.alloc(len, String.fromCharCode(97 + (i % 26)));
      fill.copy(model, off);
      inflight.push({ off, end: off + len, p: writeback(k, off, fill).reply });
      const roff = Math.floor(random() * 12) * PAGE;
      const rlen = (1 + Math.floor(random() * 4)) * PAGE;
      const expect = Buffer.from(model.subarray(roff, roff + rlen));
      const got = data(await read(k, roff, rlen, O_DIRECT).reply);
      if (!got.equals(expect)) stale++;
    }
    assert.equal(stale, 0);
    assert.deepEqual(k.violations, []);
  });
});

/** The contract both orderings keep: one thread's WriteOrder, and the table data workers share. */
for (const [name, make] of [['WriteOrder', () => new WriteOrder()], ['SharedWriteOrder', () => SharedWriteOrder.create()]] as const) {
  describe(`${name}: the WriteOrdering contract`, () => {
    test('a direct request waits only for overlapping writes queued before it (a lower unique)', async () => {
      const wo: WriteOrdering = make();
      const older = wo.begin(5, 0, 10, 4);
      const younger = wo.begin(5, 0, 10, 8);
      assert.equal(wo.waitFor(5, 0, 10, undefined, 3), null, 'nothing older than unique 3');
      assert.equal(wo.waitFor(5, 20, 10, undefined, 9), null, 'no overlap');
      assert.equal(wo.waitFor(6, 0, 10, undefined, 9), null, 'another inode');
      let done = false;
      const p = wo.waitFor(5, 5, 1, undefined, 6)!.then(() => (done = true));
      wo.end(5, older);
      await p;
      assert.equal(done, true, 'released by the older write alone; the younger one is still in flight');
      assert.notEqual(wo.waitFor(5, 0, 10, undefined, 9), null);
      wo.end(5, younger);
      assert.equal(wo.waitFor(5, 0, 10, undefined, 9), null);
    });

    test('a waiter is released only when every older write it waited for has ended', async () => {
      const wo: WriteOrdering = make();
      const a = wo.begin(5, 0, 10, 1);
      const b = wo.begin(5, 5, 10, 2);
      let done = false;
      const p = wo.waitFor(5, 0, 20, undefined, 3)!.then(() => (done = true));
      wo.begin(5, 0, 20, 4); // later writes do not delay it
      wo.end(5, a);
      await new Promise((r) => setImmediate(r));
      assert.equal(done, false);
      wo.end(5, b);
      await p;
      assert.equal(done, true);
    });

    test('an interrupt ends the wait with the signal\'s reason', async () => {
      const wo: WriteOrdering = make();
      wo.begin(5, 0, 10, 1);
      const ac = new AbortController();
      const p = wo.waitFor(5, 0, 10, () => ac.signal, 2)!;
      ac.abort(new Error('interrupted'));
      await assert.rejects(p, /interrupted/);
    });
  });
}

describe('WriteOrder', () => {
  test('overlap queries match a brute-force model', () => {
    const random = seededRandom(99);
    const wo = new WriteOrder();
    const live: { s: number; e: number; w: ReturnType<WriteOrder['begin']> }[] = [];
    for (let i = 0; i < 3000; i++) {
      if (live.length && random() < 0.4) {
        const [x] = live.splice(Math.floor(random() * live.length), 1);
        wo.end(1, x!.w);
      } else {
        const s = Math.floor(random() * 1000);
        const len = 1 + Math.floor(random() * 50);
        live.push({ s, e: s + len, w: wo.begin(1, s, len) });
      }
      const qs = Math.floor(random() * 1000);
      const ql = 1 + Math.floor(random() * 50);
      const brute = live.some((x) => x.s < qs + ql && x.e > qs);
      assert.equal(wo.overlaps(1, qs, ql), brute, `step ${i}`);
    }
  });

  test('a waiter is released only when every write it waited for has ended', async () => {
    const wo = new WriteOrder();
    const a = wo.begin(5, 0, 10);
    const b = wo.begin(5, 5, 10);
    let done = false;
    const p = wo.waitFor(5, 0, 20)!.then(() => (done = true));
    wo.begin(5, 0, 20); // later writes do not delay it
    wo.end(5, a);
    await Promise.resolve();
    assert.equal(done, false);
    wo.end(5, b);
    await p;
    assert.equal(done, true);
    assert.equal(wo.waitFor(6, 0, 20), null);
  });
});
