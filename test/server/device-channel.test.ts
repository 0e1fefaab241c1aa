/**
 * The device channel's busy-polling (poll-window.ts), on a pipe standing in
 * for /dev/fuse: a pipe raises SIGIO under O_ASYNC and reads like the
 * device when each message is drained before the next is written. A worker
 * thread plays the client of a tight exchange: it writes a message, spins
 * until the channel has delivered it, and writes the next at once.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import { describe, test } from 'node:test';
import { Worker } from 'node:worker_threads';
import { pipe as devicePipe } from '../../src/server/device-io';
import { DeviceChannel } from '../../src/server/device-channel';
import { resolveOptions } from '../../src/server/options';
import { DEFAULT_BUSY_POLL, PollWindow } from '../../src/server/poll-window';
import { resolveServeOptions } from '../../src/server/serve';

const MESSAGES = 300;

const CLIENT = `
const { workerData } = require('node:worker_threads');
const fs = require('node:fs');
const seen = new Int32Array(workerData.seen);
const msg = Buffer.alloc(64, 7);
for (let i = 0; i < workerData.count; i++) {
  fs.writeSync(workerData.fd, msg);
  while (Atomics.load(seen, 0) <= i) {}
}
`;

function pipe(): [number, number] {
  const fds = devicePipe(0);
  if (!fds) throw new Error('pipe() failed');
  return fds;
}

/** Serves MESSAGES messages of a tight exchange; how many SIGIO signals it took. */
async function exchange(busyPoll: number, busy = false): Promise<number> {
  const [r, w] = pipe();
  const seen = new SharedArrayBuffer(4);
  const counter = new Int32Array(seen);
  let signals = 0;
  const countSignal = (): void => void signals++;
  process.on('SIGIO', countSignal);
  const channel = new DeviceChannel(r, { busyPoll });
  const done = new Promise<void>((resolve) => {
    channel.start(
      (buf, len) => {
        assert.equal(len, 64);
        if (Atomics.add(counter, 0, 1) + 1 === MESSAGES) resolve();
        return false;
      },
      () => undefined,
      () => busy,
    );
  });
  const worker = new Worker(CLIENT, { eval: true, workerData: { fd: w, seen, count: MESSAGES } });
  try {
    await done;
  } finally {
    await worker.terminate();
    channel.close();
    fs.closeSync(w);
    process.removeListener('SIGIO', countSignal);
  }
  return signals;
}

describe('DeviceChannel busy-polling', () => {
  test('off: every request of a tight exchange is a signal and a wake-up', async () => {
    const signals = await exchange(0);
    assert.ok(signals >= MESSAGES * 0.9, `${signals} signals for ${MESSAGES} messages`);
  });

  test('on: the poll catches the next request, with no signal', async () => {
    // A generous window: the client's next write comes microseconds after the delivery, unless the machine is busy.
    const signals = await exchange(2000);
    assert.ok(signals < MESSAGES / 2, `${signals} signals for ${MESSAGES} messages`);
  });

  test('never while the filesystem has requests in flight (their completions need the thread)', async () => {
    const signals = await exchange(2000, true);
    assert.ok(signals >= MESSAGES * 0.9, `${signals} signals for ${MESSAGES} messages`);
  });
});

describe('PollWindow', () => {
  test('starts polling at the maximum; a hit keeps it there', () => {
    const w = new PollWindow(40);
    assert.equal(w.next(), 40);
    w.hit();
    assert.equal(w.next(), 40);
  });

  test('misses halve the window, and below a quarter of the maximum it closes', () => {
    const w = new PollWindow(40);
    w.missed();
    assert.equal(w.next(), 20);
    w.missed();
    assert.equal(w.next(), 10);
    w.missed();
    assert.equal(w.current, 0);
  });

  test('closed, it probes with a full window after 1, 2, 4 ... 64 idle moments', () => {
    const w = new PollWindow(40);
    w.missed();
    w.missed();
    w.missed();
    const gaps: number[] = [];
    for (let probes = 0; probes < 9; probes++) {
      let n = 1;
      while (w.next() === 0) n++;
      gaps.push(n);
      w.missed();
    }
    assert.deepEqual(gaps, [1, 2, 4, 8, 16, 32, 64, 64, 64]);
    // A probe that hits opens the window again.
    while (w.next() === 0);
    w.hit();
    assert.equal(w.next(), 40);
  });

  test('a maximum of 0 never polls', () => {
    const w = new PollWindow(0);
    for (let i = 0; i < 200; i++) assert.equal(w.next(), 0);
  });
});

test('-o busy_poll= sets the window serve() gives its channel; default 50 µs', () => {
  assert.equal(resolveServeOptions({ options: 'busy_poll=0' }).session.busyPoll, 0);
  assert.equal(resolveServeOptions({ options: 'busy_poll=120,attr_timeout=0' }).session.busyPoll, 120);
  assert.equal(resolveOptions({}).busyPoll, DEFAULT_BUSY_POLL);
  assert.equal(DEFAULT_BUSY_POLL, 50);
  assert.throws(() => resolveServeOptions({ options: 'busy_poll=soon' }), /busy_poll/);
});

test('an exception on the read path ends the channel with an error instead of escaping the signal handler', async () => {
  const [r, w] = pipe();
  const channel = new DeviceChannel(r, { busyPoll: 0 });
  const ended = new Promise<{ kind: string; error?: Error }>((resolve) =>
    channel.start(
      () => {
        throw new Error('a bug in the sink');
      },
      resolve,
    ),
  );
  fs.writeSync(w, Buffer.alloc(64, 1));
  const reason = await ended;
  fs.closeSync(w);
  assert.equal(reason.kind, 'error');
  assert.match(reason.error!.message, /a bug in the sink/);
});
