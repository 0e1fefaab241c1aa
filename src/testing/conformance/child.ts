/**
 * A child process of the kit (pool.ts forks it): loads the filesystem
 * module, runs one task (the capability probes, or one scenario) and sends
 * the outcome over IPC. It tells the parent where it is every 250 ms (the
 * step, the requests waiting, its memory), so a child that dies or is
 * stopped still gets a report that says when. process.exit and
 * process.abort called by the filesystem are reported, with a stack,
 * before they take effect; such a report goes to stderr as one line
 * behind FATAL_MARK, written synchronously, so it survives the exit.
 */
import fs from 'node:fs';
import type { Opcode } from '../../protocol';
import { probeCapabilities } from './capabilities';
import type { ContextSettings, ScenarioContext } from './context';
import { deadlines, probeErrors } from './in-process';
import { UsageError, type Capability, type Failure, type Scenario } from './kit';
import { loadTarget } from './load';
import { catchUncaught, runScenario } from './run-scenario';
import { SCENARIOS } from './scenarios';
import { FATAL_MARK, type ChildMessage, type ChildTask } from './pool';

let current: ScenarioContext | null = null;
let done = false;
const realExit = process.exit.bind(process);
const realAbort = process.abort.bind(process);

function send(m: ChildMessage): Promise<void> {
  return new Promise((resolve) => {
    if (!process.send) return resolve();
    process.send(m, undefined, {}, () => resolve());
  });
}

function fatal(what: string): void {
  if (done) return;
  done = true;
  // The stack from the caller of process.exit/abort on: the frames of this module say nothing.
  const stack = (new Error(what).stack ?? '').split('\n').filter((l, i) => i === 0 || !l.includes(__filename)).join('\n');
  const m = { what, step: current?.stepName, waiting: current?.waiting().slice(0, 5) ?? [], stack };
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
  void send({ type: 'hb', step: current?.stepName, waiting: current?.waiting().slice(0, 5) ?? [], rss: process.memoryUsage.rss() });
}, 250).unref();

async function run(task: ChildTask): Promise<ChildMessage> {
  const errors: Failure[] = [];
  const release = catchUncaught((f) => errors.push(f));
  let target;
  try {
    target = await loadTarget(task.module, task.export);
  } catch (e) {
    release();
    if (e instanceof UsageError) return { type: 'usage', message: e.message };
    return { type: 'load-failed', message: e instanceof Error ? e.message : String(e), stack: e instanceof Error ? e.stack : undefined };
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
  try {
    if (task.kind === 'probe') {
      const wanted = new Set(task.wanted);
      const probe: Scenario = { name: 'capability probes', description: 'what the filesystem implements', run: (c) => probeCapabilities(c, wanted, caps) };
      const o = await runScenario(probe, t, settings, observe);
      return { type: 'probe', capabilities: [...caps], errors: [...probeErrors(o.result), ...errors], hung: o.hung };
    }
    const s = SCENARIOS.find((x) => x.name === task.scenario);
    if (!s) return { type: 'usage', message: `no scenario named ${task.scenario}` };
    const o = await runScenario(s, t, settings, observe);
    return { type: 'result', result: o.result, errors, hung: o.hung };
  } finally {
    release();
    target.cleanup();
  }
}

process.once('message', (task: ChildTask) => {
  void run(task).then(
    async (m) => {
      await send(m);
      done = true;
      realExit(0);
    },
    async (e: unknown) => {
      await send({ type: 'load-failed', message: `the kit's child failed: ${e instanceof Error ? e.message : String(e)}`, stack: e instanceof Error ? e.stack : undefined });
      done = true;
      realExit(1);
    },
  );
});
