/**
 * A child process of the kit (pool.ts forks it): loads the filesystem
 * module once, then runs the tasks the parent sends, one at a time (the
 * capability probes, or one scenario), each sent back over IPC as it ends.
 * It tells the parent where it is: the step, each request just before the
 * filesystem gets it, and every 250 ms a heartbeat with the requests
 * waiting, so a child that dies or is stopped still gets a report saying
 * when. process.exit and process.abort called by the filesystem are
 * reported, with a stack, before they take effect; that report goes to
 * stderr as one line behind FATAL_MARK, written synchronously, so it
 * survives the exit.
 */
import fs from 'node:fs';
import type { Opcode } from '../../protocol';
import { probeCapabilities } from './capabilities';
import type { ContextSettings, ScenarioContext } from './context';
import { deadlines, probeErrors } from './in-process';
import { UsageError, type Capability, type Failure, type Scenario } from './kit';
import { loadTarget, type LoadedTarget } from './load';
import { catchUncaught, runScenario } from './run-scenario';
import { SCENARIOS } from './scenarios';
import { FATAL_MARK, type ChildMessage, type ChildTask } from './ipc';

let current: ScenarioContext | null = null;
/** A task is running: an exit now is the filesystem's doing. */
let busy = false;
const realExit = process.exit.bind(process);
const realAbort = process.abort.bind(process);

function send(m: ChildMessage): Promise<void> {
  return new Promise((resolve) => {
    if (!process.send || !process.connected) return resolve();
    process.send(m, undefined, {}, () => resolve());
  });
}

function fatal(what: string): void {
  if (!busy) return;
  busy = false;
  // The stack from the caller of process.exit/abort on: the frames of this module say nothing.
  const stack = (new Error(what).stack ?? '').split('\n').filter((l, i) => i === 0 || !l.includes(__filename)).join('\n');
  const m = { what, step: current?.stepName, waiting: current?.waiting() ?? [], stack };
  try {
    fs.writeSync(2, `\n${FATAL_MARK}${JSON.stringify(m)}\n`);
  } catch {
    // stderr closed: the parent still sees the exit
  }
}

process.exit = ((code?: number | string | null) => {
  fatal(`process.exit(${code ?? ''}) was called`);
  realExit(code ?? undefined);
}) as typeof process.exit;
process.abort = (() => {
  fatal('process.abort() was called');
  realAbort();
}) as typeof process.abort;
process.on('exit', (code) => fatal(`the process exited with code ${code} before the scenario ended (its event loop ran empty with work still promised?)`));

setInterval(() => {
  void send({ type: 'hb', step: current?.stepName, waiting: current?.waiting() ?? [], rss: process.memoryUsage.rss() });
}, 250).unref();

/** What is thrown outside any scenario (after one ended) goes back with the next result. */
const orphans: Failure[] = [];
catchUncaught((f) => void (orphans.length < 1000 && orphans.push(f)));

let target: LoadedTarget | null = null;

async function run(task: ChildTask): Promise<ChildMessage> {
  if (!target) {
    try {
      target = await loadTarget(task.module, task.export);
    } catch (e) {
      if (e instanceof UsageError) return { type: 'usage', message: e.message };
      return { type: 'load-failed', message: e instanceof Error ? e.message : String(e), stack: e instanceof Error ? e.stack : undefined };
    }
  }
  const caps = new Map<Capability, string | null>(task.capabilities);
  const hung = new Map<Opcode, string>(task.hung);
  const settings: ContextSettings = {
    limits: task.limits, seed: task.seed, ops: task.ops, capabilities: caps, timeoutFor: deadlines(task.limits, hung),
    // Sent before the server gets each request: if it never returns (a synchronous loop, a runaway allocation), the parent knows which.
    onSend: (p) => void send({ type: 'req', what: p.what() }),
    onStep: (step) => void send({ type: 'step', step }),
  };
  const t = { ...target, session: task.session };
  const observe = (c: ScenarioContext): void => {
    current = c;
  };
  const errors = (): Failure[] => orphans.splice(0);
  if (task.kind === 'probe') {
    const wanted = new Set(task.wanted);
    const probe: Scenario = { name: 'capability probes', description: 'what the filesystem implements', run: (c) => probeCapabilities(c, wanted, caps) };
    const o = await runScenario(probe, t, settings, observe);
    return { type: 'probe', capabilities: [...caps], errors: [...probeErrors(o.result), ...errors()], hung: o.hung };
  }
  const s = SCENARIOS.find((x) => x.name === task.scenario);
  if (!s) return { type: 'usage', message: `no scenario named ${task.scenario}` };
  const o = await runScenario(s, t, settings, observe);
  return { type: 'result', result: o.result, errors: errors(), hung: o.hung };
}

let queue = Promise.resolve();
process.on('message', (task: ChildTask | { kind: 'exit' } | { kind: 'warm'; module: string; export?: string }) => {
  queue = queue.then(async () => {
    if (task.kind === 'exit') {
      target?.cleanup();
      realExit(0);
    }
    if (task.kind === 'warm') {
      // A spare child loads the module before it is needed; a failure to load is told with its first task.
      target ??= await loadTarget(task.module, task.export).catch(() => null);
      return;
    }
    busy = true;
    let m: ChildMessage;
    try {
      m = await run(task as ChildTask);
    } catch (e) {
      m = { type: 'load-failed', message: `the kit's child failed: ${e instanceof Error ? e.message : String(e)}`, stack: e instanceof Error ? e.stack : undefined };
    }
    busy = false;
    current = null;
    await send(m);
  });
});
process.on('disconnect', () => {
  target?.cleanup();
  realExit(0);
});
