/** memfs options and their defaults. */
import os from 'node:os';
import { BLOCK_SIZE, S_IALLUGO } from './constants';
import { systemClock, type Clock } from './clock';

export interface MemfsOptions {
  /** Owner of the root directory. Default: the uid of the serving process. */
  uid?: number;
  /** Group of the root directory. Default: the gid of the serving process. */
  gid?: number;
  /** Permission bits of the root directory (S_ISVTX, S_ISGID allowed). Default 0o755. */
  mode?: number;
  /**
   * Bytes available for file data (whole 4 KiB blocks), extended attributes
   * and symlink targets; writes beyond it fail with ENOSPC, and statfs
   * reports it. Default: half the machine's memory, as tmpfs.
   */
  size?: number;
  /** Most inodes at once, the root included (ENOSPC beyond). Default: as tmpfs's nr_inodes, half the RAM pages (at least 1024). */
  maxInodes?: number;
  /**
   * When reads update atime: 'relatime' (default, as Linux mounts do: only
   * if atime is older than mtime or ctime, or a day old), 'strictatime'
   * (every read), 'noatime' (never).
   */
  atime?: 'relatime' | 'strictatime' | 'noatime';
  /**
   * The mount has -o default_permissions: the kernel checks permissions
   * itself, with the caller's supplementary groups and capabilities, which
   * FUSE does not pass on. memfs then skips its own checks (they would
   * refuse what a supplementary group allows). Default false: memfs checks.
   */
  defaultPermissions?: boolean;
  /** Where timestamps come from (tests inject a fake). */
  clock?: Clock;
  /**
   * Called (from a timer, at most once a second) after memfs has dropped
   * 4 MiB or more of file data, to hand that memory back to the operating
   * system: until a garbage collection runs the buffers are still
   * allocated, and glibc's malloc keeps what is freed. devfuse's
   * `releaseFreedMemory` does both (the CLI passes it); without it a
   * deleted file's memory comes back only when the process happens to
   * collect and trim (docs/memfs-memory.md).
   */
  releaseMemory?: () => void;
}

export interface ResolvedMemfsOptions {
  uid: number;
  gid: number;
  mode: number;
  size: number;
  maxInodes: number;
  atime: 'relatime' | 'strictatime' | 'noatime';
  defaultPermissions: boolean;
  clock: Clock;
  releaseMemory: (() => void) | undefined;
}

function nonNegativeInteger(v: unknown, what: string): number {
  if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < 0) throw new TypeError(`memfs: ${what} must be a non-negative integer, got ${String(v)}`);
  return v;
}

export function resolveMemfsOptions(o: MemfsOptions = {}): ResolvedMemfsOptions {
  const halfRam = Math.floor(os.totalmem() / 2);
  const size = o.size === undefined ? halfRam : nonNegativeInteger(o.size, 'size');
  const mode = o.mode === undefined ? 0o755 : nonNegativeInteger(o.mode, 'mode');
  if (mode & ~S_IALLUGO) throw new TypeError(`memfs: mode 0${mode.toString(8)} has bits beyond 07777`);
  const atime = o.atime ?? 'relatime';
  if (atime !== 'relatime' && atime !== 'strictatime' && atime !== 'noatime') throw new TypeError(`memfs: atime must be relatime, strictatime or noatime`);
  return {
    uid: o.uid === undefined ? (process.getuid?.() ?? 0) : nonNegativeInteger(o.uid, 'uid'),
    gid: o.gid === undefined ? (process.getgid?.() ?? 0) : nonNegativeInteger(o.gid, 'gid'),
    mode,
    size,
    maxInodes: o.maxInodes === undefined ? Math.max(1024, Math.floor(halfRam / BLOCK_SIZE)) : nonNegativeInteger(o.maxInodes, 'maxInodes'),
    atime,
    defaultPermissions: o.defaultPermissions ?? false,
    clock: o.clock ?? systemClock(),
    releaseMemory: o.releaseMemory,
  };
}
