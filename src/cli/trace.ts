/**
 * devfuse trace show <file>
 * devfuse trace replay <file> <memfs|module> [export]
 *
 * Traces are recorded with `devfuse mount ... --trace <file>` (or serve's
 * `trace` option): every request and reply, byte for byte.
 */
import fs from 'node:fs';
import { formatTrace, readTrace, replayTrace } from '../testing/trace';
import { printHelp, UsageError, type Args } from './args';
import { UsageError as KitUsageError } from '../testing/conformance/kit';
import { loadTarget } from '../testing/conformance/load';

export const TRACE_USAGE = `usage:
  devfuse trace show <file>                                print a recorded trace, decoded
  devfuse trace replay <file> <memfs|module.js> [export]   replay it in the emulator and diff the replies`;

export async function traceCommand(a: Args): Promise<number> {
  if (a.flags.has('help')) return printHelp(TRACE_USAGE);
  const [verb, file, spec, exportName] = a.positional;
  if (file && (verb === 'show' || verb === 'replay') && !fs.existsSync(file)) {
    process.stderr.write(`devfuse trace: no such file ${file}\n`);
    return 2;
  }
  if (verb === 'show' && file && !spec) {
    // One write: the command exits once it is out (cli() in main.ts), however slowly the reader takes it.
    process.stdout.write(`${formatTrace(readTrace(file)).join('\n')}\n`);
    return 0;
  }
  if (verb === 'replay' && file && spec) {
    let target;
    try {
      target = await loadTarget(spec, exportName);
    } catch (e) {
      if (!(e instanceof KitUsageError)) throw e;
      process.stderr.write(`devfuse trace: ${e.message}\n`);
      return 2;
    }
    const r = await replayTrace(readTrace(file), target.make());
    target.cleanup();
    const cut = (s: string): string => (s.length > 400 ? `${s.slice(0, 400)}… (${s.length} chars)` : s);
    for (const d of r.differences.slice(0, 20)) process.stdout.write(`✗ ${d.opcode} unique=${d.unique}\n    recorded: ${cut(d.recorded)}\n    replayed: ${cut(d.replayed)}\n`);
    if (r.differences.length > 20) process.stdout.write(`  ... and ${r.differences.length - 20} more\n`);
    for (const v of r.violations) process.stdout.write(`✗ protocol: ${v}\n`);
    process.stdout.write(`${r.requests} requests replayed, ${r.compared} replies compared (timestamps aside), ${r.differences.length} differ, ${r.violations.length} protocol violations\n`);
    return r.differences.length === 0 && r.violations.length === 0 ? 0 : 1;
  }
  if (verb !== 'show' && verb !== 'replay') throw new UsageError(verb === undefined ? 'show or replay?' : `unknown verb ${JSON.stringify(verb)} (show, replay)`);
  throw new UsageError(verb === 'show' ? 'expected: trace show <file>' : 'expected: trace replay <file> <memfs|module.js> [export]');
}
