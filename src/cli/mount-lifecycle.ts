/**
 * The life of `devfuse mount` around serving: telling a script or a
 * supervisor that the mount is usable, running in the background, and
 * stopping on signals.
 *
 * Readiness, in the spirit of libfuse (which, without -f, returns once the
 * mount is up and serves from a daemon) and of readiness-fd supervisors:
 *   --background     the command returns once the mount is usable (0) or
 *                    failed (1, with the reason); the server runs on,
 *                    detached, in /, its output discarded.
 *   --ready-fd N     "ready <mountpoint>\n" on fd N once usable, then N is
 *                    closed; "error <message>\n" if mounting failed. EOF
 *                    with neither: the process died.
 *   --pid-file FILE  the server's pid, once usable; removed at exit.
 * "Usable" means the kernel's INIT has been answered: any process may use
 * the mountpoint from then on.
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import type { Served } from '../server/index';
import { UsageError, type Args } from './args';

export interface Readiness {
  ready(mountpoint: string): void;
  failed(message: string): void;
  /** The server is ending: the pid file goes. */
  done(): void;
}

export function readiness(a: Args): Readiness {
  const fdArg = a.values.get('ready-fd');
  let fd: number | undefined;
  if (fdArg !== undefined) {
    fd = Number(fdArg);
    if (!/^\d+$/.test(fdArg) || fd < 3) throw new UsageError(`--ready-fd ${fdArg}: expected a file descriptor number ≥ 3`);
    try {
      fs.fstatSync(fd);
    } catch {
      throw new UsageError(`--ready-fd ${fdArg}: not an open file descriptor (in a shell: devfuse mount ... --ready-fd ${fdArg} ${fdArg}>file)`);
    }
  }
  const pidFile = a.values.get('pid-file');
  let pidWritten = false;
  const tell = (line: string): void => {
    if (fd === undefined) return;
    try {
      fs.writeSync(fd, `${line.replace(/\n/g, ' ')}\n`);
      fs.closeSync(fd);
    } catch {
      // whoever waited is gone
    }
    fd = undefined;
  };
  return {
    ready(mountpoint) {
      if (pidFile) {
        fs.writeFileSync(pidFile, `${process.pid}\n`);
        pidWritten = true;
      }
      tell(`ready ${mountpoint}`);
    },
    failed: (message) => tell(`error ${message}`),
    done() {
      if (pidWritten) fs.rmSync(pidFile!, { force: true });
    },
  };
}

/**
 * --background: starts this same command detached (its own session, cwd /,
 * stdio discarded) with --ready-fd on a pipe, and returns what that says.
 */
export async function runInBackground(a: Args): Promise<number> {
  const abs = (p: string): string => path.resolve(p);
  const argv = ['mount', ...a.options.flatMap((o) => ['-o', o])];
  if (a.flags.has('debug')) argv.push('--debug');
  for (const [k, v] of a.values) if (k !== 'ready-fd') argv.push(`--${k}`, k === 'pid-file' || k === 'trace' ? abs(v) : v);
  const [kind, ...rest] = a.positional;
  argv.push('--ready-fd', '3', '--', kind!, ...rest.map(abs));
  const child = spawn(process.execPath, [...process.execArgv, process.argv[1]!, ...argv], {
    detached: true,
    cwd: '/',
    stdio: ['ignore', 'ignore', 'ignore', 'pipe'],
  });
  const pipe = child.stdio[3] as NodeJS.ReadableStream;
  let said = '';
  pipe.on('data', (d: Buffer) => (said += d.toString()));
  const exited = new Promise<string>((resolve) => child.on('exit', (code, signal) => resolve(signal ?? `status ${code}`)));
  await new Promise<void>((resolve) => {
    pipe.on('end', resolve);
    pipe.on('error', () => resolve());
  });
  const line = said.split('\n')[0] ?? '';
  if (line.startsWith('ready ')) {
    child.unref();
    process.stderr.write(`devfuse: ${kind} mounted on ${line.slice(6)} (in the background, pid ${child.pid})\n`);
    return 0;
  }
  if (line.startsWith('error ')) {
    process.stderr.write(`devfuse: ${line.slice(6)}\n`);
    return 1;
  }
  process.stderr.write(`devfuse: the server exited before the mount was up (${await exited})\n`);
  return 1;
}

/**
 * SIGINT/SIGTERM: unmount. A busy mount (files open on it, a process
 * inside) cannot be unmounted at once: it is detached (lazily unmounted,
 * so nothing new can enter it), served until its last user leaves, and
 * the user is told so. A second signal forces the end: the connection is
 * aborted, and whatever still uses the mount gets ENOTCONN.
 */
export function stopOnSignals(served: Served): { readonly forced: boolean; remove(): void } {
  let signals = 0;
  let forced = false;
  const say = (s: string): void => void process.stderr.write(`devfuse: ${s}\n`);
  const mp = served.mountpoint;
  const onSignal = (signal: NodeJS.Signals): void => {
    signals++;
    if (signals === 1) {
      try {
        served.mounted.unmount();
        say(`${signal}: unmounting ${mp}`);
        return;
      } catch (e) {
        const n = served.session.inFlightCount;
        // umount2 says EBUSY; fusermount3 -u says "Device or resource busy".
        const busy = (e as { code?: string }).code === 'EBUSY' || /busy/i.test((e as Error).message);
        const why = n > 0 ? `${n} request${n === 1 ? '' : 's'} in flight` : busy ? 'the mount is in use' : (e as Error).message;
        try {
          served.mounted.unmount({ lazy: true });
        } catch {
          // someone mounted over it: the second signal still aborts the connection
        }
        say(`unmounting ${mp}: busy (${why}); detached it, serving what is still open until it is closed; press Ctrl-C again to force`);
      }
      return;
    }
    if (forced) return;
    forced = true;
    say(`${signal} again: forcing: aborting the connection of ${mp}`);
    void served.abort();
    // The session ends when the channel closes; should anything hang on, the process still goes.
    setTimeout(() => process.exit(1), 3000).unref();
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  return {
    get forced() {
      return forced;
    },
    remove() {
      process.off('SIGINT', onSignal);
      process.off('SIGTERM', onSignal);
    },
  };
}
