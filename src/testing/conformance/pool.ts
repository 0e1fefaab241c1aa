/**
 * runConformance({ module }): scenarios in child processes (child.ts),
 * `jobs` at a time, each child under a memory cap (V8's heap limit, and
 * the resident size read from /proc every 20 ms, which also catches Buffers
 * outside the heap) and watched for a blocked event loop (no sign of life
 * for the request timeout plus 2 s) and for time (the scenario's limit
 * plus 5 s). A child that crashes, exits, runs out of memory or is stopped
 * fails the scenario it was running with what happened, the step it was
 * at, the requests it was waiting for and the tail of its output; the run
 * goes on in a fresh child.
 *
 * A child serves scenarios one after another while they pass (starting a
 * process per scenario cost more than the scenarios themselves: 20 s
 * against 2 s for 46 scenarios on memfs). A scenario that fails in a child
 * that served others before is run again in a fresh one, whose result is
 * the one reported, so what a scenario is blamed for never comes from what
 * an earlier one left in the process; a child that saw a failure is not
 * used again, nor one past half its memory cap or 16 scenarios.
 */
import { fork, type ChildProcess } from 'node:child_process';
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

type Outcome = Extract<ChildMessage, { type: 'result' | 'probe' | 'usage' | 'load-failed' }>;

/** What a child is watched for during a task: this long without a sign of life is a blocked event loop; this much resident memory is too much. */
interface Watch {
  blockedMs: number;
  rssCap: number;
}

/** How one task in a child ended, as the parent saw it. */
interface TaskEnd {
  message: Outcome | null;
  /** The child is gone (or was stopped). */
  died: boolean;
  code: number | null;
  signal: NodeJS.Signals | null;
  /** Why the parent stopped it, if it did. */
  stopped: string | null;
  step?: string;
  waiting: string[];
  /** The last request the child was about to hand the server. */
  lastRequest?: string;
  fatal: { what: string; step?: string; waiting: string[]; stack?: string } | null;
  /** The child's stdout and stderr during this task (its tail). */
  output: string;
  ms: number;
  /** The resident-memory cap it ran under. */
  rssCap: number;
}

/** Starts the line a dying child writes to stderr about its death (child.ts). */
export const FATAL_MARK = '\u0001devfuse-kit-fatal ';

const MIB = 1 << 20;
const SHORT_BLOCKED_MS = 1000;
const LOW_RSS_CAP = 256 * MIB;
const OUTPUT_TAIL = 4096;
const MAX_SERVED = 16;

function rssOf(pid: number): number {
  try {
    const statm = fs.readFileSync(`/proc/${pid}/statm`, 'latin1').split(' ');
    return Number(statm[1]) * 4096;
  } catch {
    return 0;
  }
}

/** The child's output without the fatal-report lines, and the report they carried. */
function splitFatal(output: string): { output: string; fatal: TaskEnd['fatal'] } {
  let fatal: TaskEnd['fatal'] = null;
  const lines: string[] = [];
  for (const l of output.split('\n')) {
    const i = l.indexOf(FATAL_MARK);
    if (i < 0) {
      lines.push(l);
      continue;
    }
    try {
      fatal = JSON.parse(l.slice(i + FATAL_MARK.length)) as TaskEnd['fatal'];
    } catch {
      lines.push(l);
    }
  }
  return { output: lines.join('\n').trim().slice(-OUTPUT_TAIL), fatal };
}

/** One child process and the task it is running. */
class Child {
  private readonly proc: ChildProcess;
  private output = '';
  /** Characters of output seen in all: where each task's share starts. */
  private total = 0;
  private lastBeat = Date.now();
  private task: { end: TaskEnd; started: number; from: number; limits: Limits; watch: Watch; resolve: (e: TaskEnd) => void } | null = null;
  private readonly watch: NodeJS.Timeout;
  alive = true;
  served = 0;
  rss = 0;

  constructor(
    private readonly cap: number,
    /** Told when the child dies between tasks (what its filesystem did after a scenario ended). */
    private readonly idleDeath: (f: Failure) => void,
  ) {
    const heapMib = Math.max(64, Math.floor(cap / MIB));
    this.proc = fork(path.join(__dirname, 'child.js'), [], { execArgv: [`--max-old-space-size=${heapMib}`], stdio: ['ignore', 'pipe', 'pipe', 'ipc'], serialization: 'json' });
    const keep = (d: Buffer): void => {
      const text = d.toString('utf8');
      this.total += text.length;
      this.output = (this.output + text).slice(-4 * OUTPUT_TAIL);
    };
    this.proc.stdout!.on('data', keep);
    this.proc.stderr!.on('data', keep);
    this.proc.on('error', (e) => keep(Buffer.from(`\n[kit] ${e.message}\n`)));
    this.proc.on('message', (m: ChildMessage) => this.onMessage(m));
    this.proc.on('close', (code, signal) => this.onClose(code, signal));
    this.watch = setInterval(() => this.check(), 20);
  }

  /** Runs one task under `watch`. */
  run(t: ChildTask, watch: Watch): Promise<TaskEnd> {
    return new Promise((resolve) => {
      const end: TaskEnd = { message: null, died: false, code: null, signal: null, stopped: null, waiting: [], fatal: null, output: '', ms: 0, rssCap: watch.rssCap };
      this.task = { end, started: Date.now(), from: this.total, limits: t.limits, watch, resolve };
      this.lastBeat = Date.now();
      this.served++;
      this.proc.send(t);
    });
  }

  /** Loads the module ahead of the first task (a spare waiting for its turn). */
  warm(module: string, exportName?: string): void {
    this.proc.send({ kind: 'warm', module, export: exportName });
  }

  close(): void {
    if (!this.alive) return;
    if (this.proc.connected) this.proc.send({ kind: 'exit' });
    // One that does not go by itself within a second is stopped.
    setTimeout(() => this.proc.kill('SIGKILL'), 1000).unref();
  }

  private stop(why: string): void {
    const t = this.task;
    if (!t || t.end.stopped || t.end.message) return;
    t.end.stopped = why;
    this.proc.kill('SIGKILL');
  }

  private check(): void {
    if (this.proc.pid === undefined || !this.alive) return;
    this.rss = rssOf(this.proc.pid);
    const t = this.task;
    if (!t) return;
    const { blockedMs: blocked, rssCap } = t.watch;
    const mib = (n: number): number => Math.round(n / MIB);
    if (this.rss > rssCap) this.stop(`memory: resident size ${mib(this.rss)} MiB passed the cap of ${mib(rssCap)} MiB${rssCap < this.cap ? ' (a cap lowered after an earlier child passed it)' : ''}`);
    else if (Date.now() - this.lastBeat > blocked) this.stop(`blocked: no sign of life for ${blocked} ms (its event loop never turned: a synchronous loop?), resident size ${mib(this.rss)} MiB${blocked < t.limits.timeoutMs ? ' (a watch shortened after an earlier child blocked)' : ''}`);
    else if (Date.now() - t.started > t.limits.scenarioMs + 5000) this.stop(`time: still running after ${t.limits.scenarioMs + 5000} ms`);
  }

  private onMessage(m: ChildMessage): void {
    this.lastBeat = Date.now();
    const t = this.task;
    if (!t) return;
    if (m.type === 'hb') {
      t.end.step = m.step;
      t.end.waiting = m.waiting;
    } else if (m.type === 'req') {
      t.end.lastRequest = m.what;
    } else if (m.type === 'step') {
      t.end.step = m.step;
    } else {
      t.end.message = m;
      this.settle();
    }
  }

  private onClose(code: number | null, signal: NodeJS.Signals | null): void {
    this.alive = false;
    clearInterval(this.watch);
    const t = this.task;
    if (!t) {
      // A spare that died before its first task: that task, in another child, will say why.
      if (code !== 0 && this.served > 0) {
        const { output, fatal } = splitFatal(this.output);
        this.idleDeath({ step: 'process', expected: 'the child lives until told to go', got: `between scenarios, ${fatal?.what ?? `the child ${signal ? `was killed by ${signal}` : `exited with code ${code}`}`}`, stack: fatal?.stack ?? (output || undefined) });
      }
      return;
    }
    t.end.died = true;
    t.end.code = code;
    t.end.signal = signal;
    this.settle();
  }

  private settle(): void {
    const t = this.task;
    if (!t) return;
    this.task = null;
    const since = this.total - t.from;
    const { output, fatal } = splitFatal(since > 0 ? this.output.slice(-since) : '');
    t.end.output = output;
    t.end.fatal = fatal;
    t.end.ms = Date.now() - t.started;
    t.resolve(t.end);
  }
}

/** What happened to a child that sent no outcome, as a failure. */
function deathOf(e: TaskEnd, cap: number): Failure {
  const step = e.fatal?.step ?? e.step;
  const waiting = e.fatal?.waiting.length ? e.fatal.waiting : e.waiting;
  const last = e.lastRequest && !waiting.includes(e.lastRequest) ? `; the last request handed to the filesystem: ${e.lastRequest}` : '';
  const at = `${step ? ` at step "${step}"` : ''}${waiting.length ? `, waiting for ${waiting.join('; ')}` : ''}${last}`;
  if (e.stopped?.startsWith('memory')) return { step: 'memory', expected: `resident memory under ${Math.round(e.rssCap / MIB)} MiB (limits.memoryBytes shared by the jobs)`, got: `${e.stopped}${at}; the process was stopped` };
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
