/**
 * The conformance kit on a program written for fuse-native (kit-program.ts:
 * callbacks over pathMemfs), through devfuse/fuse-native's mapping and the
 * path layer, without a mount. Every scenario passes, or is skipped for
 * what fuse-native's interface cannot carry: by the kit itself when the
 * operation is missing (renameat2 flags, fallocate, lseek, copy_file_range,
 * tmpfile, statx, locks, READDIRPLUS), or here, with the reason, when the
 * operation exists but cannot say enough.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { fuseNativeFilesystem } from '../../src/fuse-native/filesystem';
import type { PathAdapter } from '../../src/path';
import { formatReport, runConformance } from '../../src/testing/conformance/kit';
import { SCENARIOS } from '../../src/testing/conformance/scenarios';
import { kitProgram } from './kit-program';

/** Scenarios that ask what fuse-native's operations cannot carry. */
const CANNOT: Record<string, string> = {
  setattr: "times to the nanosecond: fuse-native's stats and utimens carry milliseconds",
  'setattr-fields':
    "times to the nanosecond (milliseconds only), and chmod of an open unlinked file: fuse-native's chmod has no fd, and the path it had is no name of the file any more",
  access: "ACCESS by the mode bits for a caller other than the server: fuse-native's operations are not told who the caller is",
};

/** A fixed seed keeps the model's random sequences the same run after run (the kit's own tests vary it). */
const SEED = 20261207;

/** What the kit skips by itself, each for an operation fuse-native does not have. */
const MISSING = ['readdirplus-lookups', 'rename', 'fallocate', 'lseek', 'copy-file-range', 'tmpfile', 'statx', 'posix-locks', 'flock'];

test('the conformance kit on a fuse-native program through devfuse/fuse-native', { timeout: 120_000 }, async () => {
  const report = await runConformance({
    make: () => fuseNativeFilesystem(kitProgram()).fs,
    inspect: (f) => ({ liveInodes: () => (f as PathAdapter).nodeCount }),
    scenarios: SCENARIOS.filter((s) => !(s.name in CANNOT)),
    seed: SEED,
  });
  assert.equal(report.failed, 0, formatReport(report));
  const skipped = report.results.filter((r) => r.status === 'skipped').map((r) => r.name);
  assert.deepEqual(skipped.sort(), [...MISSING].sort(), formatReport(report));
  assert.equal(report.passed, SCENARIOS.length - Object.keys(CANNOT).length - MISSING.length);
});

test("the model's sequence that found ftruncate of an unlinked open file answered ENOENT (utimens by path)", { timeout: 120_000 }, async () => {
  // fd = open("/e/a"); unlink("/e/a"); ftruncate(fd, 0): SETATTR SIZE|MTIME_NOW with the handle.
  const report = await runConformance({ make: () => fuseNativeFilesystem(kitProgram()).fs, only: ['model'], seed: 141641804 });
  assert.equal(report.failed, 0, formatReport(report));
});
