/**
 * /proc/self/mountinfo, parsed: how mount.ts (and the tests) see whether a
 * mount is there without touching it. Touching a FUSE mountpoint (stat,
 * readdir) blocks until its server answers, so the mount table is the only
 * safe place to look from the process that holds the fd.
 */
import fs from 'node:fs';

export interface MountInfo {
  /** Mount ID: unique among the mounts that exist now (reused after an unmount). */
  id: number;
  parent: number;
  /** "major:minor" of the superblock; for FUSE the minor is the connection number in /sys/fs/fuse/connections. */
  dev: string;
  root: string;
  mountpoint: string;
  /** Per-mount options: "rw,nosuid,nodev,relatime". */
  options: string;
  fstype: string;
  source: string;
  /** Superblock options: for FUSE "rw,user_id=0,group_id=0,allow_other,...". */
  superOptions: string;
}

/** The mount table of `pid` (default: this process), in the kernel's order (a mount comes after the one it covers). */
export function readMountInfo(pid: number | 'self' = 'self'): MountInfo[] {
  const text = fs.readFileSync(`/proc/${pid}/mountinfo`, 'utf8');
  const out: MountInfo[] = [];
  for (const line of text.split('\n')) {
    if (line === '') continue;
    const f = line.split(' ');
    const sep = f.indexOf('-', 6);
    if (sep < 0 || f.length < sep + 4) continue;
    out.push({
      id: Number(f[0]),
      parent: Number(f[1]),
      dev: f[2]!,
      root: unescapeMountInfo(f[3]!),
      mountpoint: unescapeMountInfo(f[4]!),
      options: f[5]!,
      fstype: unescapeMountInfo(f[sep + 1]!),
      source: unescapeMountInfo(f[sep + 2]!),
      superOptions: unescapeMountInfo(f[sep + 3]!),
    });
  }
  return out;
}

/** The kernel escapes space, tab, newline and backslash in mountinfo as \ooo. */
export function escapeMountInfo(s: string): string {
  return s.replace(/[ \t\n\\]/g, (c) => '\\' + c.charCodeAt(0).toString(8).padStart(3, '0'));
}

export function unescapeMountInfo(s: string): string {
  return s.replace(/\\([0-7]{3})/g, (_, o: string) => String.fromCharCode(parseInt(o, 8)));
}

/** The mount that path resolution reaches at `mountpoint` now: the last one listed there. */
export function topMountAt(mountpoint: string, table: readonly MountInfo[] = readMountInfo()): MountInfo | undefined {
  let top: MountInfo | undefined;
  for (const m of table) if (m.mountpoint === mountpoint) top = m;
  return top;
}
