/**
 * Asynchronous answers on the device channel, with busy polling plugged in
 * as serve() plugs it: the last answer in flight is written with O_ASYNC
 * off and the channel reads the client's next request right after it, from
 * the same microtask, instead of taking a signal for it; signals come back
 * once the event loop runs, so a request that comes while a slow answer is
 * pending is still read; and a chain of such answers yields to the event
 * loop. A fake device plays the kernel: a request queued while O_ASYNC is on
 * raises a "signal" (the listener, a macrotask later), and the scripted
 * client queues its next request as soon as the reply to its last one is
 * written, as a client sharing the server's CPU does.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { O_ASYNC } from '../../src/linux/constants';
import { FakeDeviceFlags } from '../helpers/fake-device-flags';
import { Errno } from '../../src/protocol/errno';
import { InitFlags, KERNEL_MINOR_VERSION, Opcode, ROOT_ID } from '../../src/protocol/constants';
import { readOutHeader } from '../../src/protocol/header';
import { encodeRequest, type RequestInput } from '../../src/protocol/request';
import type { Filesystem } from '../../src/api/filesystem';
import { Session } from '../../src/server/core/session';
import { DeviceChannel } from '../../src/server/device/device-channel';
import type { DeviceIo } from '../../src/server/device/device-io';
import { Polling, type PollClock } from '../../src/server/accel/polling';

const TIMEOUT = { timeout: 20_000 };
const turn = (): Promise<void> => new Promise((r) => setImmediate(r));

/** Time moves only when the poll yields: a poll that finds nothing ends after its window, at once. */
class FakeClock implements PollClock {
  t = 0;
  now(): number {
    return this.t;
  }
  yieldCpu(): void {
    this.t += 0.001;
  }
}

interface Sent {
  unique: number;
  /** O_ASYNC was on when it was queued: it raised a signal. */
  signalled: boolean;
}

class FakeDevice extends FakeDeviceFlags implements DeviceIo {
  private readonly queue: Buffer[] = [];
  private err = 0;
  readonly sent: Sent[] = [];
  readonly replies: { unique: number; error: number }[] = [];
  /** Called with each reply written (the scripted client). */
  onReply: (unique: number) => void = () => undefined;

  send(msg: Buffer): void {
    this.queue.push(msg);
    const signalled = (this.flags & O_ASYNC) !== 0;
    this.sent.push({ unique: Number(msg.readBigUInt64LE(8)), signalled });
    // SIGIO: libuv runs the listener from the event loop, later.
    if (signalled) setImmediate(() => this.listener?.());
  }
  read(_fd: number, buf: Buffer): number {
    const next = this.queue.shift();
    if (!next) {
      this.err = Errno.EAGAIN;
      return -1;
    }
    next.copy(buf);
    return next.length;
  }
  errno(): number {
    return this.err;
  }
  write(_fd: number, data: Buffer | readonly Buffer[]): number {
    const msg = Buffer.isBuffer(data) ? data : Buffer.concat(data as Buffer[]);
    const h = readOutHeader(msg);
    this.replies.push({ unique: Number(h.unique), error: h.error });
    this.onReply(Number(h.unique));
    return 0;
  }
}

let nextUnique = 100;
function getattr(nodeid: number): Buffer {
  return encodeRequest({ opcode: Opcode.GETATTR, header: { unique: nextUnique++, nodeid, uid: 0, gid: 0, pid: 1 }, arg: { getattr_flags: 0, fh: 0 } } as RequestInput);
}

function init(): Buffer {
  const flags = InitFlags.ASYNC_READ | InitFlags.INIT_EXT;
  const arg = { major: 7, minor: KERNEL_MINOR_VERSION, max_readahead: 131072, flags: Number(flags & 0xffffffffn), flags2: Number(flags >> 32n) };
  return encodeRequest({ opcode: Opcode.INIT, header: { unique: 1, nodeid: ROOT_ID, uid: 0, gid: 0, pid: 1 }, arg } as RequestInput);
}

/** A session on the fake device, polling plugged in as accel/index.ts plugs it, INIT answered. */
async function served(fs: Filesystem): Promise<{ device: FakeDevice; session: Session }> {
  const device = new FakeDevice();
  const channel = new DeviceChannel(3, { io: device, ownsFd: false, mode: 'sigio' });
  const session = new Session(fs, channel, {});
  const polling = new Polling({ busyPoll: 50, streamPoll: 0 }, () => session.inFlightCount > 0, channel, null, new FakeClock());
  channel.plug(polling.hooks);
  session.plug(polling.hooks);
  device.send(init());
  session.start();
  await session.whenInitialized();
  return { device, session };
}

const attr = { ino: 2, mode: 0o100644, nlink: 1 };

describe('asynchronous answers', () => {
  test('the last answer in flight is written with signals off, and the next request is read right after it, before the event loop turns', TIMEOUT, async (t) => {
    const { device, session } = await served({ getattr: async () => attr });
    t.after(() => session.close());
    const N = 40;
    const first = device.sent.length;
    device.onReply = () => {
      if (device.sent.length - first < N) device.send(getattr(2));
    };
    device.send(getattr(2));
    // The signal for the first request comes with the next turn of the event loop; the rest follow in its microtasks.
    await turn();
    const mine = device.sent.slice(first);
    assert.equal(mine.length, N);
    assert.deepEqual(device.replies.slice(1), mine.map((s) => ({ unique: s.unique, error: 0 })), 'each answered once, in order, without error');
    assert.deepEqual(mine.slice(1).map((s) => s.signalled), Array(N - 1).fill(false), 'queued while the answer before it was written: no signal');
    await turn();
    await turn();
    assert.equal(device.flags & O_ASYNC, O_ASYNC, 'signals are back on once the event loop runs');
  });

  test('a request that comes while a slow answer is pending is read and answered', TIMEOUT, async (t) => {
    let release: () => void = () => undefined;
    const slow = new Promise<void>((r) => (release = r));
    const { device, session } = await served({
      // Node 3 answers when the test says so; node 2 in a microtask.
      getattr: async (_ctx, ino) => {
        if (ino === 3) await slow;
        return { ...attr, ino };
      },
    });
    t.after(() => session.close());
    // A quick exchange, whose last answer leaves the slow request in flight.
    let left = 5;
    device.onReply = () => {
      if (--left > 0) device.send(getattr(2));
      else if (left === 0) device.send(getattr(3));
    };
    device.send(getattr(2));
    for (let i = 0; i < 50 && session.inFlightCount === 0; i++) await turn();
    await turn();
    assert.equal(session.inFlightCount, 1, 'the slow request is in flight');
    // Another process asks meanwhile: the channel must hear of it.
    const other = getattr(2);
    const unique = Number(other.readBigUInt64LE(8));
    device.send(other);
    for (let i = 0; i < 50 && !device.replies.some((r) => r.unique === unique); i++) await turn();
    assert.ok(device.replies.some((r) => r.unique === unique && r.error === 0), 'answered while the slow one is pending');
    release();
    for (let i = 0; i < 50 && session.inFlightCount > 0; i++) await turn();
    assert.equal(session.inFlightCount, 0);
  });

  test('a chain of answers, each reading the next request, lets the event loop run', TIMEOUT, async (t) => {
    const { device, session } = await served({ getattr: () => Promise.resolve(attr) });
    t.after(() => session.close());
    let stop = false;
    let answered = 0;
    let answeredWhenTheLoopRan = -1;
    device.onReply = () => {
      // From the first answer of the chain on, the event loop has a callback to run.
      if (answered++ === 0) setImmediate(() => ((answeredWhenTheLoopRan = answered), (stop = true)));
      // Capped, so that a chain that never yields ends (and fails below) rather than hanging the file.
      if (!stop && answered < 1000) device.send(getattr(2));
    };
    device.send(getattr(2));
    for (let i = 0; i < 20 && answeredWhenTheLoopRan < 0; i++) await turn();
    assert.ok(answeredWhenTheLoopRan >= 0 && answeredWhenTheLoopRan <= 200, `answers before the event loop ran: ${answeredWhenTheLoopRan}`);
  });
});
