/**
 * The conformance kit: a battery of scenarios every FUSE filesystem should
 * pass, run through the kernel emulator (no kernel, no mount), with a report
 * a person can act on: which scenario, which request, what was expected,
 * what came back.
 *
 *   const report = await runConformance({ make: () => memfs() });
 *   console.log(formatReport(report));
 *
 * Each scenario gets a fresh filesystem from `make`, so they are independent.
 * Besides its own checks, every scenario fails on any protocol violation the
 * emulator saw and on any disagreement of the lookup ledgers.
 */
import type { Filesystem } from '../../api/filesystem';
import type { MemoryChannel, Session, SessionOptions } from '../../server/index';
import { KernelEmulator, type InitParams } from '../emulator';
import { Vfs, VfsError } from '../vfs';
import { SCENARIOS } from './scenarios';

/** What the kit can see of a filesystem beyond the protocol, when the filesystem offers it. */
export interface Inspect {
  /** Inodes the filesystem still holds (for leak checks after the last FORGET). */
  liveInodes(): number;
}

export interface ConformanceTarget {
  /** A fresh filesystem per scenario. */
  make: () => Filesystem;
  /** Optional introspection of the instance `make` returned. */
  inspect?: (fs: Filesystem) => Inspect | undefined;
  /** Session options for every scenario (scenarios may add their own). */
  session?: SessionOptions;
  /** Run the server under test in a session of your own (to test other servers, or broken ones). */
  makeSession?: (fs: Filesystem, channel: MemoryChannel, options: SessionOptions) => Session;
  /** Only these scenarios (by name). */
  only?: readonly string[];
}

export interface Failure {
  /** The request or step: "RENAME2 /a → /b (RENAME_NOREPLACE)". */
  step: string;
  expected: string;
  got: string;
}

export interface ScenarioResult {
  name: string;
  description: string;
  passed: boolean;
  skipped?: string;
  failures: Failure[];
  ms: number;
}

export interface Report {
  results: ScenarioResult[];
  passed: number;
  failed: number;
  skipped: number;
}

/** Thrown by a scenario step; collected into the report. */
export class ConformanceFailure extends Error {
  constructor(readonly failure: Failure) {
    super(`${failure.step}: expected ${failure.expected}, got ${failure.got}`);
  }
}

export class SkipScenario extends Error {}

/** What a scenario works with. */
export class ScenarioContext {
  readonly failures: Failure[] = [];
  private current: { vfs: Vfs; fs: Filesystem } | null = null;

  constructor(private readonly target: ConformanceTarget) {}

  /** A fresh filesystem, INIT done. Scenarios that need several (e.g. per minor) call it again. */
  async start(opts: { session?: SessionOptions; init?: InitParams; wrap?: (fs: Filesystem) => Filesystem } = {}): Promise<Vfs> {
    if (this.current) this.finish();
    const raw = this.target.make();
    const fs = opts.wrap ? opts.wrap(raw) : raw;
    const k = new KernelEmulator(fs, { session: { ...this.target.session, ...opts.session }, makeSession: this.target.makeSession });
    await k.init(opts.init);
    const vfs = new Vfs(k);
    this.current = { vfs, fs: raw };
    return vfs;
  }

  get inspect(): Inspect | undefined {
    return this.current && this.target.inspect ? this.target.inspect(this.current.fs) : undefined;
  }

  /** Records a failure and goes on. */
  fail(step: string, expected: string, got: string): void {
    this.failures.push({ step, expected, got });
  }

  /** Records a failure unless `ok`. */
  check(ok: boolean, step: string, expected: string, got: string): void {
    if (!ok) this.fail(step, expected, got);
  }

  /** Expects the promise to fail with `code`; records what happened otherwise. */
  async expectError(p: Promise<unknown>, code: string | readonly string[], step: string): Promise<void> {
    const codes = typeof code === 'string' ? [code] : code;
    try {
      await p;
      this.fail(step, codes.join(' or '), 'success');
    } catch (e) {
      const got = e instanceof VfsError ? e.code : String(e);
      this.check(codes.includes(got), step, codes.join(' or '), got);
    }
  }

  /** Runs `p`, recording an unexpected error as a failure; undefined then. */
  async expectOk<T>(p: Promise<T>, step: string): Promise<T | undefined> {
    try {
      return await p;
    } catch (e) {
      this.fail(step, 'success', e instanceof VfsError ? e.code : String(e));
      return undefined;
    }
  }

  /** Protocol violations and ledger problems of the current emulator become failures. */
  finish(): void {
    if (!this.current) return;
    const { k } = this.current.vfs;
    for (const v of k.violations) this.fail('protocol', 'no violations', v);
    for (const p of k.ledgerProblems()) this.fail('lookup ledger', 'kernel and session agree', p);
    for (const l of k.log) if (/handler threw|cannot carry/.test(l)) this.fail('server log', 'no handler crash', l);
    this.current = null;
  }
}

export interface Scenario {
  name: string;
  description: string;
  run(t: ScenarioContext): Promise<void>;
}

export async function runConformance(target: ConformanceTarget): Promise<Report> {
  const results: ScenarioResult[] = [];
  for (const s of SCENARIOS) {
    if (target.only && !target.only.includes(s.name)) continue;
    const t = new ScenarioContext(target);
    const start = performance.now();
    let skipped: string | undefined;
    try {
      await s.run(t);
    } catch (e) {
      if (e instanceof SkipScenario) skipped = e.message;
      else if (e instanceof ConformanceFailure) t.failures.push(e.failure);
      else t.failures.push({ step: 'scenario', expected: 'to run to the end', got: e instanceof VfsError ? `${e.code} from ${e.op} ${e.path}` : e instanceof Error ? e.message : String(e) });
    }
    t.finish();
    results.push({ name: s.name, description: s.description, passed: !skipped && t.failures.length === 0, skipped, failures: t.failures, ms: performance.now() - start });
  }
  return {
    results,
    passed: results.filter((r) => r.passed).length,
    failed: results.filter((r) => !r.passed && !r.skipped).length,
    skipped: results.filter((r) => r.skipped).length,
  };
}

export function formatReport(r: Report): string {
  const lines: string[] = [];
  for (const x of r.results) {
    const mark = x.skipped ? '-' : x.passed ? '✓' : '✗';
    lines.push(`${mark} ${x.name} — ${x.description}${x.skipped ? ` (skipped: ${x.skipped})` : ''} [${x.ms.toFixed(0)} ms]`);
    for (const f of x.failures) lines.push(`    ${f.step}\n      expected: ${f.expected}\n      got:      ${f.got}`);
  }
  lines.push(`${r.passed} passed, ${r.failed} failed, ${r.skipped} skipped`);
  return lines.join('\n');
}
