/**
 * Runs one scenario in this process, bounded: its requests have deadlines,
 * the scenario has a wall-clock limit, and what the filesystem throws
 * outside a request (a timer, an AbortSignal listener, a rejection nobody
 * handles) is caught at the process level and charged to the scenario that
 * set it off. AsyncLocalStorage says which: timers, listeners and promise
 * chains carry the context of the code that created them; what carries
 * none (a throw from a queued microtask) goes to the most recent scenario
 * still running, and what arrives after every scenario ended goes to the
 * run's own errors.
 *
 * While any run is active, the process's other 'uncaughtException' and
 * 'unhandledRejection' listeners (a test runner's) are set aside and put
 * back after: the filesystem's errors are the kit's to report.
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import type { Opcode } from '../../protocol';
import { EmulatorClosed, RequestTimeout } from '../emulator';
import { ScenarioAborted, ScenarioContext, describeError, type ContextSettings, type ContextTarget } from './context';
import { ConformanceFailure, SkipScenario, type Failure, type Scenario, type ScenarioResult } from './kit';

interface Running {
  t: ScenarioContext;
  name: string;
}

/** How long after its end a scenario still owns what the filesystem throws (timers it set in its last requests). */
const SETTLE_MS = 10;

const als = new AsyncLocalStorage<Running>();
const running: Running[] = [];
/** Where errors that belong to no running scenario go, most recent run last. */
const sinks: ((f: Failure) => void)[] = [];
let saved: { uncaught: NodeJS.UncaughtExceptionListener[]; unhandled: NodeJS.UnhandledRejectionListener[] } | null = null;

function charge(e: unknown, how: string): void {
  const own = als.getStore();
  const r = own && running.includes(own) ? own : running[running.length - 1];
  if (r) {
    r.t.uncaught(e, how);
    return;
  }
  const after = own ? ` after scenario ${own.name} ended` : '';
  const f: Failure = { step: `${how}${after}`, expected: 'nothing thrown outside a request', got: describeError(e), stack: e instanceof Error ? e.stack : undefined };
  const sink = sinks[sinks.length - 1];
  if (sink) sink(f);
  else process.stderr.write(`devfuse conformance: ${f.step}: ${f.stack ?? f.got}\n`);
}

const onUncaught = (e: Error): void => charge(e, 'an exception thrown outside any request (a timer, a listener, a callback)');
const onUnhandled = (e: unknown): void => charge(e, 'a promise rejection nobody handled');

/** Takes over the process's uncaught-error events until the returned function is called. */
export function catchUncaught(sink: (f: Failure) => void): () => void {
  if (sinks.length === 0) {
    saved = { uncaught: process.listeners('uncaughtException'), unhandled: process.listeners('unhandledRejection') };
    process.removeAllListeners('uncaughtException');
    process.removeAllListeners('unhandledRejection');
    process.on('uncaughtException', onUncaught);
    process.on('unhandledRejection', onUnhandled);
  }
  sinks.push(sink);
  return () => {
    const i = sinks.lastIndexOf(sink);
    if (i >= 0) sinks.splice(i, 1);
    if (sinks.length || !saved) return;
    process.off('uncaughtException', onUncaught);
    process.off('unhandledRejection', onUnhandled);
    for (const l of saved.uncaught) process.on('uncaughtException', l);
    for (const l of saved.unhandled) process.on('unhandledRejection', l);
    saved = null;
  };
}

export interface Outcome {
  result: ScenarioResult;
  /** Opcodes that went unanswered past their deadline. */
  hung: Opcode[];
}

type InProcessTarget = ContextTarget;

/** Runs `s` to its end, abort or skip; never throws. */
export async function runScenario(s: Scenario, target: InProcessTarget, settings: ContextSettings, observe?: (t: ScenarioContext) => void): Promise<Outcome> {
  const t = new ScenarioContext(target, settings);
  observe?.(t);
  const started = performance.now();
  const me: Running = { t, name: s.name };
  running.push(me);
  const ms = settings.limits.scenarioMs;
  const wall = setTimeout(() => {
    const waiting = t.waiting(3);
    const step = t.stepName ? ` at step "${t.stepName}"` : '';
    t.abort({ step: 'scenario time', expected: `the scenario ends within ${ms} ms (limits.scenarioMs)`, got: `still running${step}${waiting.length ? `, waiting for ${waiting.join('; ')}` : ''}` });
  }, ms);
  let skipped: string | undefined;
  try {
    await Promise.race([als.run(me, () => s.run(t)), t.whenAborted()]);
    await Promise.race([t.settle(), t.whenAborted()]);
  } catch (e) {
    if (e instanceof SkipScenario) skipped = e.message || 'skipped by the scenario';
    else if (e instanceof ConformanceFailure) t.record(e.failure);
    else if (!(e instanceof ScenarioAborted) && !(t.aborted && (e instanceof EmulatorClosed || e instanceof RequestTimeout))) {
      const where = t.stepName ? `step: ${t.stepName}` : 'scenario';
      t.record({ step: where, expected: 'to run to the end', got: describeError(e), stack: e instanceof Error && !(e.name === 'VfsError') ? e.stack : undefined });
    }
    if (!t.aborted) await Promise.race([t.settle(), t.whenAborted()]).catch(() => undefined);
  }
  // A few more turns of the event loop: what the filesystem throws from its last callbacks and short timers lands here.
  await new Promise((r) => setTimeout(r, SETTLE_MS));
  await new Promise((r) => setImmediate(r));
  clearTimeout(wall);
  // Servers in other processes end here (DESTROY, close, exit; signals after a grace period), within the scenario's time.
  await t.release();
  running.splice(running.indexOf(me), 1);
  const failures = t.reported();
  const status = failures.length ? 'failed' : skipped !== undefined ? 'skipped' : 'passed';
  const output = status === 'failed' ? t.serverOutput() : undefined;
  return {
    result: { name: s.name, description: s.description, status, passed: status === 'passed', skipped: status === 'skipped' ? skipped : undefined, failures, ms: performance.now() - started, ...(output ? { output } : {}) },
    hung: [...t.hung],
  };
}

export function skippedResult(s: Scenario, reason: string): ScenarioResult {
  return { name: s.name, description: s.description, status: 'skipped', passed: false, skipped: reason, failures: [], ms: 0 };
}
