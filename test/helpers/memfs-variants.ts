/**
 * memfs configured for particular tests, for a serving child to call by
 * export name without arguments (withMemfs(variant, ...) in mounted.ts).
 */
import { memfs, type Memfs } from '../../src/fs/memfs';

/** 64 KiB of space and 16 inodes: for the ENOSPC tests. */
export function tinyMemfs(): Memfs {
  return memfs({ size: 16 * 4096, maxInodes: 16 });
}

/** A world-writable sticky root, as /tmp: for tests where unprivileged users create files. */
export function tmpLikeMemfs(): Memfs {
  return memfs({ uid: 0, gid: 0, mode: 0o1777 });
}
