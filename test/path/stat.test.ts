/**
 * PathStat → fuse_attr (src/path/stat.ts): Node's fs.Stats and
 * fs.BigIntStats as they are (types and values), and plain objects with
 * times in each form the interface allows.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import { test } from 'node:test';
import { toAttr } from '../../src/path/stat';
import type { PathStat } from '../../src/path';

const NONE = { uid: undefined, gid: undefined, umask: undefined };
const ns = (sec: number, nsec: number): bigint => BigInt(sec) * 1_000_000_000n + BigInt(nsec);

test('fs.BigIntStats and fs.Stats convert with their times, BigIntStats to the nanosecond', { timeout: 10_000 }, () => {
  const big: PathStat = fs.lstatSync(os.tmpdir(), { bigint: true });
  const a = toAttr(big, 5, NONE);
  const st = big as fs.BigIntStats;
  assert.equal(ns(a.mtime!, a.mtimensec!), st.mtimeNs);
  assert.equal(ns(a.ctime!, a.ctimensec!), st.ctimeNs);
  assert.equal(ns(a.atime!, a.atimensec!), st.atimeNs);
  assert.deepEqual([a.ino, a.mode, a.size, a.nlink], [5, Number(st.mode), Number(st.size), Number(st.nlink)]);
  const small = toAttr(fs.lstatSync(os.tmpdir()), 5, NONE);
  assert.equal(small.mtime, a.mtime);
  assert.ok(Math.abs(small.mtimensec! - a.mtimensec!) < 1000, 'fs.Stats: mtimeMs to the microsecond');
});

test('times as Date, milliseconds (number or bigint), { sec, nsec }; missing ones at the epoch', { timeout: 10_000 }, () => {
  const a = toAttr({ mode: 0o100644, atime: new Date(1_500), mtimeMs: 2_250n, ctime: { sec: 3, nsec: 7 } }, 1, NONE);
  assert.deepEqual([a.atime, a.atimensec, a.mtime, a.mtimensec, a.ctime, a.ctimensec], [1, 500_000_000, 2, 250_000_000, 3, 7]);
  const b = toAttr({ mode: 0o100644, mtime: -1_500 }, 1, NONE);
  assert.deepEqual([b.atime, b.atimensec, b.mtime, b.mtimensec], [0, 0, -2, 500_000_000], 'before 1970');
});
