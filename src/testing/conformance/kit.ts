/**
 * The conformance kit: a battery of scenarios every FUSE filesystem should
 * pass, run through the kernel emulator (no kernel, no mount), with a report
 * a person can act on: which scenario, which request, what was expected,
 * what came back.
 *
 *   const report = await runConformance({ make: () => memfs() });
 *   console.log(formatReport(report));
 *
 * Each scenario gets a fresh filesystem, so they are independent. Besides
 * its own checks, every scenario fails on any protocol violation the
 * emulator saw, any disagreement of the lookup ledgers, any request left
 * unanswered past its deadline, and anything the filesystem throws.
 *
 * Two ways to run (docs/conformance.md): a `make` closure runs every
 * scenario in this process, one after another; a `module` runs each
 * scenario in a child process of its own with a memory and a time cap, so
 * a crash, a runaway allocation or a blocked event loop fails that scenario
 * and the run goes on.
 */
import type { Filesystem } from '../../api/filesystem';
import type { MemoryChannel, Session, SessionOptions } from '../../server/index';
import type { Limits } from '../limits';
import type { ScenarioContext } from './context';
import type { ExecTarget } from '../exec/run';

export { ScenarioContext } from './context';
export type { ExecTarget } from '../exec/run';
export { formatReport, formatResultLine, formatFailures, formatSummary } from './report';
export { DEFAULT_LIMITS, LimitExceeded, type Limits } from '../limits';

/** What the kit can see of a filesystem beyond the protocol, when the filesystem offers it. */
export interface Inspect {
  /** Inodes the filesystem still holds (for leak checks after the last FORGET). */
  liveInodes(): number;
}

/**
 * What a scenario may need of the filesystem beyond LOOKUP, GETATTR, OPEN,
 * READ and READDIR. The runner probes each once per run on a fresh
 * filesystem (capabilities.ts) and skips, with the reason, a scenario whose
 * needs are not met.
 */
export type Capability =
  | 'write' | 'symlink' | 'link' | 'xattr' | 'mknod' | 'rename' | 'rename2' | 'locks' | 'flock' | 'fallocate' | 'lseek'
  | 'copy_file_range' | 'tmpfile' | 'statx' | 'readdirplus' | 'setattr' | 'access' | 'statfs' | 'fsync' | 'flush';

export interface Scenario {
  name: string;
  description: string;
  /** Capabilities the scenario requires; unmet, it is skipped with the probe's answer as the reason. */
  needs?: readonly Capability[];
  /** Capabilities it adapts to through t.has() (probed with the needs: an unprobed one would read as present). */
  uses?: readonly Capability[];
  /** It must see inside a devfuse Filesystem object (inspect(), or wrapping it): skipped for servers that are not one. */
  internal?: boolean;
  run(t: ScenarioContext): Promise<void>;
}

export interface Failure {
  /** The request or step: "RENAME2 /a → /b (RENAME_NOREPLACE)". */
  step: string;
  expected: string;
  got: string;
  /** A stack, for what the filesystem threw. */
  stack?: string;
}

export interface ScenarioResult {
  name: string;
  description: string;
  status: 'passed' | 'failed' | 'skipped';
  passed: boolean;
  /** The reason, when skipped. */
  skipped?: string;
  failures: Failure[];
  ms: number;
  /** The tail of the child process's stderr/stdout, when it says something about a failure. */
  output?: string;
}

export interface Report {
  results: ScenarioResult[];
  passed: number;
  failed: number;
  skipped: number;
  /** Problems that belong to no scenario (a probe that crashed, an exception after a scenario ended): each fails the run. */
  errors: Failure[];
  /** Each probed capability: null when the filesystem has it, else why not. */
  capabilities: Partial<Record<Capability, string | null>>;
  /** The seed of the run's random choices (`--seed` reproduces it). */
  seed: number;
}

/** What both kinds of target accept. */
export interface RunOptions {
  /** Only these scenarios (by name). */
  only?: readonly string[];
  /** Each request's deadline in ms (default 5000); shorthand for limits.timeoutMs. */
  timeout?: number;
  /** Bounds of bytes, entries, requests, time and memory (limits.ts). */
  limits?: Partial<Limits>;
  /** Session options for every scenario (scenarios may add their own). */
  session?: SessionOptions;
  /** Seed for scenarios that make random choices (default: a random one, printed in the report). */
  seed?: number;
  /** How many operations a randomized scenario runs (each scenario has its own default). */
  ops?: number;
  /** Told of each scenario's result as it ends (the CLI streams its report with it). */
  onResult?: (r: ScenarioResult) => void;
}

/** A filesystem made in this process: scenarios run here, one after another. */
export interface ConformanceTarget extends RunOptions {
  /** A fresh filesystem per scenario. */
  make: () => Filesystem;
  /** Optional introspection of the instance `make` returned. */
  inspect?: (fs: Filesystem) => Inspect | undefined;
  /** Run the server under test in a session of your own (to test other servers, or broken ones). */
  makeSession?: (fs: Filesystem, channel: MemoryChannel, options: SessionOptions) => Session;
  /** Scenarios to run instead of the kit's own. */
  scenarios?: readonly Scenario[];
}

/**
 * A filesystem module (`devfuse conformance file.js [export]`): each
 * scenario runs in a child process that loads it. `module` is a path, or
 * one of the built-in names memfs, hello, passthrough.
 */
export interface ModuleTarget extends RunOptions {
  module: string;
  /** The factory's export name (default: `default`, else the first exported function other than `inspect`). */
  export?: string;
  /** Children at once (default: the number of CPUs). */
  jobs?: number;
}

/** Thrown by a scenario step; collected into the report. */
export class ConformanceFailure extends Error {
  constructor(readonly failure: Failure) {
    super(`${failure.step}: expected ${failure.expected}, got ${failure.got}`);
  }
}

/** Thrown (t.skip) when a scenario cannot judge this filesystem; the message is the reason. */
export class SkipScenario extends Error {}

/** A usage error: an unknown scenario or module, a bad export name. The CLI exits 2 with the message. */
export class UsageError extends Error {
  override readonly name = 'UsageError';
}

/** Runs the scenarios against the target; see ConformanceTarget, ModuleTarget and ExecTarget (a server in any language: docs/exec.md). */
export async function runConformance(target: ConformanceTarget | ModuleTarget | ExecTarget): Promise<Report> {
  if ('exec' in target) return (require('../exec/run') as typeof import('../exec/run')).runExec(target);
  if ('module' in target) return (require('./pool') as typeof import('./pool')).runInChildren(target);
  return (require('./in-process') as typeof import('./in-process')).runInProcess(target);
}
