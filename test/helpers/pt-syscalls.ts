/**
 * For the passthrough's end-to-end tests: a passthrough mounted by a child
 * process (serve-child.ts, configured through the environment, which the
 * child inherits), and the syscalls Node's fs does not make (xattrs,
 * renameat2, flock, fallocate, SEEK_DATA, mknod...) run by `python3 -c` in
 * a separate process, optionally as another user (setpriv).
 */
import { execFile, execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { withMount, type MountHandle } from './mounted';

export type IoMode = 'sync' | 'async';

/** The system's python3, runnable by any uid (a pyenv shim under /root is not). */
const PYTHON = fs.existsSync('/usr/bin/python3') ? '/usr/bin/python3' : 'python3';

export interface PtMount extends MountHandle {
  /** The source directory the mount mirrors. */
  readonly src: string;
}

/**
 * A fresh source directory (mode 0755), mounted with `options` (e.g.
 * 'allow_other,default_permissions') by a child serving
 * passthroughFromEnv(); removed afterwards.
 */
export async function withPassthrough<T>(io: IoMode, options: string, body: (m: PtMount) => Promise<T>): Promise<T> {
  const src = fs.mkdtempSync(path.join(os.tmpdir(), 'devfuse-ptsrc-'));
  fs.chmodSync(src, 0o755);
  const saved = { source: process.env.DEVFUSE_PASSTHROUGH_SOURCE, io: process.env.DEVFUSE_PASSTHROUGH_IO };
  process.env.DEVFUSE_PASSTHROUGH_SOURCE = src;
  process.env.DEVFUSE_PASSTHROUGH_IO = io;
  try {
    return await withMount('src/fs/passthrough/index.js', 'passthroughFromEnv', { options }, (m) => body({ ...m, src }));
  } finally {
    restore('DEVFUSE_PASSTHROUGH_SOURCE', saved.source);
    restore('DEVFUSE_PASSTHROUGH_IO', saved.io);
    execFileSync('rm', ['-rf', src]);
  }
}

function restore(name: string, value: string | undefined): void {
  if (value === undefined) delete process.env[name];
  else process.env[name] = value;
}

export interface RunAs {
  uid: number;
  gid: number;
}

function argv(code: string, as?: RunAs): [string, string[]] {
  if (!as) return [PYTHON, ['-c', code]];
  return ['setpriv', [`--reuid=${as.uid}`, `--regid=${as.gid}`, '--clear-groups', PYTHON, '-c', code]];
}

/** Runs a Python snippet (in `cwd`, as `as`); its stdout, trimmed. Throws with its stderr on failure. */
export function py(code: string, opts: { cwd?: string; as?: RunAs } = {}): string {
  const [cmd, args] = argv(code, opts.as);
  try {
    return execFileSync(cmd, args, { cwd: opts.cwd, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], timeout: 20000 }).trim();
  } catch (e) {
    const err = e as { stderr?: string; message: string };
    throw new Error(`python failed: ${err.stderr || err.message}`);
  }
}

/** As py(), without blocking the test process (for several clients at once). */
export function pyAsync(code: string, opts: { cwd?: string; as?: RunAs; timeout?: number } = {}): Promise<string> {
  const [cmd, args] = argv(code, opts.as);
  return new Promise((resolve, reject) => {
    execFile(cmd, args, { cwd: opts.cwd, encoding: 'utf8', timeout: opts.timeout ?? 20000 }, (err, stdout, stderr) => {
      if (err) reject(new Error(`python failed (${err.message}): ${stderr}`));
      else resolve(stdout.trim());
    });
  });
}

/** Runs a command; its stdout. */
export function sh(cmd: string, args: string[], opts: { cwd?: string; as?: RunAs } = {}): string {
  const full: [string, string[]] = opts.as ? ['setpriv', [`--reuid=${opts.as.uid}`, `--regid=${opts.as.gid}`, '--clear-groups', cmd, ...args]] : [cmd, args];
  try {
    return execFileSync(full[0], full[1], { cwd: opts.cwd, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], timeout: 20000 });
  } catch (e) {
    const err = e as { stderr?: string; stdout?: string; message: string };
    throw new Error(`${cmd} ${args.join(' ')} failed: ${err.message}\n${err.stdout ?? ''}${err.stderr ?? ''}`);
  }
}
