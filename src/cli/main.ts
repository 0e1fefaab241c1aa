/**
 * The devfuse command line: `devfuse <command> ...`.
 */
import { parseArgs } from './args';
import { cuseCommand, CUSE_USAGE } from './cuse';
import { conformanceCommand, CONFORMANCE_USAGE } from './conformance';
import { mountCommand, MOUNT_USAGE } from './mount';
import { traceCommand, TRACE_USAGE } from './trace';

const USAGE = `devfuse: FUSE and CUSE servers in Node.js, speaking /dev/fuse directly

${MOUNT_USAGE}

${CUSE_USAGE}

${CONFORMANCE_USAGE}

${TRACE_USAGE}

  devfuse --version`;

export async function main(argv: readonly string[]): Promise<number> {
  const [command, ...rest] = argv;
  switch (command) {
    case 'mount':
      return mountCommand(parseArgs(rest, ['trace']));
    case 'conformance':
      return conformanceCommand(parseArgs(rest, ['only']));
    case 'trace':
      return traceCommand(parseArgs(rest));
    case 'cuse':
      return cuseCommand(parseArgs(rest, ['major', 'minor']));
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
