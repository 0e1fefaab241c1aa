/**
 * runConformance({ module }): scenarios in child processes (child.ts, each
 * handled by a Child of child-process.ts), `jobs` at a time. A child that
 * crashes, exits, runs out of memory or is stopped fails the scenario it
 * was running with what happened, the step it was at, the requests it was
 * waiting for and the tail of its output; the run goes on in a fresh child.
 *
 * A child serves scenarios one after another while they pass (starting a
 * process per scenario cost more than the scenarios themselves: 20 s
 * against 2 s for 46 scenarios on memfs). A scenario that fails in a child
 * that served others before is run again in a fresh one, whose result is
 * the one reported, so what a scenario is blamed for never comes from what
 * an earlier one left in the process; a child that saw a failure is not
 * used again, nor one past half its memory cap or 16 scenarios.
 */
import os from 'node:os';
import type { Opcode } from '../../protocol';
import { unmetNeed, wantedBy } from './capabilities';
import { Child, deathOf, type TaskEnd, type Watch } from './child-process';
import { resolveRun } from './in-process';
import type { ChildTask } from './ipc';
import { UsageError, type Capability, type Failure, type ModuleTarget, type Report, type Scenario, type ScenarioResult } from './kit';
import { makeReport } from './report';
import { skippedResult } from './run-scenario';
import { SCENARIOS } from './scenarios';

const MIB = 1 << 20;
const SHORT_BLOCKED_MS = 1000;
const LOW_RSS_CAP = 256 * MIB;
const MAX_SERVED = 16;

export async function runInChildren(target: ModuleTarget): Promise<Report> {
  const { limits, seed, scenarios } = resolveRun(target, SCENARIOS);
  const jobs = Math.max(1, target.jobs ?? os.availableParallelism());
  if (!Number.isSafeInteger(jobs)) throw new UsageError(`jobs must be a positive integer, got ${String(target.jobs)}`);
  const cap = Math.min(limits.memoryBytes, Math.max(256 * MIB, Math.floor(limits.memoryBytes / jobs)));
  const caps = new Map<Capability, string | null>();
  const hung = new Map<Opcode, string>();
  const errors: Failure[] = [];
  const base = { module: target.module, export: target.export, limits, seed, ops: target.ops, session: target.session };
  const task = (t: Partial<ChildTask> & Pick<ChildTask, 'kind'>): ChildTask => ({ ...base, ...t, capabilities: [...caps], hung: [...hung] });
  // No sign of life for the request timeout and 2 s is a blocked event loop; once one child was
  // stopped for it the run has failed, and every further child that blocks is stopped after 1 s.
  // Likewise the resident-memory cap drops to 256 MiB once one child passed it (a scenario on a
  // sound filesystem needs under 100 MiB): a filesystem that allocates without end in a common
  // request would otherwise page-fault half a gigabyte per scenario.
  const watch: Watch = { blockedMs: limits.timeoutMs + 2000, rssCap: cap };
  // Each worker's next child is started and loaded while the current one works: a child per failed
  // scenario then costs no wait (a filesystem that hangs in a common request fails most scenarios).
  const spares: Child[] = [];
  const warm = (): Child => {
    const c = new Child(cap, (f) => errors.push(f));
    c.warm(target.module, target.export);
    return c;
  };
  const spawn = (): Child => {
    let c = spares.shift();
    while (c && !c.alive) c = spares.shift();
    while (spares.length < jobs) spares.push(warm());
    return c ?? warm();
  };
  const runIn = async (c: Child, t: ChildTask, w: Watch = { ...watch }): Promise<TaskEnd> => {
    const e = await c.run(t, w);
    if (e.stopped?.startsWith('blocked')) watch.blockedMs = Math.min(watch.blockedMs, SHORT_BLOCKED_MS);
    if (e.stopped?.startsWith('memory')) watch.rssCap = Math.min(watch.rssCap, LOW_RSS_CAP);
    return e;
  };

  // The probes come first, and load the module: a missing module or export is a usage error, before any scenario.
  let first: Child | null = new Child(cap, (f) => errors.push(f));
  while (spares.length < jobs) spares.push(warm());
  const p = await runIn(first, task({ kind: 'probe', wanted: [...wantedBy(scenarios)] }));
  const pm = p.message;
  if (pm?.type === 'usage' || pm?.type === 'load-failed') {
    first.close();
    for (const c of spares) c.close();
    if (pm.type === 'usage') throw new UsageError(pm.message);
    errors.push({ step: `loading ${target.module}`, expected: 'the module loads', got: pm.message, stack: pm.stack });
    return makeReport([], errors, {}, seed);
  }
  if (pm?.type === 'probe') {
    for (const [c, why] of pm.capabilities) caps.set(c, why);
    errors.push(...pm.errors);
    for (const op of pm.hung) hung.set(op, 'capability probes');
  } else {
    const f = deathOf(p, cap);
    errors.push({ ...f, step: `capability probes: ${f.step}` });
  }
  if (!pm || pm.type !== 'probe' || pm.errors.length) {
    first.close();
    first = null;
  }

  const results = new Map<string, ScenarioResult>();
  const queue: Scenario[] = [];
  for (const s of scenarios) {
    const reason = unmetNeed(s, caps);
    if (reason) {
      const r = skippedResult(s, reason);
      results.set(s.name, r);
      target.onResult?.(r);
    } else {
      queue.push(s);
    }
  }

  const resultOf = (s: Scenario, e: TaskEnd): ScenarioResult => {
    const m = e.message;
    if (m?.type === 'result') {
      const r = m.result;
      errors.push(...m.errors);
      for (const op of m.hung) if (!hung.has(op)) hung.set(op, s.name);
      return r.status === 'failed' && e.output && !r.output ? { ...r, output: e.output } : r;
    }
    const f = m?.type === 'usage' || m?.type === 'load-failed' ? { step: 'loading the module', expected: 'it loads', got: m.message } : deathOf(e, cap);
    return { name: s.name, description: s.description, status: 'failed', passed: false, failures: [f], ms: e.ms, output: e.output || undefined };
  };

  const worker = async (): Promise<void> => {
    let c: Child | null = null;
    if (first) [c, first] = [first, null];
    for (let s = queue.shift(); s; s = queue.shift()) {
      if (!c || !c.alive) c = spawn();
      const fresh = c.served === 0;
      // The same deadlines and watch for a second run, whatever the first taught the run.
      const t = task({ kind: 'scenario', scenario: s.name });
      const w = { ...watch };
      let r = resultOf(s, await runIn(c, t, w));
      if (r.status === 'failed') {
        c.close();
        c = null;
        // Judged again in a process of its own: the failure must not come from what earlier scenarios left behind.
        if (!fresh) {
          const again = spawn();
          r = resultOf(s, await runIn(again, t, w));
          again.close();
        }
      } else if (c.served >= MAX_SERVED || c.rss > cap / 2) {
        c.close();
        c = null;
      }
      results.set(s.name, r);
      target.onResult?.(r);
    }
    c?.close();
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(jobs, queue.length)) }, worker));
  first?.close();
  for (const c of spares) c.close();
  return makeReport(
    scenarios.map((s) => results.get(s.name)!),
    errors,
    Object.fromEntries(caps),
    seed,
  );
}
