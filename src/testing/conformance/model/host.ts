/**
 * The reference: the same operations as ordinary system calls on a fresh
 * directory of the host (Node's fs, and through koffi what it lacks:
 * renameat2 flags, xattrs). The host kernel and its filesystem define what
 * the answer should be.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { errnoName } from '../../../protocol';
import { AT_FDCWD, errno, lib } from '../../../fs/passthrough/libc';
import { describeAttr, describeBytes, SLOTS, type Op, type Outcome } from './ops';

function fail(e: unknown): Outcome {
  const c = (e as { code?: unknown }).code;
  if (typeof c === 'string' && /^E[A-Z0-9]+$/.test(c)) return { err: c };
  throw e;
}

function ok(s = ''): Outcome {
  return { ok: s };
}

/** -1 from a koffi call: the errno as an outcome. */
function sys(r: number): Outcome | null {
  return r < 0 ? { err: errnoName(errno()) } : null;
}

export class HostTree {
  readonly root: string;
  private readonly fds: (number | null)[] = new Array<number | null>(SLOTS).fill(null);

  constructor() {
    this.root = fs.mkdtempSync(path.join(referenceBase(), `devfuse-model-${process.pid}-`));
  }

  private p(x: string): string {
    return this.root + x;
  }

  /** What the host's filesystem can do of the optional operations (a tmpfs before 6.6 has no user xattrs). */
  probe(): { xattr: boolean; renameFlags: boolean; fsType: string } {
    const f = this.p('/.probe');
    fs.writeFileSync(f, '');
    const xattr = lib().setxattr(f, 'user.probe', Buffer.from('x'), 1, 0) === 0;
    const renameFlags = lib().renameat2(AT_FDCWD, f, AT_FDCWD, this.p('/.probe2'), 1) === 0;
    fs.rmSync(this.p('/.probe'), { force: true });
    fs.rmSync(this.p('/.probe2'), { force: true });
    let fsType = 'the host filesystem';
    try {
      const mounts = fs.readFileSync('/proc/self/mounts', 'utf8').split('\n').map((l) => l.split(' ')).filter((x) => x.length > 2);
      const best = mounts.filter(([, mnt]) => this.root.startsWith(mnt!)).sort((a, b) => b[1]!.length - a[1]!.length)[0];
      if (best) fsType = `${best[2]} at ${best[1]}`;
    } catch {
      // the type is only for messages
    }
    return { xattr, renameFlags, fsType };
  }

  run(o: Op): Outcome {
    try {
      return this.op(o);
    } catch (e) {
      return fail(e);
    }
  }

  private op(o: Op): Outcome {
    switch (o.op) {
      case 'create':
        fs.closeSync(fs.openSync(this.p(o.path), fs.constants.O_CREAT | fs.constants.O_WRONLY | (o.excl ? fs.constants.O_EXCL : 0), o.mode));
        return ok();
      case 'write': {
        const fd = fs.openSync(this.p(o.path), fs.constants.O_WRONLY);
        try {
          return ok(String(fs.writeSync(fd, o.data, 0, o.data.length, o.offset)));
        } finally {
          fs.closeSync(fd);
        }
      }
      case 'truncate':
        fs.truncateSync(this.p(o.path), o.size);
        return ok();
      case 'read': {
        const fd = fs.openSync(this.p(o.path), fs.constants.O_RDONLY);
        try {
          const b = Buffer.alloc(o.len);
          const n = fs.readSync(fd, b, 0, o.len, o.offset);
          return ok(describeBytes(b.subarray(0, n)));
        } finally {
          fs.closeSync(fd);
        }
      }
      case 'mkdir':
        fs.mkdirSync(this.p(o.path), o.mode);
        return ok();
      case 'rmdir':
        fs.rmdirSync(this.p(o.path));
        return ok();
      case 'unlink':
        fs.unlinkSync(this.p(o.path));
        return ok();
      case 'rename':
        return sys(lib().renameat2(AT_FDCWD, this.p(o.from), AT_FDCWD, this.p(o.to), o.flags)) ?? ok();
      case 'link':
        fs.linkSync(this.p(o.from), this.p(o.to));
        return ok();
      case 'symlink':
        fs.symlinkSync(o.target, this.p(o.path));
        return ok();
      case 'readlink':
        return ok(JSON.stringify(fs.readlinkSync(this.p(o.path))));
      case 'setxattr':
        return sys(lib().setxattr(this.p(o.path), o.name, Buffer.from(o.value), o.value.length, o.flags)) ?? ok();
      case 'removexattr':
        return sys(lib().removexattr(this.p(o.path), o.name)) ?? ok();
      case 'getxattr': {
        const n = lib().getxattr(this.p(o.path), o.name, null, 0);
        if (n < 0) return { err: errnoName(errno()) };
        const b = Buffer.alloc(n);
        const m = lib().getxattr(this.p(o.path), o.name, b, n);
        return sys(m) ?? ok(describeBytes(b.subarray(0, m)));
      }
      case 'listxattr':
        return this.listxattr(this.p(o.path));
      case 'chmod':
        fs.chmodSync(this.p(o.path), o.mode);
        return ok();
      case 'readdir':
        return ok(JSON.stringify(fs.readdirSync(this.p(o.path)).sort()));
      case 'stat': {
        const s = fs.lstatSync(this.p(o.path));
        return ok(describeAttr(s.mode, s.nlink, s.size));
      }
      case 'open': {
        this.close(o.slot);
        this.fds[o.slot] = fs.openSync(this.p(o.path), o.flags);
        return ok();
      }
      case 'close':
        this.close(o.slot);
        return ok();
      case 'pwrite': {
        const fd = this.fds[o.slot];
        if (fd === null || fd === undefined) return ok('no fd');
        return ok(String(fs.writeSync(fd, o.data, 0, o.data.length, o.offset)));
      }
      case 'pread': {
        const fd = this.fds[o.slot];
        if (fd === null || fd === undefined) return ok('no fd');
        const b = Buffer.alloc(o.len);
        const n = fs.readSync(fd, b, 0, o.len, o.offset);
        return ok(describeBytes(b.subarray(0, n)));
      }
      case 'fstat': {
        const fd = this.fds[o.slot];
        if (fd === null || fd === undefined) return ok('no fd');
        const s = fs.fstatSync(fd);
        return ok(describeAttr(s.mode, s.nlink, s.size));
      }
      case 'ftruncate': {
        const fd = this.fds[o.slot];
        if (fd === null || fd === undefined) return ok('no fd');
        fs.ftruncateSync(fd, o.size);
        return ok();
      }
    }
  }

  private listxattr(p: string): Outcome {
    const n = lib().listxattr(p, null, 0);
    if (n < 0) return { err: errnoName(errno()) };
    const b = Buffer.alloc(n);
    const m = lib().listxattr(p, b, n);
    if (m < 0) return { err: errnoName(errno()) };
    return ok(JSON.stringify(userNames(b.subarray(0, m))));
  }

  private close(slot: number): void {
    const fd = this.fds[slot];
    if (fd !== null && fd !== undefined) fs.closeSync(fd);
    this.fds[slot] = null;
  }

  /** Every file, directory and symlink with what both sides can be held to, for the comparison at the end of a run. */
  snapshot(): Map<string, string> {
    const out = new Map<string, string>();
    const walk = (rel: string): void => {
      for (const name of fs.readdirSync(this.p(rel) || '/').sort()) {
        const r = `${rel}/${name}`;
        const s = fs.lstatSync(this.p(r));
        let what = describeAttr(s.mode, s.nlink, s.size);
        if (s.isFile()) what += ` ${this.contents(this.p(r))}`;
        if (s.isSymbolicLink()) what += ` → ${JSON.stringify(fs.readlinkSync(this.p(r)))}`;
        if (!s.isSymbolicLink()) {
          const x = this.listxattr(this.p(r));
          if ('ok' in x && x.ok !== '[]') what += ` xattrs ${x.ok}`;
        }
        out.set(r, what);
        if (s.isDirectory()) walk(r);
      }
    };
    walk('');
    return out;
  }

  private contents(p: string): string {
    try {
      return describeBytes(fs.readFileSync(p));
    } catch (e) {
      return `unreadable (${String((e as { code?: unknown }).code)})`;
    }
  }

  dispose(): void {
    for (let i = 0; i < SLOTS; i++) this.close(i);
    // Modes like 0000 on directories do not stop root, but would stop another user's rm.
    const loosen = (p: string): void => {
      try {
        if (fs.lstatSync(p).isDirectory()) {
          fs.chmodSync(p, 0o700);
          for (const n of fs.readdirSync(p)) loosen(path.join(p, n));
        }
      } catch {
        // gone already
      }
    };
    loosen(this.root);
    fs.rmSync(this.root, { recursive: true, force: true });
  }
}

let base: string | undefined;

/**
 * Where reference directories go: /dev/shm when it takes them (tmpfs: many
 * times faster than a disk filesystem for thousands of small changes, and
 * Linux's own semantics all the same), else the system's temporary directory.
 */
function referenceBase(): string {
  if (base !== undefined) return base;
  base = os.tmpdir();
  try {
    fs.rmdirSync(fs.mkdtempSync('/dev/shm/devfuse-probe-'));
    base = '/dev/shm';
  } catch {
    // no /dev/shm here, or not writable
  }
  sweep(base);
  return base;
}

/** Removes reference directories left by processes that died in the middle of a run (a child stopped by the runner). */
function sweep(dir: string): void {
  for (const name of fs.readdirSync(dir)) {
    const pid = /^devfuse-model-(\d+)-/.exec(name)?.[1];
    if (!pid || Number(pid) === process.pid) continue;
    try {
      process.kill(Number(pid), 0);
    } catch (e) {
      if ((e as { code?: string }).code === 'ESRCH') fs.rmSync(path.join(dir, name), { recursive: true, force: true });
    }
  }
}

/** The user.* names of a listxattr buffer, sorted. */
export function userNames(b: Buffer): string[] {
  return b.toString('latin1').split('\0').filter((n) => n.startsWith('user.')).sort();
}
