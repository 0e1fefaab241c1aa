/**
 * Colocation's decisions (colocate.ts) against a fake system and clock:
 * when it writes replies as SCHED_IDLE, when it moves to the client's CPU,
 * and the guards that keep a SCHED_IDLE server from being starved.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Colocation, HEARTBEAT_MS, RESCUE_MS, STALL_MS, systemColocation, type ColocateSys } from '../../src/server/accel/colocate/colocate';

class FakeSys implements ColocateSys {
  readonly cpus = 2;
  idle = false;
  here = 0;
  clientCpu = 1;
  load = 1;
  moves: number[] = [];
  refuse = false;
  closed = false;
  /** Every rescueIn(ms), in order. */
  arms: number[] = [];
  rescues = 0;
  rescueIn(ms: number): void {
    this.arms.push(ms);
  }
  setIdle(idle: boolean): boolean {
    if (this.refuse) return false;
    this.idle = idle;
    return true;
  }
  cpu(): number {
    return this.here;
  }
  cpuOf(): number {
    return this.clientCpu;
  }
  moveTo(cpu: number): void {
    this.moves.push(cpu);
    this.here = cpu;
  }
  runnable(): number {
    return this.load;
  }
  close(): void {
    this.closed = true;
  }
}

/** A clock the test moves, in ms. */
function clock(): { now: () => number; t: number } {
  const c = { t: 0, now: () => c.t };
  return c;
}

/**
 * One request-reply-poll cycle of `cycleMs`, of which `pollShare` polling;
 * returns whether the reply was written as SCHED_IDLE.
 */
function cycle(c: Colocation, sys: FakeSys, k: { t: number }, cycleMs: number, pollShare: number, gap = 0.01): boolean {
  c.request(4242);
  assert.equal(sys.idle, false, 'a request is handled at normal priority');
  k.t += cycleMs * (1 - pollShare);
  c.reply();
  const idleReply = sys.idle;
  const start = k.t;
  k.t += cycleMs * pollShare;
  c.polled(start, k.t, gap);
  return idleReply;
}

test('a tight exchange (mostly polling) gets SCHED_IDLE replies after one window, and one move to the client\'s CPU', () => {
  const sys = new FakeSys();
  const k = clock();
  const c = new Colocation(sys, k.now);
  assert.equal(cycle(c, sys, k, 0.02, 0.8), false, 'nothing before a window has been judged');
  // 100 ms of exchange: all but the first window's replies (10 ms) as SCHED_IDLE.
  let idleReplies = 0;
  for (let i = 0; i < 5000; i++) if (cycle(c, sys, k, 0.02, 0.8)) idleReplies++;
  assert.ok(idleReplies >= 4450, `${idleReplies} of 5000 replies as SCHED_IDLE`);
  assert.deepEqual(sys.moves, [1], 'moved once, to the client\'s CPU');
  c.sleep();
  assert.equal(sys.idle, false, 'never asleep as SCHED_IDLE');
});

test('the rescue is armed while SCHED_IDLE, pushed back at most every HEARTBEAT_MS, and disarmed before sleeping and on close', () => {
  const sys = new FakeSys();
  const k = clock();
  const c = new Colocation(sys, k.now);
  for (let i = 0; i < 400; i++) cycle(c, sys, k, 0.02, 0.8); // 8 ms: no window judged yet
  assert.deepEqual(sys.arms, [], 'not armed while not colocating');
  for (let i = 0; i < 5000; i++) cycle(c, sys, k, 0.02, 0.8); // 100 ms of exchange
  assert.ok(sys.arms.every((ms) => ms === RESCUE_MS));
  // Each push-back leaves the rescue RESCUE_MS ahead; pushed back every HEARTBEAT_MS or so, not per reply.
  assert.ok(sys.arms.length >= 90 / (HEARTBEAT_MS + 0.02) && sys.arms.length <= 100 / HEARTBEAT_MS + 1, `${sys.arms.length} arms for 5000 replies`);
  c.sleep();
  assert.equal(sys.arms.at(-1), 0, 'disarmed before sleeping');
  const n = sys.arms.length;
  c.sleep();
  assert.equal(sys.arms.length, n, 'disarmed once');
  for (let i = 0; i < 100; i++) cycle(c, sys, k, 0.02, 0.8);
  assert.equal(sys.arms.at(-1), RESCUE_MS, 'armed again with the next SCHED_IDLE reply');
  c.close();
  assert.equal(sys.arms.at(-1), 0, 'disarmed on close');
});

test('a busy server (little polling: queue depth 16) keeps normal replies, and the client its CPU', () => {
  const sys = new FakeSys();
  const k = clock();
  const c = new Colocation(sys, k.now);
  for (let i = 0; i < 2000; i++) assert.equal(cycle(c, sys, k, 0.006, 0.05), false);
  assert.deepEqual(sys.moves, []);
});

test('more runnable tasks than CPUs: no SCHED_IDLE until the load falls', () => {
  const sys = new FakeSys();
  const k = clock();
  const c = new Colocation(sys, k.now);
  sys.load = 3;
  for (let i = 0; i < 2000; i++) assert.equal(cycle(c, sys, k, 0.02, 0.8), false);
  sys.load = 2;
  let idle = 0;
  for (let i = 0; i < 2000; i++) if (cycle(c, sys, k, 0.02, 0.8)) idle++;
  assert.ok(idle > 1000);
});

test('a poll held off the CPU turns it off for a second, then two, while stalls recur', () => {
  const sys = new FakeSys();
  const k = clock();
  const c = new Colocation(sys, k.now);
  for (let i = 0; i < 1000; i++) cycle(c, sys, k, 0.02, 0.8);
  assert.equal(cycle(c, sys, k, 0.02, 0.8, STALL_MS * 4), true);
  assert.equal(sys.idle, false, 'back to normal at once');
  assert.equal(c.stalls, 1);
  // Off for 1 s.
  const offAt = k.t;
  while (k.t - offAt < 990) assert.equal(cycle(c, sys, k, 0.02, 0.8), false);
  while (!cycle(c, sys, k, 0.02, 0.8)) assert.ok(k.t - offAt < 1020, 'on again after about a second');
  // A second stall: off for 2 s.
  cycle(c, sys, k, 0.02, 0.8, STALL_MS * 4);
  const again = k.t;
  while (k.t - again < 1900) assert.equal(cycle(c, sys, k, 0.02, 0.8), false);
  // Five stall-free minutes later the backoff is back to a second.
  k.t += 301_000;
  for (let i = 0; i < 1000; i++) cycle(c, sys, k, 0.02, 0.8);
  cycle(c, sys, k, 0.02, 0.8, STALL_MS * 4);
  const late = k.t;
  while (!cycle(c, sys, k, 0.02, 0.8)) assert.ok(k.t - late < 1020, 'off for about a second again, not four');
  // A stall at normal priority (not colocating) is nobody's business.
  const sys2 = new FakeSys();
  const c2 = new Colocation(sys2, k.now);
  c2.polled(k.t, k.t + 5, 5);
  assert.equal(c2.stalls, 0);
});

test('a refused way back to normal priority is retried at the next request; close leaves SCHED_IDLE', () => {
  const sys = new FakeSys();
  const k = clock();
  const c = new Colocation(sys, k.now);
  for (let i = 0; i < 1000; i++) cycle(c, sys, k, 0.02, 0.8);
  c.reply();
  assert.equal(sys.idle, true);
  sys.refuse = true;
  c.request(1);
  assert.equal(sys.idle, true);
  sys.refuse = false;
  c.request(1);
  assert.equal(sys.idle, false);
  c.reply();
  c.close();
  assert.deepEqual([sys.idle, sys.closed], [false, true]);
});

test('the real system: available as root with CAP_SYS_NICE, and the thread ends at normal priority', { skip: process.getuid?.() !== 0 && 'needs root' }, () => {
  const c = systemColocation();
  if (!c) return; // no CAP_SYS_NICE here: nothing to check
  const policy = (): string => require('node:fs').readFileSync(`/proc/self/task/${process.pid}/sched`, 'utf8').match(/^policy\s*:\s*(\d+)/m)?.[1];
  c.reply(); // no window judged yet: stays normal
  assert.equal(policy(), '0');
  c.close();
  assert.equal(policy(), '0');
});

test('the real rescue: a server left SCHED_IDLE without pushing the rescue back is put back to SCHED_OTHER by the worker', { skip: process.getuid?.() !== 0 && 'needs root' }, async () => {
  // The load guard sees a quiet machine whatever this one is doing: this checks the rescue, not the guard.
  const c = systemColocation({ runnable: () => 1 });
  if (!c) return; // no CAP_SYS_NICE here: nothing to check
  const policy = (): string | undefined => require('node:fs').readFileSync(`/proc/self/task/${process.pid}/sched`, 'utf8').match(/^policy\s*:\s*(\d+)/m)?.[1];
  try {
    // A tight exchange on the real clock (20 µs cycles, 80% of each polling) until a reply goes out as
    // SCHED_IDLE: after the first 10 ms window.
    const spin = (ms: number): void => {
      const end = performance.now() + ms;
      while (performance.now() < end);
    };
    const t0 = performance.now();
    let idle = false;
    for (;;) {
      c.request(process.pid);
      spin(0.004);
      c.reply();
      // SCHED_IDLE now; on a loaded machine it may already have been starved and rescued.
      idle = policy() === '5' || c.rescues > 0;
      if (idle || performance.now() - t0 > 5000) break;
      const s = performance.now();
      spin(0.016);
      c.polled(s, performance.now(), 0.001);
    }
    assert.ok(idle, 'SCHED_IDLE after a reply in a tight exchange');
    // Nothing pushes the rescue back now: the worker (started with the first arm) must step in.
    const deadline = performance.now() + 3000;
    while (policy() === '5' && performance.now() < deadline) spin(1);
    assert.equal(policy(), '0', 'put back to SCHED_OTHER');
    assert.ok(c.rescues >= 1, 'by the rescue');
  } finally {
    c.close();
    assert.equal(policy(), '0');
  }
});
