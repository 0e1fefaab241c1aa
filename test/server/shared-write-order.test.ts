/**
 * The ordering table data workers share, across real threads: a direct
 * request read on one thread must see a WRITE another thread read before it,
 * even when that thread has not recorded it yet (the read window), and is
 * released when the other thread ends the write.
 */
import assert from 'node:assert/strict';
import path from 'node:path';
import { describe, test } from 'node:test';
import { Worker } from 'node:worker_threads';
import { SharedWriteOrder } from '../../src/server/accel/workers/shared-write-order';
import { seededRandom } from '../../src/testing/reorder';

const MODULE = path.resolve(__dirname, '../../src/server/accel/workers/shared-write-order.js');

/**
 * A worker that, as thread 1: opens its read window, tells us (step 1), waits
 * `recordAfter` ms, records WRITE unique 1 on [0, 4096) of inode 7, closes
 * the window, waits `endAfter` ms, ends the write (step 2).
 */
function writer(order: SharedWriteOrder, steps: Int32Array, recordAfter: number, endAfter: number): Worker {
  const code = `
    const { workerData: d } = require('node:worker_threads');
    const { SharedWriteOrder } = require(d.module);
    const o = new SharedWriteOrder(d.order, 1);
    const steps = new Int32Array(d.steps);
    const sleep = (ms) => Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
    o.openWindow();
    Atomics.store(steps, 0, 1); Atomics.notify(steps, 0);
    sleep(d.recordAfter);
    const w = o.begin(7, 0, 4096, 1);
    o.closeWindow();
    sleep(d.endAfter);
    o.end(7, w);
    Atomics.store(steps, 0, 2); Atomics.notify(steps, 0);
  `;
  return new Worker(code, { eval: true, workerData: { module: MODULE, order: order.buffer, steps: steps.buffer, recordAfter, endAfter } });
}

describe('SharedWriteOrder across threads', () => {
  test('a direct request waits for a WRITE another thread read but has not recorded yet, then for the write itself', async () => {
    const order = SharedWriteOrder.create();
    const steps = new Int32Array(new SharedArrayBuffer(4));
    // Generous times: a loaded machine may hold this thread up between the steps.
    const w = writer(order, steps, 100, 1000);
    // Wait until the other thread's window is open (it "read" the WRITE, unique 1).
    while (Atomics.load(steps, 0) < 1) await new Promise((r) => setTimeout(r, 1));
    // Our direct READ, unique 2, read after it: without the window it would find nothing recorded and go on.
    const wait = order.waitFor(7, 1000, 10, undefined, 2);
    assert.notEqual(wait, null, 'waitFor waited for the open window to close, and the WRITE recorded in it is waited for');
    assert.equal(order.inflight(7), 1, 'the write has not ended yet');
    await wait;
    assert.equal(order.inflight(7), 0, 'released only once the other thread ended the write');
    await new Promise((r) => w.once('exit', r));
  });

  test('waitSync blocks a worker-style caller until the other thread ends the write', async () => {
    const order = SharedWriteOrder.create();
    const steps = new Int32Array(new SharedArrayBuffer(4));
    const w = writer(order, steps, 0, 100);
    while (Atomics.load(steps, 0) < 1) await new Promise((r) => setTimeout(r, 1));
    order.waitSync(7, 0, 1, 2);
    assert.equal(order.inflight(7), 0, 'returned only once the other thread ended the write');
    await new Promise((r) => w.once('exit', r));
  });

  test('a window left open by a thread that died is released, so direct requests do not wait forever', async () => {
    const order = SharedWriteOrder.create();
    const code = `
      const { workerData: d } = require('node:worker_threads');
      const { SharedWriteOrder } = require(d.module);
      new SharedWriteOrder(d.order, 1).openWindow();
    `;
    const w = new Worker(code, { eval: true, workerData: { module: MODULE, order: order.buffer } });
    await new Promise((r) => w.once('exit', r));
    // What DataWorkers does when a worker exits.
    order.releaseWindow(1);
    const t0 = Date.now();
    assert.equal(order.waitFor(7, 0, 10, undefined, 2), null);
    assert.ok(Date.now() - t0 < 1000);
  });

  test('scans stay as short as the most writes ever in flight at once, however many writes went by', () => {
    const order = SharedWriteOrder.create();
    for (let u = 1; u <= 10_000; u++) {
      const a = order.begin(1, u * 10, 10, u * 2);
      const b = order.begin(1, u * 10, 10, u * 2 + 1);
      order.end(1, a);
      order.end(1, b);
    }
    assert.equal(order.scanLength, 2);
  });

  test('overlap queries match a brute-force model (slots reused as writes end)', () => {
    const random = seededRandom(7);
    const wo = SharedWriteOrder.create();
    const live: { ino: number; s: number; e: number; u: number; w: ReturnType<SharedWriteOrder['begin']> }[] = [];
    for (let u = 1; u < 4000; u++) {
      if (live.length && random() < 0.45) {
        const [x] = live.splice(Math.floor(random() * live.length), 1);
        wo.end(x!.ino, x!.w);
      } else {
        const ino = 1 + Math.floor(random() * 3);
        const s = Math.floor(random() * 1000);
        const len = 1 + Math.floor(random() * 50);
        live.push({ ino, s, e: s + len, u, w: wo.begin(ino, s, len, u) });
      }
      const ino = 1 + Math.floor(random() * 3);
      const qs = Math.floor(random() * 1000);
      const ql = 1 + Math.floor(random() * 50);
      const before = Math.floor(random() * (u + 1));
      const brute = live.filter((x) => x.ino === ino && x.s < qs + ql && x.e > qs && x.u < before).length;
      assert.equal(wo.overlapping(ino, qs, ql, before).length / 2, brute, `step ${u}`);
    }
  });
});
