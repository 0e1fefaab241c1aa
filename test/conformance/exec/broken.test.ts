/**
 * Servers in C, each with one fault the kit must catch over --exec
 * (servers/<fault>.c on minifs.c): each fails the scenario that names its
 * fault, with a message that says what happened, and the run goes on to
 * the end. minifs without a fault passes every scenario it is not skipped
 * for, so each failure below is its fault's.
 */
import assert from 'node:assert/strict';
import { before, describe, test } from 'node:test';
import { formatReport, runConformance, type Report, type RunOptions } from '../../../src/testing/conformance/kit';
import { faultNames, runningFrom, servers, type Built } from './build';

let b: Built;
before(async () => {
  b = await servers();
});

async function kit(server: string, opts: RunOptions = {}): Promise<Report> {
  const r = await runConformance({ exec: [b.bin(server), '-f', '{fd}'], ...opts });
  assert.deepEqual(runningFrom(b.dir), [], `no ${server} process outlives the run`);
  return r;
}

/** The failures of `scenario`, one per line ("step | got"); asserts it failed. */
function failuresOf(r: Report, scenario: string): string {
  const x = r.results.find((s) => s.name === scenario);
  assert.ok(x, `${scenario} ran`);
  assert.equal(x.status, 'failed', `${scenario} should fail:\n${formatReport(r)}`);
  return x.failures.map((f) => `${f.step} | ${f.got}`).join('\n');
}

/** Every scenario ended (passed, failed, or skipped with a reason), and `passing` passed: the run went on past the fault. */
function wentOn(r: Report, passing: readonly string[]): void {
  for (const x of r.results) assert.ok(x.status !== 'skipped' || (x.skipped ?? '').length > 0, `${x.name} has a status`);
  for (const n of passing) assert.equal(r.results.find((x) => x.name === n)?.status, 'passed', `${n} still passes:\n${formatReport(r)}`);
}

interface Case {
  fault: string;
  scenario: string;
  says: RegExp;
  /** Scenarios that still pass in the same run. */
  passing: string[];
  opts?: RunOptions;
  /** The failed scenario's output shows the server's stderr. */
  output?: RegExp;
  /** Run every scenario, not only this one and `passing` (the faults that end the process: the run must go on past them). */
  all?: boolean;
}

const CASES: Case[] = [
  { fault: 'hang-fsync', scenario: 'flush-fsync', says: /^deadline \| FSYNC \/f \(step: .*\) unanswered after 1500 ms; the server \(pid \d+\) still runs$/, passing: ['statfs', 'write-patterns', 'old-minors'], opts: { timeout: 1500 } },
  { fault: 'crash-rename', scenario: 'rename-directories', says: /^server process \| the server was killed by SIGSEGV before the kit ended the session, while waiting for RENAME2 \/a\/x → \/b\/x/, passing: ['statfs', 'hard-links', 'rename-files'], all: true },
  { fault: 'malformed-symlink', scenario: 'symlinks', says: /SYMLINK unique=\d+: entry reply body is 120 bytes, fuse_entry_out is 128/, passing: ['statfs', 'hard-links', 'write-patterns'] },
  { fault: 'oversized-read', scenario: 'read-bounds', says: /READ unique=\d+: data reply carries 10000 bytes, the request asked for at most 1/, passing: ['statfs', 'hard-links', 'rename-directories'] },
  { fault: 'errno-rmdir', scenario: 'errnos', says: /^RMDIR \/d \(it holds f\) \| EPERM$/, passing: ['statfs', 'rename-directories', 'write-patterns'] },
  { fault: 'lookup-create', scenario: 'lookup-forget', says: /^GETATTR of unlinked node \d+ with 1 lookup left \| ESTALE$/, passing: ['statfs', 'rename-directories', 'write-patterns'] },
  { fault: 'double-release', scenario: 'write-applied', says: /^protocol \| reply to unique \d+, which is not in flight/, passing: ['statfs', 'tree-walk'] },
  { fault: 'exit-readdir', scenario: 'readdir-contents', says: /^server process \| the server exited with code 3 before the kit ended the session, while waiting for READDIR \/big \(offset 101, 128 bytes\)/, passing: ['statfs', 'readdir-offsets', 'rename-directories'], output: /minifs: cookie 101 out of range/, all: true },
  { fault: 'crash-destroy', scenario: 'statfs', says: /^server process at the end of the session \| the server was killed by SIGSEGV as the session ended \(the releases and DESTROY of an unmount, then the close\)$/, passing: [] },
  { fault: 'log-to-fd', scenario: 'rename-directories', says: /^protocol \| write of 6 bytes: shorter than fuse_out_header$/, passing: ['statfs', 'write-patterns'] },
];

describe('broken servers in C through --exec', { timeout: 300_000 }, () => {
  test('every fault file has a case here, and minifs itself passes every scenario it is not skipped for', async (t) => {
    if (b.skip) return t.skip(b.skip);
    assert.deepEqual(faultNames().filter((f) => !['silent-init', 'spliced-read'].includes(f)).sort(), CASES.map((c) => c.fault).sort());
    const r = await kit('minifs');
    assert.equal(r.failed, 0, formatReport(r));
    assert.deepEqual(r.errors, []);
    assert.ok(r.passed >= 30, `minifs passes 30 scenarios or more:\n${formatReport(r)}`);
  });

  for (const c of CASES) {
    test(`${c.fault}: fails ${c.scenario}, and the run goes on`, async (t) => {
      if (b.skip) return t.skip(b.skip);
      const r = await kit(c.fault, { ...(c.all ? {} : { only: [c.scenario, ...c.passing] }), ...c.opts });
      assert.match(failuresOf(r, c.scenario), new RegExp(c.says.source, 'm'));
      wentOn(r, c.passing);
      const x = r.results.find((s) => s.name === c.scenario)!;
      assert.match(x.output ?? '', new RegExp(`server: ${b.bin(c.fault).replace(/[.*+?^${}()|[\]\\]/g, '\\$&')} -f /dev/fd/3 \\(pid \\d+`), 'the failure names the server process');
      if (c.output) assert.match(x.output ?? '', c.output, 'and shows the tail of its stderr');
    });
  }

  test('silent-init: INIT never answered fails each scenario by its deadline, within the run\'s bounds', async (t) => {
    if (b.skip) return t.skip(b.skip);
    const r = await kit('silent-init', { timeout: 1000, only: ['statfs', 'tree-walk', 'write-patterns'] });
    assert.equal(r.results.length, 3);
    for (const x of r.results) {
      if (x.status === 'skipped') continue;
      assert.equal(x.status, 'failed', formatReport(r));
      assert.match(x.failures.map((f) => `${f.step} | ${f.got}`).join('\n'), /^deadline \| INIT \/ .*unanswered after (1000|500) ms/m);
    }
    assert.match(r.errors.map((e) => `${e.step} | ${e.got}`).join('\n'), /capability probe: deadline \| INIT \/ .*unanswered after 1000 ms/);
  });

  test('spliced-read: READ replies spliced into the socket arrive in pieces, are joined, and pass', async (t) => {
    if (b.skip) return t.skip(b.skip);
    const r = await kit('spliced-read', { only: ['read-bounds', 'write-patterns', 'sparse', 'reads-during-writes'] });
    assert.equal(r.failed, 0, formatReport(r));
    assert.equal(r.passed, 4, formatReport(r));
  });
});
