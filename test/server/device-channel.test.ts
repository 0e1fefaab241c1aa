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
import { pipe as devicePipe, setPipeSize } from '../../src/server/device/device-io';
import { DeviceChannel } from '../../src/server/device/device-channel';
import { resolveOptions } from '../../src/server/options/session';
import { DEFAULT_BUSY_POLL, DEFAULT_STREAM_POLL, PollWindow } from '../../src/server/accel/poll-window';
import { resolveServeOptions } from '../../src/server/serve';

const MESSAGES = 300;

// After each delivery the client waits gapUs (spinning) before it writes the next message.
const CLIENT = `
const { workerData } = require('node:worker_threads');
const fs = require('node:fs');
const seen = new Int32Array(workerData.seen);
const msg = Buffer.alloc(workerData.size, 7);
msg.writeUInt32LE(workerData.size, 0);
msg.writeUInt32LE(workerData.opcode, 4);
for (let i = 0; i < workerData.count; i++) {
  fs.writeSync(workerData.fd, msg);
  while (Atomics.load(seen, 0) <= i) {}
  const until = process.hrtime.bigint() + BigInt(workerData.gapUs * 1000);
  while (process.hrtime.bigint() < until) {}
}
`;

interface Exchange {
  /** The filesystem has requests in flight throughout. */
  busy?: boolean;
  streamPoll?: number;
  /** µs between a delivery and the client's next message (default 0). */
  gapUs?: number;
  /** Messages are WRITEs of 64 KiB of data (default: 64-byte messages that are no WRITE). */
  big?: boolean;
}

const WRITE = 16;
const BIG = 64 * 1024 + 80;

function pipe(): [number, number] {
  const fds = devicePipe(0);
  if (!fds) throw new Error('pipe() failed');
  return fds;
}

/** Serves MESSAGES messages of a tight exchange; how many SIGIO signals it took. */
async function exchange(busyPoll: number, x: Exchange = {}): Promise<number> {
  const [r, w] = pipe();
  const size = x.big ? BIG : 64;
  // A big message must reach the channel in one piece, as a request leaves the device.
  if (x.big && setPipeSize(w, 1 << 20) < 0) throw new Error('F_SETPIPE_SZ failed');
  const seen = new SharedArrayBuffer(4);
  const counter = new Int32Array(seen);
  let signals = 0;
  const countSignal = (): void => void signals++;
  process.on('SIGIO', countSignal);
  const channel = new DeviceChannel(r, { busyPoll, streamPoll: x.streamPoll ?? 0 });
  const done = new Promise<void>((resolve) => {
    channel.start(
      (buf, len) => {
        assert.equal(len, size);
        if (Atomics.add(counter, 0, 1) + 1 === MESSAGES) resolve();
        return false;
      },
      () => undefined,
      () => x.busy ?? false,
    );
  });
  const worker = new Worker(CLIENT, { eval: true, workerData: { fd: w, seen, count: MESSAGES, size, opcode: x.big ? WRITE : 3, gapUs: x.gapUs ?? 0 } });
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
    const signals = await exchange(2000, { busy: true });
    assert.ok(signals >= MESSAGES * 0.9, `${signals} signals for ${MESSAGES} messages`);
  });
});

describe('DeviceChannel busy-polling after big WRITEs (stream_poll)', () => {
  // The writer's next block comes 300 µs after our reply: past busy_poll's 50 µs, within stream_poll's 2 ms.
  test('after a big WRITE the stream window catches the next one, with no signal', async () => {
    const signals = await exchange(50, { streamPoll: 2000, gapUs: 300, big: true });
    assert.ok(signals < MESSAGES / 4, `${signals} signals for ${MESSAGES} messages`);
  });

  test('without it the channel sleeps in the gap, and each WRITE is a signal', async () => {
    const signals = await exchange(50, { streamPoll: 0, gapUs: 300, big: true });
    assert.ok(signals >= MESSAGES * 0.75, `${signals} signals for ${MESSAGES} messages`);
  });

  test('only after big WRITEs: other requests keep the ordinary window', async () => {
    const signals = await exchange(50, { streamPoll: 2000, gapUs: 300 });
    assert.ok(signals >= MESSAGES * 0.75, `${signals} signals for ${MESSAGES} messages`);
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
  assert.equal(resolveServeOptions({ options: 'stream_poll=0' }).session.streamPoll, 0);
  assert.equal(resolveOptions({}).streamPoll, DEFAULT_STREAM_POLL);
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
