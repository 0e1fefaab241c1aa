/**
 * devfuse conformance <memfs|module> [export] [--only name,name] [--list]
 *
 * Runs the conformance kit (src/testing/conformance) against a filesystem
 * in the kernel emulator and prints the report; exits 1 if any scenario fails.
 */
import { formatReport, runConformance } from '../testing/conformance/kit';
import { SCENARIOS } from '../testing/conformance/scenarios';
import type { Args } from './args';
import { loadFactory } from './load';

export const CONFORMANCE_USAGE = `usage:
  devfuse conformance <memfs|path/to/module.js> [export] [--only name,...] [--list]`;

export async function conformanceCommand(a: Args): Promise<number> {
  if (a.flags.has('list')) {
    for (const s of SCENARIOS) process.stdout.write(`${s.name.padEnd(20)} ${s.description}\n`);
    return 0;
  }
  const [spec, exportName] = a.positional;
  if (a.flags.has('help') || !spec) {
    process.stderr.write(`${CONFORMANCE_USAGE}\n`);
    return a.flags.has('help') ? 0 : 2;
  }
  const make = loadFactory(spec, exportName);
  const only = a.values.get('only')?.split(',');
  const report = await runConformance({ make, only });
  process.stdout.write(formatReport(report) + '\n');
  return report.failed === 0 ? 0 : 1;
}
