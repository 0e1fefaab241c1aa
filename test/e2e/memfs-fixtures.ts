/**
 * Shared by the memfs e2e tests (not a test file itself): mounting memfs
 * through withMount, memfs factories with small budgets for the ENOSPC
 * tests (the serving child calls an export by name, without arguments),
 * and the check that no mount is left behind.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import { memfs, type Memfs } from '../../src/fs/memfs';
import { canMount, withMount, type MountHandle } from '../helpers/mounted';
import { killAllPyProcesses } from '../helpers/syscalls';

export const skip = !canMount() && 'needs root and /dev/fuse';

const used: string[] = [];

/** Runs `body` on a fresh memfs mount; `options` are serve-child's (session options, or { options: '-o string', ... }). */
export function withMemfs<T>(body: (m: MountHandle) => Promise<T>, options: Record<string, unknown> = {}, factory = 'memfs'): Promise<T> {
  const module = factory === 'memfs' ? 'src/fs/memfs/index.js' : 'test/e2e/memfs-fixtures.js';
  return withMount(module, factory, options, async (m) => {
    used.push(m.dir);
    try {
      return await body(m);
    } finally {
      // Processes left holding files on the mount (after a failed assertion) would keep it busy.
      await killAllPyProcesses();
    }
  });
}

/** Asserts that none of the mountpoints this file used is still mounted. */
export function assertNothingMounted(): void {
  const mounts = fs.readFileSync('/proc/mounts', 'utf8');
  for (const dir of used) assert.ok(!mounts.split('\n').some((l) => l.split(' ')[1] === dir), `${dir} is still mounted`);
}

/** 64 KiB of space and 16 inodes. */
export function tinyMemfs(): Memfs {
  return memfs({ size: 16 * 4096, maxInodes: 16 });
}

/** A world-writable sticky root, as /tmp: for tests where unprivileged users create files. */
export function tmpLikeMemfs(): Memfs {
  return memfs({ uid: 0, gid: 0, mode: 0o1777 });
}
