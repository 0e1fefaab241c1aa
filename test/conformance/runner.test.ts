/**
 * The kit's runner in process (runConformance({ make })): a request never
 * answered, an exception from a timer, an AbortSignal listener or a
 * rejection nobody handles, cookies that loop, a file without end, a
 * scenario that never ends: each fails the scenario it happened in, by
 * name and with what happened, and the other scenarios still run and pass.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { helloFs } from '../../src/examples/hello';
import { memfs } from '../../src/fs/memfs';
import { Opcode, ROOT_ID } from '../../src/protocol';
import { exitCodeOf } from '../../src/testing/conformance/report';
import { formatReport, runConformance, type Report, type Scenario } from '../../src/testing/conformance/kit';
import * as fx from './runner-fixtures';

/** The failures of `name` as text; asserts it failed and that every scenario in `passed` passed. */
function failed(r: Report, name: string, passed: readonly string[] = []): string {
  const x = r.results.find((s) => s.name === name);
  assert.ok(x, `scenario ${name} ran:\n${formatReport(r)}`);
  assert.equal(x.status, 'failed', `${name} should fail:\n${formatReport(r)}`);
  for (const p of passed) assert.equal(r.results.find((s) => s.name === p)?.status, 'passed', `${p} should pass:\n${formatReport(r)}`);
  assert.equal(exitCodeOf(r), 1);
  return x.failures.map((f) => `${f.step} | ${f.expected} | ${f.got} | ${f.stack ?? ''}`).join('\n');
}

describe('runConformance in process', () => {
  test('a request never answered fails its scenario by name, within the deadline, and the run goes on', async () => {
    const r = await runConformance({ make: fx.neverAnswersExchange, only: ['rename', 'sparse'], timeout: 300 });
    const f = failed(r, 'rename', ['sparse']);
    assert.match(f, /^deadline \| every request answered within 300 ms \| RENAME2 \/a → \/b unanswered after 300 ms/m);
    assert.equal(r.results.find((s) => s.name === 'rename')!.failures.length, 1, 'nothing recorded after the abort');
  });

  test('the step a scenario names is in the deadline message; an opcode that hung once gets a short deadline after', async () => {
    const mine: Scenario = {
      name: 'step-named',
      description: 'names its step',
      async run(t) {
        const v = await t.start();
        await v.writeFile('/a', 'A');
        await v.mkdir('/d');
        t.step('rename into a subdirectory');
        await v.rename('/a', '/d/a', 2);
      },
    };
    const again: Scenario = { ...mine, name: 'step-named-again' };
    const r = await runConformance({ make: fx.neverAnswersExchange, scenarios: [mine, again], timeout: 2000 });
    assert.match(failed(r, 'step-named'), /RENAME2 \/a → \/d\/a \(step: rename into a subdirectory\) unanswered after 2000 ms/);
    assert.match(failed(r, 'step-named-again'), /unanswered after 500 ms \(a deadline shortened from 2000 ms: RENAME2 already went unanswered/);
  });

  test('an exception thrown from a timer fails only the scenario that set it off, with the stack', async () => {
    const r = await runConformance({ make: fx.throwsFromTimer, only: ['xattr-protocol', 'sparse', 'setattr'] });
    const f = failed(r, 'xattr-protocol', ['sparse', 'setattr']);
    assert.match(f, /an exception thrown outside any request.*fixture: thrown from a timer after SETXATTR user\.k \| .*runner-fixtures/s);
    assert.deepEqual(r.errors, []);
  });

  test('an exception from an AbortSignal listener fails only the scenario that interrupted', async () => {
    const r = await runConformance({ make: fx.throwsFromAbortListener, only: ['interrupts', 'sparse'] });
    assert.match(failed(r, 'interrupts', ['sparse']), /fixture: thrown from an AbortSignal listener/);
  });

  test('a rejection nobody handles fails only its scenario', async () => {
    const r = await runConformance({ make: fx.rejectsUnhandled, only: ['hard-links', 'sparse'] });
    assert.match(failed(r, 'hard-links', ['sparse']), /a promise rejection nobody handled .*fixture: a rejection nobody handles, from LINK/);
  });

  test('READDIR cookies that loop are a named failure, not a loop', async () => {
    const r = await runConformance({ make: fx.loopingCookies, only: ['readdir-offsets', 'sparse'] });
    assert.match(failed(r, 'readdir-offsets', ['sparse']), /READDIR \/d: the cookie 1 came back after it was used/);
  });

  test('a read that returns data forever stops at limits.maxFileBytes, named', async () => {
    const r = await runConformance({ make: fx.endlessRead, only: ['hard-links'], limits: { maxFileBytes: 1 << 20 } });
    assert.match(failed(r, 'hard-links'), /READ \/a: still returning data past 1048576 bytes \(limits\.maxFileBytes\)/);
  });

  test('a scenario that never ends is stopped at limits.scenarioMs, saying where it was', async () => {
    const stuck: Scenario = {
      name: 'stuck',
      description: 'awaits what nothing settles',
      async run(t) {
        await t.start();
        t.step('waiting for Godot');
        await new Promise(() => undefined);
      },
    };
    const fine: Scenario = { name: 'fine', description: 'passes', run: async (t) => void (await t.start()).statfs() };
    const r = await runConformance({ make: () => memfs(), scenarios: [stuck, fine], limits: { scenarioMs: 300 } });
    assert.match(failed(r, 'stuck', ['fine']), /scenario time \| the scenario ends within 300 ms .*still running at step "waiting for Godot"/);
  });

  test('requests past limits.maxRequests fail the scenario that sent them', async () => {
    const chatty: Scenario = {
      name: 'chatty',
      description: 'a loop driven by answers',
      async run(t) {
        const v = await t.start();
        for (;;) await v.k.request(Opcode.GETATTR, ROOT_ID, { arg: { getattr_flags: 0, fh: 0 } });
      },
    };
    const r = await runConformance({ make: () => memfs(), scenarios: [chatty], limits: { maxRequests: 100 } });
    assert.match(failed(r, 'chatty'), /^limit maxRequests \| at most 100 \| GETATTR \/: more than 100 requests/m);
  });

  test('a scenario that fails in a loop keeps its report readable: 100 failures, each text cut at 2000 characters', async () => {
    const noisy: Scenario = {
      name: 'noisy',
      description: 'checks every byte of a large read',
      async run(t) {
        await t.start();
        for (let i = 0; i < 1000; i++) t.check(false, `byte ${i}`, '0', 'x'.repeat(1 << 20));
      },
    };
    const r = await runConformance({ make: () => memfs(), scenarios: [noisy] });
    const f = r.results[0]!.failures;
    assert.equal(f.length, 101);
    assert.equal(f[0]!.got, `${'x'.repeat(2000)}… (${1 << 20} characters)`);
    assert.deepEqual(f[100], { step: 'more failures', expected: 'none', got: '900 more, not listed (the first 100 are)' });
  });

  test('a scenario can skip itself with a reason', async () => {
    const r = await runConformance({ make: () => memfs(), scenarios: [{ name: 's', description: 'd', run: async (t) => t.skip('not today') }] });
    assert.deepEqual(r.results.map((x) => [x.status, x.skipped]), [['skipped', 'not today']]);
    assert.equal(exitCodeOf(r), 0);
  });

  test('hello, read-only: every scenario that writes is skipped with the probe\'s answer; the run passes', async () => {
    const ro: Scenario = {
      name: 'reads',
      description: 'needs nothing',
      async run(t) {
        const v = await t.start();
        t.check((await v.readFile('/hello')).toString() === 'Hello, world!\n', 'READ /hello', 'the greeting', '?');
      },
    };
    const xattr: Scenario = { name: 'x', description: 'needs xattr', needs: ['xattr'], run: async () => undefined };
    const r = await runConformance({ make: helloFs });
    assert.ok(r.results.length > 0);
    // Scenarios that need nothing but reads (tree-walk, statfs...) run and pass; every other one is skipped with the probe's answer.
    for (const x of r.results) if (x.status !== 'passed') assert.equal(x.skipped, 'needs write: MKDIR / answered ENOSYS', formatReport(r));
    assert.ok(r.results.some((x) => x.status === 'skipped'), formatReport(r));
    assert.equal(exitCodeOf(r), 0);
    const own = await runConformance({ make: helloFs, scenarios: [ro, xattr] });
    assert.deepEqual(own.results.map((x) => [x.name, x.status, x.skipped]), [['reads', 'passed', undefined], ['x', 'skipped', 'needs xattr: SETXATTR answered ENOSYS']]);
    assert.deepEqual(own.capabilities, { write: 'MKDIR / answered ENOSYS', xattr: 'SETXATTR answered ENOSYS' });
  });

  test('the process-level listeners of the host are set aside during a run and put back after', async () => {
    const before = [process.listeners('uncaughtException'), process.listeners('unhandledRejection')];
    await runConformance({ make: () => memfs(), only: ['sparse'] });
    assert.deepEqual([process.listeners('uncaughtException'), process.listeners('unhandledRejection')], before);
  });

  test('an unknown scenario name is a usage error', async () => {
    await assert.rejects(runConformance({ make: () => memfs(), only: ['nope'] }), { name: 'UsageError', message: /no scenario named nope/ });
  });
});
