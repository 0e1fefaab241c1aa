/**
 * runConformance({ module }): each scenario in a child process of its own
 * (child.ts), `jobs` at a time, each under a memory cap (V8's heap limit,
 * and the resident size read from /proc every 20 ms, which also catches
 * Buffers outside the heap) and watched for a blocked event loop (no
 * heartbeat for the request timeout plus 2 s) and for time (the scenario's
 * limit plus 5 s). A child that crashes, exits, runs out of memory or is
 * stopped fails its scenario with what happened, the step it was at, the
 * requests it was waiting for and the tail of its output; the run goes on.
 */
import { fork } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Opcode } from '../../protocol';
import type { SessionOptions } from '../../server/options';
import type { Limits } from '../limits';
import { unmetNeed, wantedBy } from './capabilities';
import { resolveRun } from './in-process';
import { UsageError, type Capability, type Failure, type ModuleTarget, type Report, type Scenario, type ScenarioResult } from './kit';
import { makeReport } from './report';
import { skippedResult } from './run-scenario';
import { SCENARIOS } from './scenarios';

export interface ChildTask {
  kind: 'probe' | 'scenario';
  module: string;
  export?: string;
  scenario?: string;
  wanted?: Capability[];
  limits: Limits;
  seed: number;
  ops?: number;
  session?: SessionOptions;
  capabilities: [Capability, string | null][];
  hung: [Opcode, string][];
}

export type ChildMessage =
  | { type: 'hb'; step?: string; waiting: string[]; rss: number }
  | { type: 'req'; what: string }
  | { type: 'step'; step: string }
  | { type: 'result'; result: ScenarioResult; errors: Failure[]; hung: Opcode[] }
  | { type: 'probe'; capabilities: [Capability, string | null][]; errors: Failure[]; hung: Opcode[] }
  | { type: 'usage'; message: string }
  | { type: 'load-failed'; message: string; stack?: string };

/** How a child ended, as the parent saw it. */
interface ChildEnd {
  message: Extract<ChildMessage, { type: 'result' | 'probe' | 'usage' | 'load-failed' }> | null;
  /** The last request the child was about to hand the server. */
  lastRequest?: string;
  code: number | null;
  signal: NodeJS.Signals | null;
  /** Why the parent stopped it, if it did. */
  stopped: string | null;
  step?: string;
  waiting: string[];
  peakRss: number;
  fatal: { what: string; step?: string; waiting: string[]; stack?: string } | null;
  output: string;
}

/** Starts the line a dying child writes to stderr about its death (child.ts). */
export const FATAL_MARK = '\u0001devfuse-kit-fatal ';

const MIB = 1 << 20;
const SHORT_BLOCKED_MS = 1000;
const OUTPUT_TAIL = 4096;

function rssOf(pid: number): number {
  try {
    const statm = fs.readFileSync(`/proc/${pid}/statm`, 'latin1').split(' ');
    return Number(statm[1]) * 4096;
  } catch {
    return 0;
  }
}

function runChild(task: ChildTask, memoryCap: number, blockedMs: number): Promise<ChildEnd> {
  const heapMib = Math.max(64, Math.floor(memoryCap / MIB));
  const child = fork(path.join(__dirname, 'child.js'), [], { execArgv: [`--max-old-space-size=${heapMib}`], stdio: ['ignore', 'pipe', 'pipe', 'ipc'], serialization: 'json' });
  const end: ChildEnd = { message: null, code: null, signal: null, stopped: null, waiting: [], peakRss: 0, fatal: null, output: '' };
  let output = '';
  const keep = (d: Buffer): void => {
    output = (output + d.toString('utf8')).slice(-4 * OUTPUT_TAIL);
  };
  child.stdout!.on('data', keep);
  child.stderr!.on('data', keep);
  let lastBeat = Date.now();
  const started = Date.now();
  const stop = (why: string): void => {
    if (end.stopped || end.message) return;
    end.stopped = why;
    child.kill('SIGKILL');
  };
  const watch = setInterval(() => {
    if (child.pid === undefined) return;
    const rss = rssOf(child.pid);
    end.peakRss = Math.max(end.peakRss, rss);
    if (rss > memoryCap) stop(`memory: resident size ${Math.round(rss / MIB)} MiB passed the cap of ${Math.round(memoryCap / MIB)} MiB`);
    else if (Date.now() - lastBeat > blockedMs) stop(`blocked: no sign of life for ${blockedMs} ms (its event loop never turned: a synchronous loop?), resident size ${Math.round(rss / MIB)} MiB${blockedMs < task.limits.timeoutMs ? ' (a watch shortened after an earlier child blocked)' : ''}`);
    else if (Date.now() - started > task.limits.scenarioMs + 5000) stop(`time: still running after ${task.limits.scenarioMs + 5000} ms`);
  }, 20);
  child.on('message', (m: ChildMessage) => {
    lastBeat = Date.now();
    if (m.type === 'hb') {
      end.step = m.step;
      end.waiting = m.waiting;
    } else if (m.type === 'req') {
      end.lastRequest = m.what;
    } else if (m.type === 'step') {
      end.step = m.step;
    } else {
      end.message = m;
    }
  });
  child.on('error', (e) => keep(Buffer.from(`\n[kit] ${e.message}\n`)));
  child.send(task);
  return new Promise((resolve) => {
    child.on('close', (code, signal) => {
      clearInterval(watch);
      end.code = code;
      end.signal = signal;
      const lines: string[] = [];
      for (const l of output.split('\n')) {
        const i = l.indexOf(FATAL_MARK);
        if (i < 0) lines.push(l);
        else {
          try {
            end.fatal = JSON.parse(l.slice(i + FATAL_MARK.length)) as ChildEnd['fatal'];
          } catch {
            lines.push(l);
          }
        }
      }
      end.output = lines.join('\n').trim().slice(-OUTPUT_TAIL);
      resolve(end);
    });
  });
}

/** What happened to a child that sent no outcome, as a failure. */
function deathOf(e: ChildEnd, cap: number): Failure {
  const step = e.fatal?.step ?? e.step;
  const waiting = e.fatal?.waiting.length ? e.fatal.waiting : e.waiting;
  const last = e.lastRequest && !waiting.includes(e.lastRequest) ? `; the last request handed to the filesystem: ${e.lastRequest}` : '';
  const at = `${step ? ` at step "${step}"` : ''}${waiting.length ? `, waiting for ${waiting.join('; ')}` : ''}${last}`;
  if (e.stopped?.startsWith('memory')) return { step: 'memory', expected: `resident memory under ${Math.round(cap / MIB)} MiB (limits.memoryBytes shared by the jobs)`, got: `${e.stopped}${at}; the process was stopped` };
  if (/heap out of memory|Reached heap limit/.test(e.output)) return { step: 'memory', expected: `the JavaScript heap under ${Math.round(cap / MIB)} MiB`, got: `the process ran out of JavaScript heap${at}` };
  if (e.stopped?.startsWith('blocked')) return { step: 'event loop', expected: 'the event loop free to turn', got: `${e.stopped}${at}` };
  if (e.stopped) return { step: 'scenario time', expected: 'the scenario ends in time', got: `${e.stopped}${at}` };
  if (e.fatal) return { step: 'process', expected: 'the process lives to the end of the scenario', got: `${e.fatal.what}${at}`, stack: e.fatal.stack };
  const how = e.signal ? `was killed by ${e.signal}` : `exited with code ${e.code}`;
  return { step: 'process', expected: 'the process lives to the end of the scenario', got: `the process ${how}${at}` };
}

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

  // The probe child also loads the module first: a missing module or export is a usage error, before any scenario.
  // No sign of life for the request timeout and 2 s is a blocked event loop; once one child was
  // stopped for it the run has failed, and every further child that blocks is stopped after 1 s.
  let blockedMs = limits.timeoutMs + 2000;
  const child = async (t: ChildTask): Promise<ChildEnd> => {
    const e = await runChild(t, cap, blockedMs);
    if (e.stopped?.startsWith('blocked')) blockedMs = Math.min(blockedMs, SHORT_BLOCKED_MS);
    return e;
  };
  const p = await child(task({ kind: 'probe', wanted: [...wantedBy(scenarios)] }));
  const pm = p.message;
  if (pm?.type === 'usage') throw new UsageError(pm.message);
  if (pm?.type === 'load-failed') {
    errors.push({ step: `loading ${target.module}`, expected: 'the module loads', got: pm.message, stack: pm.stack });
    return makeReport([], errors, {}, seed);
  }
  if (pm?.type === 'probe') {
    for (const [c, why] of pm.capabilities) caps.set(c, why);
    errors.push(...pm.errors);
    for (const op of pm.hung) hung.set(op, 'capability probes');
  } else {
    errors.push({ ...deathOf(p, cap), step: `capability probes: ${deathOf(p, cap).step}` });
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
  const worker = async (): Promise<void> => {
    for (let s = queue.shift(); s; s = queue.shift()) {
      const started = performance.now();
      const e = await child(task({ kind: 'scenario', scenario: s.name }));
      let r: ScenarioResult;
      const m = e.message;
      if (m?.type === 'result') {
        r = m.result;
        errors.push(...m.errors);
        for (const op of m.hung) if (!hung.has(op)) hung.set(op, s.name);
      } else {
        const f = m?.type === 'usage' || m?.type === 'load-failed' ? { step: 'loading the module', expected: 'it loads', got: m.message } : deathOf(e, cap);
        r = { name: s.name, description: s.description, status: 'failed', passed: false, failures: [f], ms: performance.now() - started, output: e.output || undefined };
      }
      if (r.status === 'failed' && e.output && !r.output) r.output = e.output;
      results.set(s.name, r);
      target.onResult?.(r);
    }
  };
  await Promise.all(Array.from({ length: Math.min(jobs, queue.length) }, worker));
  return makeReport(
    scenarios.map((s) => results.get(s.name)!),
    errors,
    Object.fromEntries(caps),
    seed,
  );
}
