/**
 * The passthrough fixture for tests that call it directly: a temporary
 * source directory and a passthrough on it, and a census of the
 * descriptors this process holds under a directory (to see kept O_PATH
 * descriptors come and go). Contexts, errno assertions and readdir sinks:
 * ../helpers/fs-calls.ts.
 */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Attr } from '../../src/protocol';
import type { Entry } from '../../src/api/filesystem';
import { passthrough, type IoMode, type Passthrough, type PassthroughOptions } from '../../src/fs/passthrough';
import { strict, type Strict } from '../../src/testing/strict';
import { me, plainSink, plusSink, ROOT, type Collect, type CollectPlus, type Listed } from '../helpers/fs-calls';

export const MODES: IoMode[] = ['sync', 'async'];
export const isRoot = process.getuid?.() === 0;

/** A fresh source directory under `base` (ext4 /tmp by default; /dev/shm for tmpfs) and a passthrough on it. */
export class Fx {
  readonly src: string;
  /** The passthrough, with FuseErrors it returns as values thrown (src/testing/strict.ts). */
  readonly fs: Strict<Passthrough>;

  constructor(
    readonly mode: IoMode,
    base = os.tmpdir(),
    options: Omit<PassthroughOptions, 'io'> = {},
  ) {
    this.src = fs.mkdtempSync(path.join(base, 'devfuse-pt-'));
    this.fs = strict(passthrough(this.src, { ...options, io: mode }));
  }

  p(...parts: string[]): string {
    return path.join(this.src, ...parts);
  }

  async lookup(name: string, parent = ROOT): Promise<Entry> {
    return this.fs.lookup(me, parent, name);
  }

  /** getattr, as the Attr the passthrough answers with. */
  async attr(ino: number): Promise<Attr> {
    return (await this.fs.getattr(me, ino, undefined)) as Attr;
  }

  /** Opens `ino` and returns its fh. */
  async open(ino: number, flags = 2): Promise<number> {
    return (await this.fs.open(me, ino, flags, { killSuidgid: false })).fh!;
  }

  async list(ino = ROOT, perCall = Infinity, plus = false): Promise<Listed[]> {
    const fh = (await this.fs.opendir(me, ino, 0)).fh!;
    const out: Listed[] = [];
    let off = 0;
    for (;;) {
      const sink = plus ? plusSink(perCall) : plainSink(perCall);
      if (plus) await this.fs.readdirplus(me, ino, fh, off, sink as CollectPlus);
      else await this.fs.readdir(me, ino, fh, off, sink as Collect);
      if (sink.items.length === 0) break;
      out.push(...sink.items);
      off = sink.items[sink.items.length - 1]!.off;
    }
    await this.fs.releasedir(me, ino, fh);
    return out;
  }

  cleanup(): void {
    this.fs.close();
    // rm(1) walks with openat, so trees deeper than PATH_MAX go too (fs.rmSync fails on them).
    execFileSync('rm', ['-rf', this.src]);
  }
}

/** Runs `body` on a fixture and cleans the fixture up afterwards, whatever happened. */
export async function withFx(x: Fx, body: (x: Fx) => Promise<void>): Promise<void> {
  try {
    await body(x);
  } finally {
    x.cleanup();
  }
}

/** Descriptors of this process whose target lies under `dir` (O_PATH ones included). */
export function fdsUnder(dir: string): string[] {
  const out: string[] = [];
  for (const fd of fs.readdirSync('/proc/self/fd')) {
    try {
      const t = fs.readlinkSync(`/proc/self/fd/${fd}`);
      if (t === dir || t.startsWith(dir + '/')) out.push(t);
    } catch {
      // closed meanwhile (readdirSync's own descriptor)
    }
  }
  return out;
}

export function isPromiseLike(v: unknown): boolean {
  return typeof (v as { then?: unknown } | null)?.then === 'function';
}
