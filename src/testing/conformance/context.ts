/**
 * What a scenario works with: fresh filesystems behind an emulator, the
 * step it is at (named in deadline and crash messages), its failures, and
 * the bounds it runs under. The runner aborts a scenario through it: on a
 * request past its deadline, a limit reached, or the scenario's own time
 * running out, every emulator of the scenario is closed (waiting calls
 * reject) and later failures are no longer recorded (they would only be
 * echoes of the first).
 */
import type { Filesystem } from '../../api/filesystem';
import { opcodeName, type Opcode } from '../../protocol';
import type { SessionOptions } from '../../server/index';
import { KernelEmulator, RequestTimeout, ServerGone, type InitParams, type Pending } from '../emulator';
import { LimitExceeded, type Limits } from '../limits';
import type { ServerTransport } from '../transport';
import { Vfs, VfsError } from '../vfs';
import { SkipScenario, type Capability, type ConformanceTarget, type Failure, type Inspect } from './kit';

/** A server the kit reaches through a transport (another process: docs/exec.md), a fresh one per start(). */
export interface ExternalTarget {
  connect: () => ServerTransport;
}

/** What a context starts its servers from: a devfuse filesystem made here, or an external server. */
export type ContextTarget = Pick<ConformanceTarget, 'make' | 'inspect' | 'session' | 'makeSession'> | ExternalTarget;

/** What the runner hands each scenario's context. */
export interface ContextSettings {
  limits: Limits;
  seed: number;
  ops: number | undefined;
  capabilities: ReadonlyMap<Capability, string | null>;
  /** The deadline of each request (the runner shortens it for opcodes already seen hanging). */
  timeoutFor: (opcode: Opcode) => number;
  /** Told of each request before the server gets it, and of each step named (the child process reports them). */
  onSend?: (p: Pending) => void;
  onStep?: (what: string) => void;
}

/** Ends a scenario early; the runner records `failure`. */
export class ScenarioAborted extends Error {
  override readonly name = 'ScenarioAborted';
  constructor(readonly failure: Failure) {
    super(`${failure.step}: ${failure.got}`);
  }
}

export class ScenarioContext {
  readonly failures: Failure[] = [];
  /** The bounds this scenario runs under. */
  readonly limits: Limits;
  /** The run's seed, for scenarios that make random choices. */
  readonly seed: number;
  /** `--ops`: how deep a randomized scenario goes (undefined: its own default). */
  readonly ops: number | undefined;
  /** Opcodes that went unanswered past their deadline in this scenario. */
  readonly hung = new Set<Opcode>();
  private current: { vfs: Vfs; fs: Filesystem | null } | null = null;
  private readonly unfinished = new Set<KernelEmulator>();
  private readonly all: KernelEmulator[] = [];
  private currentStep: string | undefined;
  private abortedBy: ScenarioAborted | null = null;
  private abortListener: ((e: ScenarioAborted) => void) | null = null;
  /** Servers in other processes being ended (DESTROY, close, exit): each resolves with a crash on the way out, or null. */
  private readonly ending: Promise<string | null>[] = [];
  private dropped = 0;

  constructor(
    private readonly target: ContextTarget,
    private readonly settings: ContextSettings,
  ) {
    this.limits = settings.limits;
    this.seed = settings.seed;
    this.ops = settings.ops;
  }

  /** A fresh filesystem, INIT done. Scenarios that need several (e.g. per minor) call it again. */
  async start(opts: { session?: SessionOptions; init?: InitParams; wrap?: (fs: Filesystem) => Filesystem } = {}): Promise<Vfs> {
    if (this.abortedBy) throw this.abortedBy;
    if (this.current) this.finish();
    const common = { limits: this.limits, timeoutFor: this.settings.timeoutFor, step: () => this.currentStep, onProblem: (e: RequestTimeout | LimitExceeded | ServerGone) => this.problem(e), onSend: this.settings.onSend, keepAlive: true };
    // An external server takes no session options and cannot be wrapped: scenarios that wrap are `internal`, and skipped for it.
    const tg = this.target;
    const raw = 'connect' in tg ? null : tg.make();
    const k = 'connect' in tg
      ? new KernelEmulator(tg.connect(), common)
      : new KernelEmulator(opts.wrap ? opts.wrap(raw!) : raw!, { ...common, session: { ...tg.session, ...opts.session }, makeSession: tg.makeSession });
    this.all.push(k);
    this.unfinished.add(k);
    await k.init(opts.init);
    const vfs = new Vfs(k);
    this.current = { vfs, fs: raw };
    return vfs;
  }

  get inspect(): Inspect | undefined {
    const tg = this.target;
    return this.current?.fs && 'inspect' in tg && tg.inspect ? tg.inspect(this.current.fs) : undefined;
  }

  /** Names what the next requests are for: deadline and crash messages say "(step: ...)". */
  step(what: string): void {
    this.currentStep = what;
    this.settings.onStep?.(what);
  }

  /** The step last named, if any. */
  get stepName(): string | undefined {
    return this.currentStep;
  }

  /** Ends the scenario as skipped, with the reason. */
  skip(reason: string): never {
    throw new SkipScenario(reason);
  }

  /** Whether the filesystem has a capability (probed once per run); a scenario may adapt instead of declaring `needs`. */
  has(c: Capability): boolean {
    return (this.settings.capabilities.get(c) ?? null) === null;
  }

  /** Records a failure and goes on. */
  fail(step: string, expected: string, got: string): void {
    if (this.abortedBy) return;
    this.record({ step: String(step), expected: String(expected), got: String(got) });
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
      const got = e instanceof VfsError ? e.code : describeError(e);
      this.check(codes.includes(got), step, codes.join(' or '), got);
    }
  }

  /** Runs `p`, recording an unexpected error as a failure; undefined then. */
  async expectOk<T>(p: Promise<T>, step: string): Promise<T | undefined> {
    try {
      return await p;
    } catch (e) {
      this.fail(step, 'success', e instanceof VfsError ? e.code : describeError(e));
      return undefined;
    }
  }

  /** Protocol violations and ledger problems of the current emulator become failures. */
  finish(): void {
    if (!this.current) return;
    const { k } = this.current.vfs;
    this.check1(k);
    // Done with, nothing in flight: let it go (a randomized scenario starts hundreds).
    if (k.inFlight === 0) this.all.splice(this.all.indexOf(k), 1);
    this.current = null;
    // A server in another process is ended now, not at the scenario's end: one per minor would otherwise pile up.
    if (!this.abortedBy) this.ending.push(k.end());
  }

  /** Ends every server in another process (DESTROY, close, its exit) and waits until each is gone; a crash on the way out is a failure. */
  async release(): Promise<void> {
    const ends = await Promise.all([...this.ending, ...this.all.map((k) => k.end())].map((p) => p.catch(() => null)));
    for (const crash of ends) if (crash) this.fail('server process at the end of the session', 'the server exits after the releases, DESTROY and the close (any status)', crash);
  }

  /** Who each server in another process was and the tail of its output, for the report; undefined for in-process ones. */
  serverOutput(): string | undefined {
    const parts: string[] = [];
    for (const [i, k] of this.all.entries()) {
      const d = k.transport.describe?.();
      if (!d) continue;
      const head = this.all.length > 1 ? `server ${i + 1} of ${this.all.length}: ${d.who}` : `server: ${d.who}`;
      parts.push(d.output ? `${head}\n${tail(d.output, 40)}` : `${head} (wrote nothing to stderr or stdout)`);
    }
    return parts.length ? parts.join('\n') : undefined;
  }

  // ---- for the runner ---------------------------------------------------------

  /** Keeps a failure, its texts cut to MAX_TEXT characters, the first MAX_FAILURES of them (a check in a loop over a large file stays readable). */
  record(f: Failure): void {
    if (this.failures.length >= MAX_FAILURES) {
      this.dropped++;
      return;
    }
    this.failures.push({ step: clip(f.step), expected: clip(f.expected), got: clip(f.got), ...(f.stack ? { stack: clip(f.stack) } : {}) });
  }

  /** The failures for the report, with a last line counting those not kept. */
  reported(): Failure[] {
    if (!this.dropped) return [...this.failures];
    return [...this.failures, { step: 'more failures', expected: 'none', got: `${this.dropped} more, not listed (the first ${MAX_FAILURES} are)` }];
  }

  /** A promise that rejects when the scenario is aborted. */
  whenAborted(): Promise<never> {
    return new Promise<never>((_res, rej) => {
      if (this.abortedBy) rej(this.abortedBy);
      else this.abortListener = rej;
    });
  }

  get aborted(): boolean {
    return this.abortedBy !== null;
  }

  /** Gives up on the scenario: records `failure`, closes every emulator. */
  abort(failure: Failure): void {
    if (this.abortedBy) return;
    this.record(failure);
    this.abortedBy = new ScenarioAborted(failure);
    for (const k of this.all) k.close(this.abortedBy);
    this.abortListener?.(this.abortedBy);
  }

  /** Something the filesystem threw outside any request (a timer, a listener, a rejection nobody handled). */
  uncaught(e: unknown, how: string): void {
    const where = this.currentStep ? ` (step: ${this.currentStep})` : '';
    this.record({ step: `${how}${where}`, expected: 'nothing thrown outside a request', got: describeError(e), stack: e instanceof Error ? e.stack : undefined });
  }

  /** Waits for every request still in flight (each bounded by its deadline), then runs the end-of-scenario checks. */
  async settle(): Promise<void> {
    for (const k of this.all) if (!k.closed) await k.settled();
    if (!this.abortedBy) for (const k of this.unfinished) this.check1(k);
    this.current = null;
  }

  /** What the scenario is waiting for, for messages about it. */
  waiting(max = 5): string[] {
    return this.all.flatMap((k) => k.waiting(max)).slice(0, max);
  }

  private check1(k: KernelEmulator): void {
    if (!this.unfinished.delete(k)) return;
    for (const v of k.violations) this.fail('protocol', 'no violations', v);
    for (const p of k.ledgerProblems()) this.fail('lookup ledger', 'kernel and session agree', p);
    for (const l of k.log) if (/handler threw|cannot carry/.test(l)) this.fail('server log', 'no handler crash', l);
  }

  private problem(e: RequestTimeout | LimitExceeded | ServerGone): void {
    if (e instanceof ServerGone) {
      const step = this.currentStep && !e.message.includes('(step: ') ? ` (step: ${this.currentStep})` : '';
      this.abort({ step: 'server process', expected: 'the server runs and answers until the kit ends the session (DESTROY, then close)', got: `${e.message}${step}` });
    } else if (e instanceof RequestTimeout) {
      this.hung.add(e.opcode);
      const short = e.ms < this.limits.timeoutMs ? ` (a deadline shortened from ${this.limits.timeoutMs} ms: ${opcodeName(e.opcode)} already went unanswered earlier in this run)` : '';
      const link = this.all.map((k) => k.transport.explain?.()).filter(Boolean).join('; ');
      this.abort({ step: 'deadline', expected: `every request answered within ${e.ms} ms`, got: `${e.message}${short}${link ? `; ${link}` : ''}` });
    } else {
      this.abort({ step: `limit ${e.limit}`, expected: `at most ${this.limits[e.limit]}`, got: e.message });
    }
  }
}

/** The last `n` lines of `s`. */
function tail(s: string, n: number): string {
  const lines = s.split('\n');
  return lines.length > n ? ['…', ...lines.slice(-n)].join('\n') : s;
}

const MAX_FAILURES = 100;
const MAX_TEXT = 2000;

function clip(s: string): string {
  return s.length > MAX_TEXT ? `${s.slice(0, MAX_TEXT)}… (${s.length} characters)` : s;
}

export function describeError(e: unknown): string {
  if (e instanceof VfsError) return `${e.code} from ${e.op} ${e.path}`;
  if (e instanceof Error) return e.message;
  return String(e);
}
