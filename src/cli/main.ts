/**
 * The devfuse command line: `devfuse <command> ...`.
 *
 * Each command's module is loaded only when it runs: start-up time matters
 * (a CUSE device under an emulated CPU takes seconds per module loaded).
 */
import { parseArgs, printHelp, UsageError } from './args';

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

const COMMANDS = ['mount', 'cuse', 'conformance', 'trace'];

export async function main(argv: readonly string[]): Promise<number> {
  const [command, ...rest] = argv;
  try {
    return await run(command, rest);
  } catch (e) {
    if (!(e instanceof UsageError)) throw e;
    process.stderr.write(`devfuse${command && COMMANDS.includes(command) ? ` ${command}` : ''}: ${e.message}\n`);
    return 2;
  }
}

async function run(command: string | undefined, rest: string[]): Promise<number> {
  switch (command) {
    case 'mount':
      return (require('./mount') as typeof import('./mount')).mountCommand(parseArgs(rest, ['trace', 'ready-fd', 'pid-file'], ['background']));
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
    case 'help':
      // `devfuse help mount` is `devfuse mount --help`.
      return rest[0] ? run(rest[0], ['--help']) : printHelp(USAGE);
    case '-h':
    case '--help':
      return printHelp(USAGE);
    case undefined:
      process.stderr.write(`${USAGE}\n`);
      return 2;
    default:
      throw new UsageError(`unknown command ${JSON.stringify(command)} (commands: ${COMMANDS.join(', ')}; devfuse --help)`);
  }
}

/**
 * The `devfuse` executable: runs the command, then exits once stdout and
 * stderr have been written out. process.exit() drops what a pipe has not
 * taken yet (`devfuse trace show f | less` lost most of its lines). A
 * reader that goes away (`| head`: EPIPE) ends the command quietly.
 */
export function cli(argv: readonly string[]): void {
  const quit = (code: number): void => {
    let pending = 2;
    const done = (): void => {
      if (--pending === 0) process.exit(code);
    };
    process.stdout.write('', done);
    process.stderr.write('', done);
  };
  for (const stream of [process.stdout, process.stderr]) {
    stream.on('error', (e: NodeJS.ErrnoException) => {
      if (e.code === 'EPIPE') process.exit(0);
      throw e;
    });
  }
  main(argv).then(quit, (e: unknown) => {
    process.stderr.write(`devfuse: ${e instanceof Error ? e.message : String(e)}\n`);
    quit(1);
  });
}
