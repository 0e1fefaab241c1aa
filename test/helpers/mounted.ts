/**
 * Real mounts for tests: a filesystem served by a separate process
 * (serve-child.ts) while the test process makes the syscalls.
 *
 *   withMount(module, export, options, body)   any filesystem a module exports
 *   withMemfs(variant, options, body)           memfs, or a variant of memfs-variants.ts
 *   withPassthrough(io, options, body)          the passthrough of a fresh source directory
 *
 * `options` is a `-o` string ("allow_other,writeback_cache") or what
 * serve-child takes (session options, or { options, session, mount }).
 * Each unmounts and waits for the server when the body ends, and kills the
 * python processes (syscalls.ts) still running, which would keep the mount
 * busy after a failed assertion; assertNothingMounted() checks that every
 * mountpoint a test file used is gone.
 */
import assert from 'node:assert/strict';
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { killAllPyProcesses } from './syscalls';

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

/** For `{ skip }`: why real-mount tests cannot run here, or false. */
export const skip = !canMount() && 'needs root and /dev/fuse';

export type MountOptions = string | Record<string, unknown>;

const used: string[] = [];

/** Asserts that none of the mountpoints this test file used is still mounted. */
export function assertNothingMounted(): void {
  for (const dir of used) assert.ok(!isMounted(dir), `${dir} is still mounted`);
}

function isMounted(dir: string): boolean {
  return fs.readFileSync('/proc/self/mountinfo', 'utf8').split('\n').some((l) => l.split(' ')[4] === dir);
}

/**
 * Mounts `module`'s `exportName()` filesystem on a fresh directory, runs
 * `body`, then unmounts and waits for the server to exit. `module` is a path
 * relative to the repository's dist/ (e.g. "src/fs/memfs/index.js").
 */
export async function withMount<T>(module: string, exportName: string, options: MountOptions, body: (m: MountHandle) => Promise<T>): Promise<T> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'devfuse-mnt-'));
  used.push(dir);
  const modPath = path.join(__dirname, '..', '..', module);
  const json = JSON.stringify(typeof options === 'string' ? { options } : options);
  const child = spawn(process.execPath, [CHILD, modPath, exportName, dir, json], { stdio: ['ignore', 'pipe', 'pipe'] });
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
    await killAllPyProcesses();
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

/** memfs (`variant` 'memfs'), or a variant exported by memfs-variants.ts, mounted for `body`. */
export function withMemfs<T>(variant: 'memfs' | 'tinyMemfs' | 'tmpLikeMemfs', options: MountOptions, body: (m: MountHandle) => Promise<T>): Promise<T> {
  return withMount(variant === 'memfs' ? 'src/fs/memfs/index.js' : 'test/helpers/memfs-variants.js', variant, options, body);
}

export type IoMode = 'sync' | 'async';

export interface PtMount extends MountHandle {
  /** The source directory the mount mirrors. */
  readonly src: string;
}

/**
 * A fresh source directory (mode 0755) mirrored by a child serving
 * passthroughFromEnv() (configured through the environment it inherits)
 * with `io`; removed afterwards.
 */
export async function withPassthrough<T>(io: IoMode, options: MountOptions, body: (m: PtMount) => Promise<T>): Promise<T> {
  const src = fs.mkdtempSync(path.join(os.tmpdir(), 'devfuse-ptsrc-'));
  fs.chmodSync(src, 0o755);
  const saved = { source: process.env.DEVFUSE_PASSTHROUGH_SOURCE, io: process.env.DEVFUSE_PASSTHROUGH_IO };
  process.env.DEVFUSE_PASSTHROUGH_SOURCE = src;
  process.env.DEVFUSE_PASSTHROUGH_IO = io;
  try {
    return await withMount('src/fs/passthrough/index.js', 'passthroughFromEnv', options, (m) => body({ ...m, src }));
  } finally {
    restore('DEVFUSE_PASSTHROUGH_SOURCE', saved.source);
    restore('DEVFUSE_PASSTHROUGH_IO', saved.io);
    // rm(1) walks with openat, so trees deeper than PATH_MAX go too.
    execFileSync('rm', ['-rf', src]);
  }
}

function restore(name: string, value: string | undefined): void {
  if (value === undefined) delete process.env[name];
  else process.env[name] = value;
}
