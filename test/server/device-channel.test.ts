/**
 * The device channel's read loop and the busy-poll windows (polling.ts,
 * poll-window.ts), deterministic: a fake device (DeviceIo) holds the
 * requests a scripted client sends, a fake clock (PollClock) moves only when
 * the poll yields the CPU or the test lets time pass, and the "signal" is a
 * call the test makes when the channel sleeps with O_ASYNC on. The tests
 * assert which window the channel chose, whether each request was caught by
 * a poll or woke the channel by signal, and that polls read with O_ASYNC off.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import { describe, test } from 'node:test';
import { O_ASYNC } from '../../src/linux/constants';
import { FakeDeviceFlags } from '../helpers/fake-device-flags';
import { Errno } from '../../src/protocol/errno';
import { Opcode } from '../../src/protocol/constants';
import { plugHooks } from '../../src/server/core/hooks';
import type { ChannelCloseReason } from '../../src/server/core/channel';
import { DeviceChannel } from '../../src/server/device/device-channel';
import { pipe as devicePipe, type DeviceIo } from '../../src/server/device/device-io';
import { resolveOptions } from '../../src/server/options/session';
import { BIG_WRITE, Polling, type PollClock } from '../../src/server/accel/polling';
import { DEFAULT_BUSY_POLL, DEFAULT_STREAM_POLL, PollWindow } from '../../src/server/accel/poll-window';
import { resolveServeOptions } from '../../src/server/serve';

/** A clock in ms that moves by `step` µs each time the poll yields the CPU. */
class FakeClock implements PollClock {
  t = 0;
  constructor(private readonly stepUs = 1) {}
  now(): number {
    return this.t;
  }
  yieldCpu(): void {
    this.t += this.stepUs / 1000;
  }
}

/** A device whose requests arrive at given times on the fake clock, one whole request per read. */
class FakeDevice extends FakeDeviceFlags implements DeviceIo {
  private readonly queue: { at: number; msg: Buffer }[] = [];
  private err = 0;
  /** Set by the test while the channel polls. */
  polling = false;
  /** Reads made while polling, and those of them that found O_ASYNC on. */
  pollReads = 0;
  pollReadsWithSignal = 0;
  constructor(private readonly clock: FakeClock) {
    super();
  }

  send(msg: Buffer, at: number): void {
    this.queue.push({ at, msg });
  }
  /** When the next request arrives (Infinity: none sent). */
  get nextArrival(): number {
    return this.queue[0]?.at ?? Infinity;
  }
  read(_fd: number, buf: Buffer): number {
    if (this.polling) {
      this.pollReads++;
      if (this.flags & O_ASYNC) this.pollReadsWithSignal++;
    }
    const next = this.queue[0];
    if (!next || next.at > this.clock.t) {
      this.err = Errno.EAGAIN;
      return -1;
    }
    this.queue.shift();
    next.msg.copy(buf);
    return next.msg.length;
  }
  errno(): number {
    return this.err;
  }
  write(): number {
    return 0;
  }
}

function request(opcode: number, size: number): Buffer {
  const b = Buffer.alloc(size, 7);
  b.writeUInt32LE(size, 0);
  b.writeUInt32LE(opcode, 4);
  return b;
}

const COUNT = 40;

interface Exchange {
  /** busy_poll=, µs (0: the polling acceleration is not plugged in, as serve() does). */
  busyPoll: number;
  streamPoll?: number;
  /** The filesystem has requests in flight throughout. */
  busy?: boolean;
  /** µs between a delivery and the client's next request. */
  gapUs: number;
  /** Big WRITEs (BIG_WRITE bytes) instead of 64-byte GETATTRs. */
  big?: boolean;
}

interface Outcome {
  /**
   * For each request, in order: the first read of a drain the signal (or
   * start) began, an ordinary read further on in a drain, or caught by a poll.
   */
  how: ('signal' | 'read' | 'poll')[];
  /** For each poll: the window it used and whether it caught the request. */
  polls: { window: 'busy' | 'stream'; caught: boolean }[];
  /** How long each poll that missed polled, µs of the fake clock. */
  missedUs: number[];
}

/**
 * A tight exchange of COUNT requests: the client sends the next `gapUs`
 * after the channel delivered the previous one. The test plays the kernel's
 * SIGIO: when the channel has gone to sleep, it lets time pass to the next
 * request and signals, if O_ASYNC is on.
 */
async function exchange(x: Exchange): Promise<Outcome & { device: FakeDevice }> {
  const clock = new FakeClock();
  const device = new FakeDevice(clock);
  const channel = new DeviceChannel(3, { io: device, ownsFd: false, mode: 'sigio' });
  const msg = x.big ? request(Opcode.WRITE, BIG_WRITE) : request(Opcode.GETATTR, 64);
  const out: Outcome = { how: [], polls: [], missedUs: [] };
  let caught = false;
  if (x.busyPoll > 0) {
    const p = new Polling({ busyPoll: x.busyPoll, streamPoll: x.streamPoll ?? 0 }, () => x.busy ?? false, channel, null, clock);
    const idle = p.hooks.idle!;
    // The polling acceleration as serve() plugs it, its idle hook watched: which window, and what it caught.
    const watched = (loop: Parameters<typeof idle>[0]): number => {
      const window = p.current === p.streamWindow ? 'stream' : 'busy';
      device.polling = true;
      const reads = device.pollReads;
      const t0 = clock.t;
      const n = idle(loop);
      device.polling = false;
      caught = n >= 0;
      if (device.pollReads > reads) out.polls.push({ window, caught });
      if (device.pollReads > reads && !caught) out.missedUs.push((clock.t - t0) * 1000);
      return n;
    };
    channel.plug(plugHooks([{ ...p.hooks, idle: watched }]));
  }
  let delivered = 0;
  let firstOfDrain = true;
  device.send(msg, 0);
  channel.start(
    (_buf, len) => {
      assert.equal(len, msg.length);
      out.how.push(caught ? 'poll' : firstOfDrain ? 'signal' : 'read');
      caught = false;
      firstOfDrain = false;
      delivered++;
      if (delivered < COUNT) device.send(msg, clock.t + x.gapUs / 1000);
      return false;
    },
    () => undefined,
  );
  for (let rounds = 0; delivered < COUNT; rounds++) {
    assert.ok(rounds < COUNT * 4, 'the exchange ends');
    await new Promise((r) => setImmediate(r));
    if (delivered >= COUNT || device.nextArrival === Infinity) continue;
    // The channel sleeps: time passes until the client's request, which raises SIGIO if O_ASYNC is on.
    assert.equal(device.flags & O_ASYNC, O_ASYNC, 'asleep with the signal on');
    clock.t = Math.max(clock.t, device.nextArrival);
    firstOfDrain = true;
    device.listener!();
  }
  channel.close();
  return { ...out, device };
}

describe('DeviceChannel busy-polling', () => {
  test('off: the channel sleeps as soon as the queue is empty, and every request of a tight exchange wakes it by signal', async () => {
    const o = await exchange({ busyPoll: 0, gapUs: 5 });
    assert.deepEqual(o.how, Array(COUNT).fill('signal'));
    assert.deepEqual(o.polls, []);
  });

  test('on: the poll catches the next request (no signal), reading with O_ASYNC off', async () => {
    const o = await exchange({ busyPoll: 50, gapUs: 5 });
    assert.deepEqual(o.how, ['signal', ...Array(COUNT - 1).fill('poll')]);
    assert.deepEqual(o.polls.slice(0, COUNT - 1), Array(COUNT - 1).fill({ window: 'busy', caught: true }));
    assert.ok(o.device.pollReads >= COUNT - 1);
    assert.equal(o.device.pollReadsWithSignal, 0, 'polls read with the signal off');
  });

  test('never while the filesystem has requests in flight (their completions need the thread)', async () => {
    const o = await exchange({ busyPoll: 50, gapUs: 5, busy: true });
    assert.deepEqual(o.how, Array(COUNT).fill('signal'));
    assert.deepEqual(o.polls, []);
  });

  test('a request later than the window is missed; misses halve the window and close it, then it probes', async () => {
    const o = await exchange({ busyPoll: 50, gapUs: 300 });
    assert.deepEqual(o.how, Array(COUNT).fill('signal'));
    assert.ok(o.polls.every((p) => p.window === 'busy' && !p.caught));
    // 50 µs, 25, 12.5, then closed (below a quarter): full-window probes after 1, 2, 4, 8, 16 idle moments.
    // (A poll ends at the first yield past its window: within a step, 1 µs, of it.)
    const expected = [50, 25, 12.5, 50, 50, 50, 50, 50];
    assert.equal(o.missedUs.length, expected.length, `polls that missed: ${o.missedUs.join(', ')}`);
    o.missedUs.forEach((us, i) => assert.ok(Math.abs(us - expected[i]!) <= 1, `poll ${i}: ${us} µs, window ${expected[i]}`));
  });
});

describe('DeviceChannel busy-polling after big WRITEs (stream_poll)', () => {
  // The writer's next block comes 300 µs after our reply: past busy_poll's 50 µs, within stream_poll's 2 ms.
  test('after a big WRITE the stream window catches the next one, with no signal', async () => {
    const o = await exchange({ busyPoll: 50, streamPoll: 2000, gapUs: 300, big: true });
    assert.deepEqual(o.how, ['signal', ...Array(COUNT - 1).fill('poll')]);
    assert.deepEqual(o.polls.slice(0, COUNT - 1), Array(COUNT - 1).fill({ window: 'stream', caught: true }));
  });

  test('without it the channel polls the ordinary window, misses, and each WRITE wakes it by signal', async () => {
    const o = await exchange({ busyPoll: 50, streamPoll: 0, gapUs: 300, big: true });
    assert.deepEqual(o.how, Array(COUNT).fill('signal'));
    assert.ok(o.polls.every((p) => p.window === 'busy' && !p.caught));
  });

  test('only after big WRITEs: other requests keep the ordinary window', async () => {
    const o = await exchange({ busyPoll: 50, streamPoll: 2000, gapUs: 300 });
    assert.deepEqual(o.how, Array(COUNT).fill('signal'));
    assert.ok(o.polls.length > 0 && o.polls.every((p) => p.window === 'busy' && !p.caught));
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

test('an exception on the read path ends the channel with an error instead of escaping the signal handler', () => {
  const clock = new FakeClock();
  const device = new FakeDevice(clock);
  device.send(request(Opcode.GETATTR, 64), 0);
  const channel = new DeviceChannel(3, { io: device, ownsFd: false, mode: 'sigio' });
  let reason: ChannelCloseReason | null = null;
  channel.start(
    () => {
      throw new Error('a bug in the sink');
    },
    (r) => (reason = r),
  );
  const r = reason as ChannelCloseReason | null;
  assert.equal(r?.kind, 'error');
  assert.match(r?.kind === 'error' ? r.error.message : '', /a bug in the sink/);
  assert.equal(device.listener, null, 'the signal listener is gone');
});

test('on a real fd: O_ASYNC and SIGIO wake the channel for a request written to it', { timeout: 10_000 }, async () => {
  // A pipe stands in for /dev/fuse: it raises SIGIO under O_ASYNC, and reads like the device when each
  // message is read whole before the next is written.
  const fds = devicePipe(0);
  if (!fds) throw new Error('pipe() failed');
  const [r, w] = fds;
  const channel = new DeviceChannel(r);
  const got: Buffer[] = [];
  let wake: () => void = () => undefined;
  channel.start(
    (buf, len) => {
      got.push(Buffer.from(buf.subarray(0, len)));
      wake();
      return false;
    },
    () => undefined,
  );
  try {
    for (let i = 0; i < 3; i++) {
      const delivered = new Promise<void>((resolve) => (wake = resolve));
      fs.writeSync(w, request(Opcode.GETATTR, 64 + i * 8));
      await delivered;
    }
    assert.deepEqual(got.map((b) => b.length), [64, 72, 80]);
  } finally {
    channel.close();
    fs.closeSync(w);
  }
});
