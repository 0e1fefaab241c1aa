/**
 * A child process that serves a filesystem on a real mount, for tests that
 * make syscalls on the mount from the test process (a process must never
 * make blocking syscalls on a mount it serves itself: it would deadlock).
 *
 *   node dist/test/helpers/serve-child.js <module> <export> <mountpoint> [session-options-json]
 *
 * Prints "ready" on stdout once INIT is answered; unmounts and exits 0 on
 * SIGTERM or SIGINT; exits when the mount goes away.
 */
import path from 'node:path';
import { serve, type ServeOptions } from '../../src/server/serve';
import type { SessionOptions } from '../../src/server/options/session';
import type { Filesystem } from '../../src/api/filesystem';

async function main(): Promise<void> {
  const [mod, exp, mountpoint, json] = process.argv.slice(2);
  if (!mod || !exp || !mountpoint) throw new Error('usage: serve-child <module> <export> <mountpoint> [options-json]');
  const loaded = require(path.resolve(mod)) as Record<string, () => Filesystem>;
  const factory = loaded[exp];
  if (typeof factory !== 'function') throw new Error(`${mod} has no export ${exp}`);
  // Either ServeOptions ({ options, session, mount }) or, for short, session options alone.
  const parsed = json ? (JSON.parse(json) as Record<string, unknown>) : {};
  const serveOptions: ServeOptions = 'options' in parsed || 'session' in parsed || 'mount' in parsed ? (parsed as ServeOptions) : { session: parsed as SessionOptions };
  serveOptions.mount = { fsname: 'devfuse-test', ...serveOptions.mount };
  const served = await serve(factory(), mountpoint, serveOptions);
  process.stdout.write('ready\n');
  const stop = (): void => void served.unmount();
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
  const end = await served.ended;
  const workers = served.accelerations.workers;
  if (workers) process.stderr.write(`serve-child: data workers served ${workers.served}, forwarded ${workers.forwarded}\n`);
  const splice = served.accelerations.splice;
  if (splice) process.stderr.write(`serve-child: spliced ${splice.writes} WRITEs, ${splice.reads} reads through the pipe\n`);
  process.stderr.write(`serve-child: session ended (${end.kind})\n`);
  process.exit(0);
}

main().catch((e: unknown) => {
  process.stderr.write(`serve-child: ${e instanceof Error ? e.stack : String(e)}\n`);
  process.exit(1);
});
