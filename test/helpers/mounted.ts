/**
 * withMount(): run a test body against a filesystem served on a real mount
 * by a separate process (serve-child.ts).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

export interface MountHandle {
  readonly dir: string;
  readonly child: ChildProcess;
  /** Everything the server wrote to stderr so far. */
  stderr(): string;
}

const CHILD = path.join(__dirname, 'serve-child.js');

/** True when real mounts can be tested here (root and /dev/fuse). */
export function canMount(): boolean {
  return process.getuid?.() === 0 && fs.existsSync('/dev/fuse');
}

function isMounted(dir: string): boolean {
  return fs.readFileSync('/proc/self/mountinfo', 'utf8').split('\n').some((l) => l.split(' ')[4] === dir);
}

/**
 * Mounts `module`'s `exportName()` filesystem on a fresh directory, runs
 * `body`, then unmounts and waits for the server to exit. `module` is a path
 * relative to the repository's dist/ (e.g. "src/fs/memfs/index.js").
 */
export async function withMount<T>(module: string, exportName: string, options: Record<string, unknown>, body: (m: MountHandle) => Promise<T>): Promise<T> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'devfuse-mnt-'));
  const modPath = path.join(__dirname, '..', '..', module);
  const child = spawn(process.execPath, [CHILD, modPath, exportName, dir, JSON.stringify(options)], { stdio: ['ignore', 'pipe', 'pipe'] });
  let err = '';
  child.stderr!.on('data', (d: Buffer) => (err += d.toString()));
  const handle: MountHandle = { dir, child, stderr: () => err };
  try {
    await new Promise<void>((resolve, reject) => {
      let out = '';
      const t = setTimeout(() => reject(new Error(`server did not become ready: ${err}`)), 15000);
      child.stdout!.on('data', (d: Buffer) => {
        out += d.toString();
        if (out.includes('ready')) {
          clearTimeout(t);
          resolve();
        }
      });
      child.on('exit', (code) => {
        clearTimeout(t);
        reject(new Error(`server exited (${code}) before ready: ${err}`));
      });
    });
    return await body(handle);
  } finally {
    const exited = new Promise<void>((resolve) => (child.exitCode !== null ? resolve() : child.on('exit', () => resolve())));
    child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
    await exited;
    clearTimeout(timer);
    if (isMounted(dir)) spawn('umount', ['-l', dir]).on('error', () => undefined);
    await new Promise((r) => setTimeout(r, isMounted(dir) ? 100 : 0));
    try {
      fs.rmdirSync(dir);
    } catch {
      // still busy: left for the OS to clean /tmp
    }
  }
}
