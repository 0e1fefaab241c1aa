/**
 * memfs locks: POSIX record locks (conflicts, GETLK, splitting and merging
 * an owner's ranges, OFFSET_MAX, waiting and being woken, interrupts,
 * deadlock detection, release on flush and close) and BSD flock (shared,
 * exclusive, conversion, LOCK_NB, waiting, release with the handle).
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { OFFSET_MAX } from '../../src/protocol';
import type { Lock } from '../../src/api/filesystem';
import { ROOT, ctx, rejectsErrno, root, throwsErrno } from '../helpers/fs-calls';
import { Fx, lk } from './memfs-helpers';

const RD = 0;
const WR = 1;
const UN = 2;
const LOCK_SH = 1;
const LOCK_EX = 2;
const LOCK_NB = 4;
const LOCK_UN = 8;
const A = 0xaaan;
const B = 0xbbbn;
const C = 0xcccn;

/** The record locks `owner` holds on the file, in order: "W0-9 R10-EOF". */
function holdings(f: Fx, ino: number, owner: bigint): string {
  return f.st.locks
    .records(ino)
    .filter((r) => r.owner === owner)
    .sort((a, b) => a.start - b.start)
    .map((r) => `${r.type === RD ? 'R' : 'W'}${r.start}-${r.end === Infinity ? 'EOF' : r.end}`)
    .join(' ');
}

function setup(): { f: Fx; ino: number } {
  const f = new Fx();
  return { f, ino: f.file(root, ROOT, 'f', 'x'.repeat(100)) };
}

test('conflicts: readers share, a writer excludes; the same owner never conflicts with itself', () => {
  const { f, ino } = setup();
  f.setlk(ino, A, lk(RD, 0, 9));
  f.setlk(ino, B, lk(RD, 5, 14));
  throwsErrno(() => f.setlk(ino, C, lk(WR, 9, 9)), 'EAGAIN');
  f.setlk(ino, C, lk(WR, 15, 20));
  f.setlk(ino, A, lk(WR, 0, 4), ctx());
  assert.equal(holdings(f, ino, A), 'W0-4 R5-9');
});

test('GETLK reports the first conflicting lock (type, range, pid), or F_UNLCK with the range asked', () => {
  const { f, ino } = setup();
  f.setlk(ino, A, lk(WR, 10, 19, 4242));
  assert.deepEqual(f.getlk(ino, B, lk(RD, 0, 10)), { type: WR, start: 10, end: 19, pid: 4242 });
  assert.equal(f.getlk(ino, B, lk(RD, 20, 30)).type, UN);
  assert.equal(f.getlk(ino, A, lk(WR, 0, 100)).type, UN, 'own locks never conflict');
  f.setlk(ino, A, lk(RD, 50, OFFSET_MAX));
  const got = f.getlk(ino, B, lk(WR, 1000, OFFSET_MAX));
  assert.deepEqual([got.type, got.start, got.end], [RD, 50, OFFSET_MAX], 'a lock to EOF is reported as OFFSET_MAX');
});

test('an owner\'s ranges split on unlock and on a change of type in the middle', () => {
  const { f, ino } = setup();
  f.setlk(ino, A, lk(WR, 0, 99));
  f.setlk(ino, A, lk(UN, 40, 59));
  assert.equal(holdings(f, ino, A), 'W0-39 W60-99');
  f.setlk(ino, A, lk(RD, 10, 19));
  assert.equal(holdings(f, ino, A), 'W0-9 R10-19 W20-39 W60-99');
  f.setlk(ino, B, lk(RD, 15, 15));
  throwsErrno(() => f.setlk(ino, B, lk(RD, 20, 20)), 'EAGAIN');
});

test('an owner\'s same-type ranges merge when they overlap or touch; different types stay apart', () => {
  const { f, ino } = setup();
  f.setlk(ino, A, lk(RD, 0, 9));
  f.setlk(ino, A, lk(RD, 10, 19));
  assert.equal(holdings(f, ino, A), 'R0-19');
  f.setlk(ino, A, lk(RD, 30, 39));
  f.setlk(ino, A, lk(RD, 15, 35));
  assert.equal(holdings(f, ino, A), 'R0-39');
  f.setlk(ino, A, lk(WR, 40, 49));
  assert.equal(holdings(f, ino, A), 'R0-39 W40-49');
  f.setlk(ino, A, lk(WR, 0, OFFSET_MAX));
  assert.equal(holdings(f, ino, A), 'W0-EOF');
  f.setlk(ino, A, lk(UN, 100, OFFSET_MAX));
  assert.equal(holdings(f, ino, A), 'W0-99');
  f.setlk(ino, A, lk(UN, 0, OFFSET_MAX));
  assert.equal(holdings(f, ino, A), '');
});

test('SETLKW waits until the conflicting lock goes, then holds the lock', async () => {
  const { f, ino } = setup();
  f.setlk(ino, A, lk(WR, 0, 9));
  let got = false;
  const p = Promise.resolve(f.setlkw(ino, B, lk(WR, 5, 5))).then(() => (got = true));
  await new Promise((r) => setImmediate(r));
  assert.equal(got, false);
  f.setlk(ino, A, lk(UN, 0, 4));
  await new Promise((r) => setImmediate(r));
  assert.equal(got, false, 'the part B wants is still held');
  f.setlk(ino, A, lk(UN, 5, 9));
  await p;
  assert.equal(holdings(f, ino, B), 'W5-5');
  throwsErrno(() => f.setlk(ino, A, lk(RD, 5, 5)), 'EAGAIN');
});

test('SETLKW: a downgrade wakes readers; waiters are served in order', async () => {
  const { f, ino } = setup();
  f.setlk(ino, A, lk(WR, 0, 0));
  const order: string[] = [];
  const pb = Promise.resolve(f.setlkw(ino, B, lk(RD, 0, 0))).then(() => order.push('B'));
  const pc = Promise.resolve(f.setlkw(ino, C, lk(RD, 0, 0))).then(() => order.push('C'));
  f.setlk(ino, A, lk(RD, 0, 0));
  await Promise.all([pb, pc]);
  assert.deepEqual(order, ['B', 'C']);
});

test('SETLKW honours the interrupt: EINTR, and the request is withdrawn', async () => {
  const { f, ino } = setup();
  f.setlk(ino, A, lk(WR, 0, 0));
  const ac = new AbortController();
  const p = f.setlkw(ino, B, lk(WR, 0, 0), ctx({ signal: ac.signal }));
  ac.abort();
  await rejectsErrno(Promise.resolve(p), 'EINTR');
  f.setlk(ino, A, lk(UN, 0, 0));
  await new Promise((r) => setImmediate(r));
  assert.equal(holdings(f, ino, B), '', 'the interrupted waiter never got the lock');
  const aborted = new AbortController();
  aborted.abort();
  f.setlk(ino, A, lk(WR, 0, 0));
  await rejectsErrno(Promise.resolve(f.setlkw(ino, B, lk(WR, 0, 0), ctx({ signal: aborted.signal }))), 'EINTR');
});

test('SETLKW that would close a cycle of waiting owners fails with EDEADLK', async () => {
  const f = new Fx();
  const x = f.file(root, ROOT, 'x');
  const y = f.file(root, ROOT, 'y');
  f.setlk(x, A, lk(WR, 0, 0));
  f.setlk(y, B, lk(WR, 0, 0));
  const pa = f.setlkw(y, A, lk(WR, 0, 0)); // A waits for B
  assert.ok(pa instanceof Promise);
  throwsErrno(() => f.setlkw(x, B, lk(WR, 0, 0)), 'EDEADLK'); // B would wait for A
  f.setlk(y, B, lk(UN, 0, 0));
  await pa;
});

test('flush drops all record locks of the owner on the file; close of the last handle drops everyone\'s', () => {
  const { f, ino } = setup();
  f.setlk(ino, A, lk(WR, 0, 9));
  f.setlk(ino, A, lk(RD, 20, 29));
  f.setlk(ino, B, lk(RD, 50, 59));
  f.fs.flush!(root, ino, 0, A);
  assert.equal(holdings(f, ino, A), '');
  assert.equal(holdings(f, ino, B), 'R50-59');
  const fh = f.open(root, ino);
  f.release(ino, fh);
  assert.equal(holdings(f, ino, B), '', 'nothing has the file open: no lock can remain');
});

test('flock: shared with shared, exclusive alone; LOCK_NB fails with EAGAIN', () => {
  const { f, ino } = setup();
  const h1 = f.open(root, ino);
  const h2 = f.open(root, ino);
  const h3 = f.open(root, ino);
  f.flock(ino, h1, LOCK_SH | LOCK_NB);
  f.flock(ino, h2, LOCK_SH | LOCK_NB);
  throwsErrno(() => f.flock(ino, h3, LOCK_EX | LOCK_NB), 'EAGAIN');
  f.flock(ino, h1, LOCK_UN);
  f.flock(ino, h2, LOCK_UN);
  f.flock(ino, h3, LOCK_EX | LOCK_NB);
  throwsErrno(() => f.flock(ino, h1, LOCK_SH | LOCK_NB), 'EAGAIN');
  // flock and record locks are separate worlds.
  f.setlk(ino, A, lk(WR, 0, OFFSET_MAX));
});

test('flock conversion drops the old lock first (as Linux), even when the new one fails', () => {
  const { f, ino } = setup();
  const h1 = f.open(root, ino);
  const h2 = f.open(root, ino);
  f.flock(ino, h1, LOCK_SH | LOCK_NB);
  f.flock(ino, h2, LOCK_SH | LOCK_NB);
  throwsErrno(() => f.flock(ino, h1, LOCK_EX | LOCK_NB), 'EAGAIN');
  f.flock(ino, h2, LOCK_UN);
  f.flock(ino, h2, LOCK_EX | LOCK_NB); // h1 no longer holds anything
  f.flock(ino, h2, LOCK_SH | LOCK_NB); // downgrade of one's own lock
  f.flock(ino, h1, LOCK_SH | LOCK_NB);
});

test('flock waits, and is granted when the holder unlocks or its handle is released; interrupts give EINTR', async () => {
  const { f, ino } = setup();
  const h1 = f.open(root, ino);
  const h2 = f.open(root, ino);
  const h3 = f.open(root, ino);
  f.flock(ino, h1, LOCK_EX);
  const p = f.flock(ino, h2, LOCK_EX);
  assert.ok(p instanceof Promise);
  const ac = new AbortController();
  const p3 = f.flock(ino, h3, LOCK_SH, ctx({ signal: ac.signal }));
  ac.abort();
  await rejectsErrno(Promise.resolve(p3), 'EINTR');
  f.release(ino, h1, 0n, true);
  await p;
  throwsErrno(() => f.flock(ino, h3, LOCK_SH | LOCK_NB), 'EAGAIN');
  f.release(ino, h2, 0n, true);
  f.flock(ino, h3, LOCK_SH | LOCK_NB);
});

test('lock requests are checked: bad types and ranges are EINVAL', () => {
  const { f, ino } = setup();
  const bad: Lock[] = [lk(7, 0, 1), lk(WR, 10, 5)];
  for (const l of bad) throwsErrno(() => f.setlk(ino, A, l), 'EINVAL');
  throwsErrno(() => f.getlk(ino, A, lk(UN, 0, 1)), 'EINVAL');
  throwsErrno(() => f.flock(ino, 1, 16), 'EINVAL');
});
