/**
 * The kit's report, as people read it (one line per scenario, then every
 * failure in full, then the summary) and as machines read it (JSON Lines,
 * docs/conformance.md).
 */
import type { Failure, Report, ScenarioResult } from './kit';

/** "✓ name — description [12 ms]", "✗ ...", "- ... (skipped: needs xattr: SETXATTR answered ENOSYS)". */
export function formatResultLine(x: ScenarioResult): string {
  const mark = x.status === 'skipped' ? '-' : x.status === 'passed' ? '✓' : '✗';
  const skipped = x.skipped ? ` (skipped: ${x.skipped})` : '';
  return `${mark} ${x.name} — ${x.description}${skipped}${x.status === 'skipped' ? '' : ` [${x.ms.toFixed(0)} ms]`}`;
}

function formatFailure(f: Failure): string[] {
  const lines = [`    ${f.step}`, `      expected: ${f.expected}`, `      got:      ${indent(String(f.got), '                ')}`];
  if (f.stack && !String(f.got).includes(f.stack)) lines.push(`      stack:    ${indent(f.stack.split('\n').slice(1, 9).map((l) => l.trim()).join('\n'), '                ')}`);
  return lines;
}

function indent(s: string, pad: string): string {
  return s.replace(/\n/g, `\n${pad}`);
}

/** The failures of one scenario in full, under its line. */
export function formatFailures(x: ScenarioResult): string[] {
  const lines = [formatResultLine(x)];
  for (const f of x.failures) lines.push(...formatFailure(f));
  if (x.output) lines.push('    output of the process (last lines):', ...x.output.split('\n').map((l) => `      | ${l}`));
  return lines;
}

export function formatSummary(r: Report): string {
  const errors = r.errors.length ? `, ${r.errors.length} run error${r.errors.length === 1 ? '' : 's'}` : '';
  return `${r.passed} passed, ${r.failed} failed, ${r.skipped} skipped${errors} (seed ${r.seed})`;
}

/** What follows the scenario lines: every failure in full, the run's own errors, the summary. */
export function formatEnd(r: Report): string[] {
  const lines: string[] = [];
  const failed = r.results.filter((x) => x.status === 'failed');
  if (failed.length || r.errors.length) lines.push('', 'Failures:');
  for (const x of failed) lines.push(...formatFailures(x));
  for (const e of r.errors) lines.push('✗ (run, in no scenario)', ...formatFailure(e));
  lines.push(formatSummary(r));
  return lines;
}

/** The whole report: a line per scenario, then the failures in full, the run's own errors, and the summary. */
export function formatReport(r: Report): string {
  return [...r.results.map(formatResultLine), ...formatEnd(r)].join('\n');
}

/** One JSON line per scenario result (`--json`). */
export function jsonResultLine(x: ScenarioResult): string {
  return JSON.stringify({ type: 'scenario', ...x });
}

/** The last JSON line: totals, run errors, capabilities, seed and exit status. */
export function jsonSummaryLine(r: Report, exitCode: number): string {
  return JSON.stringify({ type: 'summary', passed: r.passed, failed: r.failed, skipped: r.skipped, errors: r.errors, capabilities: r.capabilities, seed: r.seed, exitCode });
}

/** Builds the report from results (in scenario order) and the run's own errors. */
export function makeReport(results: ScenarioResult[], allErrors: Failure[], capabilities: Report['capabilities'], seed: number): Report {
  // A filesystem whose timer throws every millisecond after its scenario ended must not flood the report.
  const errors = allErrors.length > 100 ? [...allErrors.slice(0, 100), { step: 'more run errors', expected: 'none', got: `${allErrors.length - 100} more, not listed` }] : allErrors;
  return {
    results,
    passed: results.filter((r) => r.status === 'passed').length,
    failed: results.filter((r) => r.status === 'failed').length,
    skipped: results.filter((r) => r.status === 'skipped').length,
    errors,
    capabilities,
    seed,
  };
}

/** 0 when every scenario passed or was skipped for a stated reason and the run had no errors; else 1. */
export function exitCodeOf(r: Report): number {
  return r.failed === 0 && r.errors.length === 0 ? 0 : 1;
}
