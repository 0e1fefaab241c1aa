/**
 * devfuse conformance <memfs|hello|passthrough|module.js> [export] [options]
 * devfuse conformance --exec "<server command line with {fd}>" [options]
 *
 * Runs the conformance kit (src/testing/conformance) against a filesystem
 * in the kernel emulator, each scenario in a child process of its own, and
 * streams the report: a line per scenario as it ends, the failures in
 * full, the summary. Exit status: 0 when every scenario passed or was
 * skipped for a stated reason, 1 on any failure, hang or crash, 2 on a
 * usage error (named in one line).
 */
import { SCENARIOS } from '../testing/conformance/scenarios';
import { runConformance, UsageError, type Report, type ScenarioResult } from '../testing/conformance/kit';
import { exitCodeOf, formatEnd, formatResultLine, jsonResultLine, jsonSummaryLine } from '../testing/conformance/report';
import { parseArgs } from './args';

export const CONFORMANCE_USAGE = `usage:
  devfuse conformance <memfs|hello|passthrough|path/to/module.js> [export] [options]
  devfuse conformance --exec "<command line>" [options]
  devfuse conformance --list

options:
  --only name,...    run only these scenarios
  --timeout MS       each request's deadline (default 5000)
  --jobs N           scenarios at once, each in its own process (default: the number of CPUs)
  --memory MIB       memory of the scenario processes together (default 1024; at least 256 each)
  --seed N           the seed of the randomized scenarios (printed in the summary)
  --ops N            how many operations a randomized scenario runs
  --json             JSON Lines: one object per scenario as it ends, then a summary object
  --list             the scenarios, with what each needs
  --exec "CMD"       test a FUSE server in any language, no kernel and no mount:
                     each scenario starts CMD with {fd} replaced by /dev/fd/N (a
                     socket to use as /dev/fuse; libfuse and go-fuse take it in
                     place of the mount point) and {tmp} by a fresh empty
                     directory, e.g. --exec "./hello_ll -f {fd}" (docs/exec.md)

The module's export (default: its default export, else its first function)
returns a fresh Filesystem each call; an export named "inspect" beside it,
(fs) => ({ liveInodes: () => number }), turns on the leak checks.`;

function int(a: Map<string, string>, name: string, min: number): number | undefined {
  const v = a.get(name);
  if (v === undefined) return undefined;
  const n = Number(v);
  if (!/^\d+$/.test(v) || !Number.isSafeInteger(n) || n < min) throw new UsageError(`--${name} takes an integer ≥ ${min}, got ${JSON.stringify(v)}`);
  return n;
}

export async function conformanceCommand(argv: readonly string[]): Promise<number> {
  try {
    return await run(argv);
  } catch (e) {
    if (e instanceof UsageError || (e instanceof Error && /^(unknown flag|--\w[\w-]* (needs|takes))/.test(e.message))) {
      process.stderr.write(`devfuse conformance: ${e.message}\n`);
      return 2;
    }
    throw e;
  }
}

async function run(argv: readonly string[]): Promise<number> {
  const a = parseArgs(argv, ['only', 'timeout', 'jobs', 'memory', 'seed', 'ops', 'exec'], ['list', 'json']);
  if (a.flags.has('list')) {
    for (const s of SCENARIOS) process.stdout.write(`${s.name.padEnd(24)} ${s.description}${s.needs?.length ? ` (needs ${s.needs.join(', ')})` : ''}\n`);
    return 0;
  }
  const [spec, exportName, extra] = a.positional;
  if (a.flags.has('help')) {
    process.stdout.write(`${CONFORMANCE_USAGE}\n`);
    return 0;
  }
  const exec = a.values.get('exec');
  if (exec !== undefined && (a.values.has('jobs') || a.values.has('memory'))) throw new UsageError('--jobs and --memory size the child processes a module runs in; --exec runs its scenarios one after another, each server in its own process');
  if (exec !== undefined && spec !== undefined) throw new UsageError(`--exec names the server; ${JSON.stringify(spec)} besides it is one filesystem too many (quote the whole command line: --exec "./server -f {fd}")`);
  if ((!spec && exec === undefined) || extra !== undefined || a.options.length) {
    process.stderr.write(`${!spec ? 'devfuse conformance: which filesystem?' : `devfuse conformance: unexpected ${extra ?? `-o ${a.options.join(',')}`}`}\n${CONFORMANCE_USAGE}\n`);
    return 2;
  }
  const json = a.flags.has('json');
  const memory = int(a.values, 'memory', 64);
  const onResult = (r: ScenarioResult): void => {
    process.stdout.write(`${json ? jsonResultLine(r) : formatResultLine(r)}\n`);
  };
  let finished = false;
  // Every timer of the kit holds the event loop; were it ever to drain before the report, that is a failure, not success.
  const drained = (): void => {
    if (finished) return;
    process.stderr.write('devfuse conformance: the run stopped before its report (the event loop drained with work outstanding)\n');
    process.exitCode = 1;
  };
  process.once('beforeExit', drained);
  let report: Report;
  try {
    const common = {
      only: a.values.get('only')?.split(',').filter(Boolean),
      timeout: int(a.values, 'timeout', 1),
      jobs: int(a.values, 'jobs', 1),
      seed: int(a.values, 'seed', 0),
      ops: int(a.values, 'ops', 1),
      limits: memory === undefined ? undefined : { memoryBytes: memory * 1048576 },
      onResult,
    };
    report = await runConformance(exec !== undefined ? { ...common, exec } : { ...common, module: spec!, export: exportName });
  } finally {
    finished = true;
    process.off('beforeExit', drained);
  }
  const code = exitCodeOf(report);
  if (json) {
    process.stdout.write(`${jsonSummaryLine(report, code)}\n`);
    return code;
  }
  const out = formatEnd(report);
  process.stdout.write(`${out.join('\n')}\n`);
  return code;
}
