/**
 * The devfuse command line: `devfuse <command> ...`.
 *
 * Each command's module is loaded only when it runs: start-up time matters
 * (a CUSE device under an emulated CPU takes seconds per module loaded).
 */
import { parseArgs } from './args';

const USAGE = `devfuse: FUSE and CUSE servers in Node.js, speaking /dev/fuse directly

usage:
  devfuse mount memfs <mountpoint> [-o options] [--debug] [--trace file]
  devfuse mount passthrough <source> <mountpoint> [-o options] [--debug] [--trace file]
  devfuse mount hello <mountpoint>
  devfuse cuse echo|fioc <name> [--major N] [--minor N] [--debug]
  devfuse conformance <memfs|hello|passthrough|module.js> [export] [options]
  devfuse trace show <file>
  devfuse trace replay <file> <memfs|module.js> [export]
  devfuse --version

devfuse <command> --help shows a command's options.`;

export async function main(argv: readonly string[]): Promise<number> {
  const [command, ...rest] = argv;
  switch (command) {
    case 'mount':
      return (require('./mount') as typeof import('./mount')).mountCommand(parseArgs(rest, ['trace']));
    case 'cuse':
      return (require('./cuse') as typeof import('./cuse')).cuseCommand(parseArgs(rest, ['major', 'minor']));
    case 'conformance':
      return (require('./conformance') as typeof import('./conformance')).conformanceCommand(rest);
    case 'trace':
      return (require('./trace') as typeof import('./trace')).traceCommand(parseArgs(rest));
    case '--version':
    case '-V': {
      const pkg = require('../../../package.json') as { version: string };
      process.stdout.write(`devfuse ${pkg.version}\n`);
      return 0;
    }
    case undefined:
    case '-h':
    case '--help':
    case 'help':
      process.stdout.write(`${USAGE}\n`);
      return command === undefined ? 2 : 0;
    default:
      process.stderr.write(`devfuse: unknown command ${JSON.stringify(command)}\n\n${USAGE}\n`);
      return 2;
  }
}
