/**
 * The parent's handle on one child process of the kit: it forks child.ts
 * with V8's heap limit, sends it tasks one at a time, reads its progress,
 * and watches it (resident size every 20 ms, signs of life, time). How a
 * task ended, and what to say about a child that sent no outcome.
 */
import { fork, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import type { Limits } from '../limits';
import type { Failure } from './kit';
import { FATAL_MARK, type ChildMessage, type ChildTask, type Outcome } from './ipc';

/** What a child is watched for during a task: this long without a sign of life is a blocked event loop; this much resident memory is too much. */
export interface Watch {
  blockedMs: number;
  rssCap: number;
}

/** How one task in a child ended, as the parent saw it. */
export interface TaskEnd {
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

const MIB = 1 << 20;
const OUTPUT_TAIL = 4096;

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
export class Child {
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
export function deathOf(e: TaskEnd, cap: number): Failure {
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
