/**
 * The differential run: seeded random sequences of operations (fast-check),
 * each on a fresh filesystem under test and a fresh host directory, every
 * outcome compared, the trees compared at the end of each sequence. A
 * difference is shrunk to the shortest sequence that still shows one, and
 * that sequence is recorded as a trace (trace.ts's format) that
 * `devfuse trace replay` replays.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type * as FastCheck from 'fast-check';
import type { RecordedMessage } from '../../emulator';
import type { ScenarioContext } from '../context';
import { HostTree } from './host';
import { formatOp, formatOutcome, opArbitrary, prelude, sameOutcome, type Op, type OpSet, type Outcome } from './ops';
import { Subject } from './subject';

/** Operations in a run when --ops does not say (the scenario stays a few seconds long on memfs). */
export const DEFAULT_OPS = 2000;
/** The longest sequence generated: long enough for states that take many steps, short enough to shrink fast. */
const MAX_LENGTH = 60;

export interface Difference {
  /** Index of the operation whose outcomes differ, in the prelude and the sequence together; their length for the trees compared at the end. */
  index: number;
  what: string;
  host: string;
  subject: string;
}

export interface ModelResult {
  ops: number;
  runs: number;
  seed: number;
  /** The shortest failing sequence, its difference, and where its trace was written. */
  failure?: { prelude: Op[]; ops: Op[]; difference: Difference; trace?: string; shrinks: number };
}

/** One sequence on a fresh pair (the caller prepends the prelude); the first difference, or null. */
export async function runOnce(t: ScenarioContext, ops: readonly Op[], umask: number, record: RecordedMessage[][] | null): Promise<Difference | null> {
  // A turn of the event loop per sequence: against a filesystem that answers synchronously the whole run would
  // otherwise be one stretch of microtasks, and the runner's heartbeat would not get through.
  await new Promise<void>((r) => setImmediate(r));
  const v = await t.start();
  // The host runs the reference as this process; so does the emulated caller.
  v.k.caller = { ...v.k.caller, uid: process.getuid?.() ?? 0, gid: process.getgid?.() ?? 0 };
  if (record) record.push(v.k.record());
  const host = new HostTree();
  const subject = new Subject(v, umask);
  try {
    for (const [i, o] of ops.entries()) {
      const want: Outcome = host.run(o);
      const got: Outcome = await subject.run(o);
      if (!sameOutcome(want, got)) return { index: i, what: formatOp(o), host: formatOutcome(want), subject: formatOutcome(got) };
    }
    host.run({ op: 'close', slot: 0 });
    host.run({ op: 'close', slot: 1 });
    await subject.closeAll();
    const a = host.snapshot();
    const b = await subject.snapshot();
    for (const name of new Set([...a.keys(), ...b.keys()])) {
      const x = a.get(name) ?? 'absent';
      const y = b.get(name) ?? 'absent';
      if (x !== y) return { index: ops.length, what: `the tree after the last operation: ${name}`, host: x, subject: y };
    }
    return null;
  } finally {
    host.dispose();
  }
}

/** The ops both sides can do: the filesystem's capabilities and the host directory's. */
function opSet(t: ScenarioContext, host: { xattr: boolean; renameFlags: boolean }): OpSet {
  return { symlink: t.has('symlink'), link: t.has('link'), xattr: t.has('xattr') && host.xattr, renameFlags: t.has('rename2') && host.renameFlags };
}

export async function runModel(t: ScenarioContext, fc: typeof FastCheck): Promise<ModelResult> {
  const total = t.ops ?? DEFAULT_OPS;
  const seed = t.seed | 0;
  const probe = new HostTree();
  const host = probe.probe();
  probe.dispose();
  const set = opSet(t, host);
  const start = prelude(set);
  const umask = process.umask();
  let ran = 0;
  let runs = 0;
  let shrinking = false;
  let last: Difference | null = null;
  const arb = fc.array(opArbitrary(fc, set), { minLength: 1, maxLength: MAX_LENGTH, size: 'max' });
  const property = fc.asyncProperty(arb, async (ops) => {
    if (!shrinking) {
      ran += ops.length;
      runs++;
    }
    t.step(`model: ${shrinking ? 'shrinking' : `run ${runs}`}, ${ops.length} operations (seed ${seed})`);
    const d = await runOnce(t, [...start, ...ops], umask, null);
    if (d) {
      shrinking = true;
      last = d;
      return false;
    }
    return true;
  });
  // Runs until about `total` operations ran: sequences average half the longest.
  const numRuns = Math.max(1, Math.ceil(total / (MAX_LENGTH / 2)));
  const details = await fc.check(property, { seed, numRuns });
  const result: ModelResult = { ops: ran, runs, seed };
  if (!details.failed) return result;
  let shortest = (details.counterexample?.[0] ?? []) as Op[];
  if (details.errorInstance && !last) throw details.errorInstance;
  // fast-check's shrinking can stop at a local minimum: drop single operations while the difference stays.
  for (let i = 0; i < shortest.length; ) {
    const fewer = [...shortest.slice(0, i), ...shortest.slice(i + 1)];
    t.step(`model: trying the failing sequence without operation ${i + 1} of ${shortest.length}`);
    if (await runOnce(t, [...start, ...fewer], umask, null)) shortest = fewer;
    else i++;
  }
  // Once more, recorded, for the trace and the exact difference of the shortest sequence.
  const record: RecordedMessage[][] = [];
  t.step(`model: recording the shortest failing sequence (${shortest.length} operations)`);
  const difference = (await runOnce(t, [...start, ...shortest], umask, record)) ?? last!;
  const trace = writeTrace(record[0] ?? [], seed, [...start, ...shortest], difference);
  result.failure = { prelude: start, ops: shortest, difference, trace, shrinks: details.numShrinks };
  return result;
}

/** The recording in trace.ts's format: a header line, then one message per line. */
function writeTrace(messages: RecordedMessage[], seed: number, ops: readonly Op[], d: Difference): string | undefined {
  if (messages.length === 0) return undefined;
  const file = path.join(os.tmpdir(), `devfuse-model-${seed >>> 0}-${process.pid}.trace`);
  const head = { devfuse_trace: 1, started: new Date().toISOString(), model: { seed, ops: ops.map(formatOp), difference: d } };
  const lines = [JSON.stringify(head), ...messages.map((m) => JSON.stringify({ t: m.t, dir: m.dir, data: m.data.toString('base64'), ...(m.dir === 'out' ? { err: 0 } : {}) }))];
  fs.writeFileSync(file, lines.join('\n') + '\n');
  return file;
}
