/**
 * runConformance({ make }): every scenario in this process, one after
 * another (run-scenario.ts bounds each). What this cannot survive, a child
 * process can (pool.ts): a filesystem that calls process.exit, blocks the
 * event loop in a synchronous loop, or allocates past the memory limit
 * between two requests.
 */
import type { Opcode } from '../../protocol';
import { DEFAULT_LIMITS, resolveLimits, type Limits } from '../limits';
import { probeCapabilities, unmetNeed, wantedBy } from './capabilities';
import type { ContextSettings, ExternalTarget } from './context';
import { UsageError, type Capability, type ConformanceTarget, type Failure, type Report, type RunOptions, type Scenario, type ScenarioResult } from './kit';
import { makeReport } from './report';
import { catchUncaught, runScenario, skippedResult } from './run-scenario';
import { SCENARIOS } from './scenarios';

/** A deadline for an opcode that already hung once in this run: the run has failed, and each further wait would cost the whole timeout. */
export const SHORT_DEADLINE_MS = 500;

/** Limits, seed and scenario selection from the run options; UsageError for unknown scenario names. */
export function resolveRun(o: RunOptions, all: readonly Scenario[]): { limits: Limits; seed: number; scenarios: Scenario[] } {
  // A deeper randomized run (--ops) gets the time it asks for: 5 ms an operation, unless scenarioMs is given.
  const deeper = o.ops !== undefined && o.limits?.scenarioMs === undefined ? { scenarioMs: Math.max(DEFAULT_LIMITS.scenarioMs, o.ops * 5) } : {};
  const limits = resolveLimits({ ...deeper, ...o.limits, ...(o.timeout !== undefined ? { timeoutMs: o.timeout } : {}) });
  const seed = o.seed ?? Math.floor(Math.random() * 0x7fffffff);
  if (!Number.isSafeInteger(seed) || seed < 0) throw new UsageError(`the seed must be a non-negative integer, got ${String(o.seed)}`);
  if (o.ops !== undefined && (!Number.isSafeInteger(o.ops) || o.ops <= 0)) throw new UsageError(`ops must be a positive integer, got ${String(o.ops)}`);
  const unknown = (o.only ?? []).filter((n) => !all.some((s) => s.name === n));
  if (unknown.length) throw new UsageError(`no scenario named ${unknown.join(', ')} (--list names them)`);
  const scenarios = o.only ? all.filter((s) => o.only!.includes(s.name)) : [...all];
  return { limits, seed, scenarios };
}

/** Deadlines per opcode, shortened for opcodes already seen hanging. */
export function deadlines(limits: Limits, hung: ReadonlyMap<Opcode, string>): (op: Opcode) => number {
  return (op) => (hung.has(op) ? Math.min(limits.timeoutMs, SHORT_DEADLINE_MS) : limits.timeoutMs);
}

/** Failures of the probe run become the run's errors, named as such. */
export function probeErrors(r: ScenarioResult): Failure[] {
  return r.failures.map((f) => ({ ...f, step: `capability probe: ${f.step}` }));
}

/** An external server's run (exec/run.ts): the same loop, its servers reached through `connect`. */
export type ExternalRun = ExternalTarget & RunOptions & { scenarios?: readonly Scenario[] };

/** Runs the scenarios one after another in this process (an external server's internal scenarios are skipped: unmetNeed). */
export async function runInProcess(target: ConformanceTarget | ExternalRun): Promise<Report> {
  const reach = { filesystemObject: !('connect' in target) };
  const { limits, seed, scenarios } = resolveRun(target, target.scenarios ?? SCENARIOS);
  const errors: Failure[] = [];
  const release = catchUncaught((f) => void (errors.length < 1000 && errors.push(f)));
  const caps = new Map<Capability, string | null>();
  const hung = new Map<Opcode, string>();
  const results: ScenarioResult[] = [];
  const settings = (): ContextSettings => ({ limits, seed, ops: target.ops, capabilities: caps, timeoutFor: deadlines(limits, hung) });
  try {
    const wanted = wantedBy(scenarios.filter((s) => reach.filesystemObject || !s.internal));
    if (wanted.size) {
      const probe: Scenario = { name: 'capability probes', description: 'what the filesystem implements', run: (t) => probeCapabilities(t, wanted, caps) };
      const o = await runScenario(probe, target, settings());
      errors.push(...probeErrors(o.result));
      for (const op of o.hung) hung.set(op, probe.name);
    }
    for (const s of scenarios) {
      const reason = unmetNeed(s, caps, reach);
      const o = reason ? { result: skippedResult(s, reason), hung: [] } : await runScenario(s, target, settings());
      for (const op of o.hung) if (!hung.has(op)) hung.set(op, s.name);
      results.push(o.result);
      target.onResult?.(o.result);
    }
  } finally {
    release();
  }
  return makeReport(results, errors, Object.fromEntries(caps), seed);
}
