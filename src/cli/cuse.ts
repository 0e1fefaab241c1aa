/**
 * devfuse cuse echo <name> [--major N] [--minor N] [--debug]
 * devfuse cuse fioc <name> [--major N] [--minor N] [--debug]
 *
 * Creates /dev/<name> through /dev/cuse and serves it until SIGINT/SIGTERM.
 */
import { createCuseDevice, type CuseDeviceOptions } from '../cuse/device';
import { echoDevice } from '../cuse/examples/echo';
import { fiocDevice } from '../cuse/examples/fioc';
import { printHelp, UsageError, type Args } from './args';

export const CUSE_USAGE = `usage:
  devfuse cuse echo <name> [--major N] [--minor N] [--debug]    a FIFO: what is written is read back
  devfuse cuse fioc <name> [--major N] [--minor N] [--debug]    a buffer with size/read/write ioctls`;

const DEVICES: Record<string, (name: string) => CuseDeviceOptions> = {
  echo: (name) => echoDevice({ name }),
  fioc: (name) => fiocDevice({ name }),
};

function num(a: Args, key: string): number | undefined {
  const v = a.values.get(key);
  if (v === undefined) return undefined;
  const n = Number(v);
  if (!Number.isInteger(n) || n < 0) throw new UsageError(`--${key} takes a non-negative integer`);
  return n;
}

export async function cuseCommand(a: Args): Promise<number> {
  if (a.flags.has('help')) return printHelp(CUSE_USAGE);
  const [kind, name] = a.positional;
  const make = kind === undefined ? undefined : DEVICES[kind];
  if (!make) throw new UsageError(kind === undefined ? 'which device? (echo, fioc)' : `unknown device ${JSON.stringify(kind)} (echo, fioc)`);
  if (!name || a.positional.length !== 2) throw new UsageError(`expected: cuse ${kind} <name>`);
  const dev = await createCuseDevice({ ...make(name), major: num(a, 'major'), minor: num(a, 'minor'), session: a.flags.has('debug') ? { debug: true } : {} });
  process.stderr.write(`devfuse: ${kind} device at ${dev.path}\n`);
  const stop = (): void => void dev.close();
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
  const end = await dev.ended;
  return end.kind === 'error' ? 1 : 0;
}
