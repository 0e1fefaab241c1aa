/**
 * devfuse cuse echo <name> [--major N] [--minor N] [--debug]
 * devfuse cuse fioc <name> [--major N] [--minor N] [--debug]
 *
 * Creates /dev/<name> through /dev/cuse and serves it until SIGINT/SIGTERM.
 */
import { createCuseDevice, type CuseDeviceOptions } from '../cuse/device';
import { echoDevice } from '../cuse/examples/echo';
import { fiocDevice } from '../cuse/examples/fioc';
import type { Args } from './args';

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
  if (!Number.isInteger(n) || n < 0) throw new Error(`--${key} takes a non-negative integer`);
  return n;
}

export async function cuseCommand(a: Args): Promise<number> {
  const [kind, name] = a.positional;
  const make = kind === undefined ? undefined : DEVICES[kind];
  if (a.flags.has('help') || !make || !name || a.positional.length !== 2) {
    process.stderr.write(`${CUSE_USAGE}\n`);
    return a.flags.has('help') ? 0 : 2;
  }
  const dev = await createCuseDevice({ ...make(name), major: num(a, 'major'), minor: num(a, 'minor'), session: a.flags.has('debug') ? { debug: true } : {} });
  process.stderr.write(`devfuse: ${kind} device at ${dev.path}\n`);
  const stop = (): void => void dev.close();
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
  const end = await dev.ended;
  return end.kind === 'error' ? 1 : 0;
}
