/**
 * runConformance({ exec }): the kit against a FUSE server in any language,
 * started once per server a scenario asks for (each start() is a fresh
 * process), with no kernel and no mount (exec-transport.ts). Scenarios run
 * one after another in this process: the server is already isolated in
 * its own, and whatever it does (crash, hang, garbage) fails only the
 * scenario it did it in. Scenarios marked `internal` look inside a devfuse
 * Filesystem object and are skipped, saying so.
 */
import { runInProcess } from '../conformance/in-process';
import { UsageError, type Report, type RunOptions, type Scenario } from '../conformance/kit';
import { commandProblem, splitCommand } from './command';
import { ExecTransport } from './exec-transport';

export interface ExecTarget extends RunOptions {
  /**
   * The server's command line: a string split as a shell splits words (no
   * expansions), or the argv. `{fd}` becomes /dev/fd/N, the inherited
   * socket the server must take as its /dev/fuse (for libfuse and go-fuse,
   * in place of the mount point); `{tmp}` a fresh empty directory.
   */
  exec: string | readonly string[];
  /** The server's working directory. */
  cwd?: string;
  /** The server's environment (default: this process's). */
  env?: NodeJS.ProcessEnv;
  /** How long a server gets to exit after DESTROY and the close, and again after SIGTERM, before SIGKILL (default 2000 ms). */
  graceMs?: number;
  /** Scenarios to run instead of the kit's own. */
  scenarios?: readonly Scenario[];
}

/** The argv of `exec`, checked: a UsageError names what is wrong. */
export function execArgv(exec: ExecTarget['exec']): string[] {
  let argv: string[];
  try {
    argv = typeof exec === 'string' ? splitCommand(exec) : [...exec];
  } catch (e) {
    throw new UsageError(`--exec: ${(e as Error).message}`);
  }
  const problem = commandProblem(argv);
  if (problem) throw new UsageError(`--exec: ${problem}`);
  return argv;
}

export async function runExec(target: ExecTarget): Promise<Report> {
  const command = execArgv(target.exec);
  const connect = (): ExecTransport => new ExecTransport({ command, cwd: target.cwd, env: target.env, graceMs: target.graceMs });
  return runInProcess({ ...target, connect });
}
