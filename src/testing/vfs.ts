/**
 * Drive a filesystem the way the VFS would, through the kernel emulator:
 * path walks by LOOKUP (each counted in the emulator's lookup ledger), files
 * opened, read and released, directories listed with OPENDIR/READDIR/
 * RELEASEDIR. Scenarios then read like tests of a filesystem:
 *
 *   const v = await Vfs.start(memfs());
 *   await v.writeFile('/a', 'hello');
 *   assert.equal((await v.readFile('/a')).toString(), 'hello');
 *
 * Failures throw VfsError with the errno's name in `code`, like Node's fs.
 * Loops (reading a file to its end, listing a directory) stop at the
 * emulator's limits and throw LimitExceeded naming the bound, so a
 * filesystem that never says "end" fails by name instead of running forever.
 */
import {
  Errno, FattrFlags, FsyncFlags, GetattrFlags, LkFlags, Opcode, ROOT_ID, decodeName, decodeNameList, errnoName,
  type Attr, type DecodedReply, type EntryOut, type FileLock, type ReplyBody, type Statx,
} from '../protocol';
import type { Filesystem } from '../api/filesystem';
import { O_DIRECTORY, O_RDONLY, O_WRONLY } from '../linux/constants';
import { KernelEmulator, type EmulatorOptions, type InitParams } from './emulator';
import { LimitExceeded } from './limits';

export class VfsError extends Error {
  override readonly name = 'VfsError';
  constructor(
    readonly code: string,
    readonly errno: number,
    readonly op: string,
    readonly path: string,
  ) {
    super(`${code}: ${op} ${path}`);
  }
}

/** The body of a request of opcode O, as KernelEmulator.request takes it. */
type RequestBody<O extends Opcode> = Parameters<typeof KernelEmulator.prototype.request<O>>[2];

type BodyOf<K extends ReplyBody['kind']> = Extract<ReplyBody, { kind: K }>;

/** SETATTR changes as the kernel sends them; `fh` sets FATTR_FH (ftruncate, fchmod...). */
export interface SetattrInput {
  mode?: number;
  uid?: number;
  gid?: number;
  size?: number;
  atime?: { sec: number; nsec: number } | 'now';
  mtime?: { sec: number; nsec: number } | 'now';
  ctime?: { sec: number; nsec: number };
  fh?: number;
  killSuidgid?: boolean;
  lockOwner?: bigint;
}


export interface DirEntry {
  name: string;
  ino: number;
  type: number;
  off: number;
}

export class Vfs {
  constructor(readonly k: KernelEmulator) {}

  /** An emulator with INIT done, wrapped. */
  static async start(fs: Filesystem, opts: EmulatorOptions & { init?: InitParams } = {}): Promise<Vfs> {
    const k = new KernelEmulator(fs, opts);
    await k.init(opts.init);
    return new Vfs(k);
  }

  /** Sends one request through the emulator (which counts it against limits.maxRequests). */
  private req<O extends Opcode>(opcode: O, nodeid: number, body: RequestBody<O>): Promise<DecodedReply> {
    return this.k.request(opcode, nodeid, body);
  }

  /** Throws VfsError for an error reply, returns the body of the expected kind otherwise. */
  private expect<K extends ReplyBody['kind']>(r: DecodedReply, kind: K, op: string, path: string): BodyOf<K> {
    if (r.error) throw new VfsError(errnoName(-r.error), -r.error, op, path);
    if (!r.body || r.body.kind !== kind) throw new Error(`${op} ${path}: expected a ${kind} reply, got ${r.body?.kind ?? 'none'}`);
    return r.body as BodyOf<K>;
  }

  private ok(r: DecodedReply, op: string, path: string): void {
    if (r.error) throw new VfsError(errnoName(-r.error), -r.error, op, path);
  }

  private split(path: string): { parent: string; name: string } {
    const parts = path.split('/').filter(Boolean);
    const name = parts.pop();
    if (name === undefined) throw new Error(`${path} has no last component`);
    return { parent: '/' + parts.join('/'), name };
  }

  private async id(target: string | number): Promise<number> {
    return typeof target === 'number' ? target : this.nodeid(target);
  }

  /** The negotiated INIT flags (what the kernel and the server agreed on). */
  get initFlags(): bigint {
    const o = this.k.init_out;
    return o ? BigInt(o.flags) | (BigInt(o.flags2 ?? 0) << 32n) : 0n;
  }

  // ---- names ----------------------------------------------------------------

  /** LOOKUP one name in a directory. */
  async lookupIn(parent: number, name: string): Promise<EntryOut> {
    return this.expect(await this.req(Opcode.LOOKUP, parent, { name }), 'entry', 'lookup', name).entry;
  }

  /** Walks a path from the root. Node id 1 for "/". */
  async lookup(path: string): Promise<EntryOut | { nodeid: number; attr: null }> {
    let id = ROOT_ID;
    let last: EntryOut | null = null;
    for (const name of path.split('/').filter(Boolean)) {
      last = await this.lookupIn(id, name);
      if (last.nodeid === 0) throw new VfsError('ENOENT', Errno.ENOENT, 'lookup', path);
      id = last.nodeid;
    }
    return last ?? { nodeid: ROOT_ID, attr: null };
  }

  async nodeid(path: string): Promise<number> {
    return (await this.lookup(path)).nodeid;
  }

  async mkdir(path: string, mode = 0o755): Promise<EntryOut> {
    const { parent, name } = this.split(path);
    const r = await this.req(Opcode.MKDIR, await this.nodeid(parent), { arg: { mode, umask: 0o022 }, name });
    return this.expect(r, 'entry', 'mkdir', path).entry;
  }

  /** MKNOD: `mode` carries the file type (S_IFIFO, S_IFSOCK, S_IFCHR, S_IFBLK, S_IFREG). */
  async mknod(path: string, mode: number, rdev = 0): Promise<EntryOut> {
    const { parent, name } = this.split(path);
    const r = await this.req(Opcode.MKNOD, await this.nodeid(parent), { arg: { mode, rdev, umask: 0o022 }, name });
    return this.expect(r, 'entry', 'mknod', path).entry;
  }

  async unlink(path: string): Promise<void> {
    const { parent, name } = this.split(path);
    this.ok(await this.req(Opcode.UNLINK, await this.nodeid(parent), { name }), 'unlink', path);
  }

  async rmdir(path: string): Promise<void> {
    const { parent, name } = this.split(path);
    this.ok(await this.req(Opcode.RMDIR, await this.nodeid(parent), { name }), 'rmdir', path);
  }

  /** RENAME2 (renameat2 with `flags`). */
  async rename(from: string, to: string, flags = 0): Promise<void> {
    const a = this.split(from);
    const b = this.split(to);
    // The kernel's VFS refuses these itself (lock_rename's trap) and never sends them: a server need not expect them.
    if (isBelow(to, from)) throw new VfsError('EINVAL', Errno.EINVAL, 'rename', `${from} → ${to} (into its own subtree: the kernel refuses it without asking the filesystem)`);
    if (isBelow(from, to)) throw new VfsError('ENOTEMPTY', Errno.ENOTEMPTY, 'rename', `${from} → ${to} (over its own ancestor: the kernel refuses it without asking the filesystem)`);
    const r = await this.req(Opcode.RENAME2, await this.nodeid(a.parent), { arg: { newdir: await this.nodeid(b.parent), flags }, oldname: a.name, newname: b.name });
    this.ok(r, 'rename', `${from} → ${to}`);
  }

  /** The old RENAME opcode, as rename(2) arrives from kernels before 7.23 and from plain rename(2). */
  async renamePlain(from: string, to: string): Promise<void> {
    const a = this.split(from);
    const b = this.split(to);
    const r = await this.req(Opcode.RENAME, await this.nodeid(a.parent), { arg: { newdir: await this.nodeid(b.parent) }, oldname: a.name, newname: b.name });
    this.ok(r, 'rename', `${from} → ${to}`);
  }

  async symlink(target: string, path: string): Promise<EntryOut> {
    const { parent, name } = this.split(path);
    return this.expect(await this.req(Opcode.SYMLINK, await this.nodeid(parent), { name, linkname: target }), 'entry', 'symlink', path).entry;
  }

  async readlink(path: string | number): Promise<string> {
    const d = this.expect(await this.req(Opcode.READLINK, await this.id(path), {}), 'data', 'readlink', String(path)).data;
    // Bytes that are not UTF-8 come back as the escapes names use (protocol/names.ts), so the target round-trips.
    return decodeName(d, 0, d.length);
  }

  /** LINK: a new name `path` for `existing` (a path, or a node id the kernel holds: an open unlinked file, an O_TMPFILE). */
  async link(existing: string | number, path: string): Promise<EntryOut> {
    const { parent, name } = this.split(path);
    const r = await this.req(Opcode.LINK, await this.nodeid(parent), { arg: { oldnodeid: await this.id(existing) }, name });
    return this.expect(r, 'entry', 'link', path).entry;
  }

  // ---- attributes -----------------------------------------------------------

  async getattr(path: string | number, fh?: number): Promise<Attr> {
    const id = await this.id(path);
    const arg = { getattr_flags: fh === undefined ? 0 : GetattrFlags.FH, fh: fh ?? 0 };
    return this.expect(await this.req(Opcode.GETATTR, id, { arg }), 'attr', 'getattr', String(path)).attr.attr;
  }

  async setattr(target: string | number, changes: SetattrInput): Promise<Attr> {
    const id = await this.id(target);
    let valid = 0;
    if (changes.mode !== undefined) valid |= FattrFlags.MODE;
    if (changes.uid !== undefined) valid |= FattrFlags.UID;
    if (changes.gid !== undefined) valid |= FattrFlags.GID;
    if (changes.size !== undefined) valid |= FattrFlags.SIZE;
    if (changes.atime !== undefined) valid |= FattrFlags.ATIME | (changes.atime === 'now' ? FattrFlags.ATIME_NOW : 0);
    if (changes.mtime !== undefined) valid |= FattrFlags.MTIME | (changes.mtime === 'now' ? FattrFlags.MTIME_NOW : 0);
    if (changes.ctime !== undefined) valid |= FattrFlags.CTIME;
    if (changes.fh !== undefined) valid |= FattrFlags.FH;
    if (changes.killSuidgid) valid |= FattrFlags.KILL_SUIDGID;
    if (changes.lockOwner !== undefined) valid |= FattrFlags.LOCKOWNER;
    const t = (x: SetattrInput['atime']): { sec: number; nsec: number } => (x && x !== 'now' ? x : { sec: 0, nsec: 0 });
    const arg = {
      valid, fh: changes.fh ?? 0, size: changes.size ?? 0, lock_owner: changes.lockOwner ?? 0n,
      atime: t(changes.atime).sec, mtime: t(changes.mtime).sec, ctime: changes.ctime?.sec ?? 0,
      atimensec: t(changes.atime).nsec, mtimensec: t(changes.mtime).nsec, ctimensec: changes.ctime?.nsec ?? 0,
      mode: changes.mode ?? 0, uid: changes.uid ?? 0, gid: changes.gid ?? 0,
    };
    return this.expect(await this.req(Opcode.SETATTR, id, { arg }), 'attr', 'setattr', String(target)).attr.attr;
  }

  /** STATX with `mask` (STATX_* bits) and `flags` (AT_STATX_*); `fh` for fstatx. */
  async statx(target: string | number, mask = 0xfff, flags = 0, fh?: number): Promise<Statx> {
    const arg = { getattr_flags: fh === undefined ? 0 : GetattrFlags.FH, fh: fh ?? 0, sx_flags: flags, sx_mask: mask };
    return this.expect(await this.req(Opcode.STATX, await this.id(target), { arg }), 'statx', 'statx', String(target)).statx.stat;
  }

  async access(target: string | number, mask: number): Promise<void> {
    this.ok(await this.req(Opcode.ACCESS, await this.id(target), { arg: { mask } }), 'access', String(target));
  }

  async statfs(target: string | number = ROOT_ID): Promise<BodyOf<'statfs'>['statfs']['st']> {
    return this.expect(await this.req(Opcode.STATFS, await this.id(target), {}), 'statfs', 'statfs', String(target)).statfs.st;
  }

  // ---- files ----------------------------------------------------------------

  async open(path: string | number, flags = O_RDONLY): Promise<{ nodeid: number; fh: number; open_flags: number }> {
    const nodeid = await this.id(path);
    const o = this.expect(await this.req(Opcode.OPEN, nodeid, { arg: { flags, open_flags: 0 } }), 'open', 'open', String(path)).open;
    return { nodeid, fh: o.fh, open_flags: o.open_flags };
  }

  async release(nodeid: number, fh: number, flags = 0): Promise<void> {
    this.ok(await this.req(Opcode.RELEASE, nodeid, { arg: { fh, flags, release_flags: 0, lock_owner: 0n } }), 'release', String(nodeid));
  }

  async read(nodeid: number, fh: number, offset: number, size: number, flags = 0): Promise<Buffer> {
    const arg = { fh, offset, size, read_flags: 0, lock_owner: 0n, flags };
    return this.expect(await this.req(Opcode.READ, nodeid, { arg }), 'data', 'read', String(nodeid)).data;
  }

  async write(nodeid: number, fh: number, offset: number, data: Buffer, opts: { flags?: number; writeFlags?: number } = {}): Promise<number> {
    const arg = { fh, offset, size: data.length, write_flags: opts.writeFlags ?? 0, lock_owner: 0n, flags: opts.flags ?? O_WRONLY };
    return this.expect(await this.req(Opcode.WRITE, nodeid, { arg, data }), 'write', 'write', String(nodeid)).size;
  }

  /** FLUSH, as close(2) sends it for each descriptor. */
  async flush(nodeid: number, fh: number, lockOwner = 0n): Promise<void> {
    this.ok(await this.req(Opcode.FLUSH, nodeid, { arg: { fh, lock_owner: lockOwner } }), 'flush', String(nodeid));
  }

  async fsync(nodeid: number, fh: number, datasync = false): Promise<void> {
    const arg = { fh, fsync_flags: datasync ? FsyncFlags.FDATASYNC : 0 };
    this.ok(await this.req(Opcode.FSYNC, nodeid, { arg }), 'fsync', String(nodeid));
  }

  async fsyncdir(nodeid: number, fh: number, datasync = false): Promise<void> {
    const arg = { fh, fsync_flags: datasync ? FsyncFlags.FDATASYNC : 0 };
    this.ok(await this.req(Opcode.FSYNCDIR, nodeid, { arg }), 'fsyncdir', String(nodeid));
  }

  /** Reads the whole file, up to limits.bytes. */
  async readFile(path: string | number): Promise<Buffer> {
    const f = await this.open(path);
    const chunks: Buffer[] = [];
    try {
      for (let off = 0; ; ) {
        const b = await this.read(f.nodeid, f.fh, off, 65536);
        if (b.length === 0) break;
        if (off + b.length > this.k.limits.maxFileBytes) throw new LimitExceeded('maxFileBytes', `READ ${path}: still returning data past ${this.k.limits.maxFileBytes} bytes (limits.maxFileBytes): a file that keeps growing, or reads past EOF that return data`);
        if (off + b.length > this.k.limits.maxFileBytes) {
          throw new LimitExceeded('maxFileBytes', `READ ${String(path)}: still returning data past ${this.k.limits.maxFileBytes} bytes (limits.maxFileBytes): a file that keeps growing, or reads past EOF that return data`);
        }
        chunks.push(Buffer.from(b));
        off += b.length;
      }
    } finally {
      await this.release(f.nodeid, f.fh);
    }
    return Buffer.concat(chunks);
  }

  /** CREATE: creates and opens a file; returns its node id and handle (one lookup is held). */
  async create(path: string, mode = 0o644, flags = O_WRONLY | 0o100): Promise<{ nodeid: number; fh: number; entry: EntryOut; open_flags: number }> {
    const { parent, name } = this.split(path);
    const r = await this.req(Opcode.CREATE, await this.nodeid(parent), { arg: { flags, mode: 0o100000 | mode, umask: 0o022, open_flags: 0 }, name });
    const c = this.expect(r, 'create', 'create', path);
    return { nodeid: c.entry.nodeid, fh: c.open.fh, entry: c.entry, open_flags: c.open.open_flags };
  }

  /** TMPFILE (open(dir, O_TMPFILE)): an unnamed open file in `dir`. */
  async tmpfile(dir: string, mode = 0o600, flags = 2): Promise<{ nodeid: number; fh: number; entry: EntryOut }> {
    const r = await this.req(Opcode.TMPFILE, await this.nodeid(dir), { arg: { flags, mode: 0o100000 | mode, umask: 0o022, open_flags: 0 }, name: '/' });
    const c = this.expect(r, 'create', 'tmpfile', dir);
    return { nodeid: c.entry.nodeid, fh: c.open.fh, entry: c.entry };
  }

  /** Creates (CREATE) or truncates and writes a whole file. */
  async writeFile(path: string, data: Buffer | string, mode = 0o644): Promise<void> {
    const buf = typeof data === 'string' ? Buffer.from(data) : data;
    const c = await this.create(path, mode, O_WRONLY | 0o100 | 0o1000);
    try {
      await this.setattr(c.nodeid, { size: 0, fh: c.fh });
      for (let off = 0; off < buf.length; ) {
        const n = await this.write(c.nodeid, c.fh, off, buf.subarray(off, off + Math.min(131072, this.k.maxWrite)));
        if (n <= 0) throw new VfsError('EIO', Errno.EIO, 'write', `${path} (WRITE answered ${n} bytes)`);
        off += n;
      }
    } finally {
      await this.release(c.nodeid, c.fh, O_WRONLY);
    }
  }

  async fallocate(nodeid: number, fh: number, mode: number, offset: number, length: number): Promise<void> {
    this.ok(await this.req(Opcode.FALLOCATE, nodeid, { arg: { fh, offset, length, mode } }), 'fallocate', String(nodeid));
  }

  /** LSEEK with SEEK_DATA (3) or SEEK_HOLE (4). */
  async lseek(nodeid: number, fh: number, offset: number, whence: number): Promise<number> {
    return this.expect(await this.req(Opcode.LSEEK, nodeid, { arg: { fh, offset, whence } }), 'lseek', 'lseek', String(nodeid)).offset;
  }

  /** COPY_FILE_RANGE between two open files; answers the bytes copied. */
  async copyFileRange(from: { nodeid: number; fh: number; offset: number }, to: { nodeid: number; fh: number; offset: number }, len: number, flags = 0): Promise<number> {
    const arg = { fh_in: from.fh, off_in: from.offset, nodeid_out: to.nodeid, fh_out: to.fh, off_out: to.offset, len, flags };
    return this.expect(await this.req(Opcode.COPY_FILE_RANGE, from.nodeid, { arg }), 'write', 'copy_file_range', String(from.nodeid)).size;
  }

  // ---- locks ----------------------------------------------------------------

  async getlk(nodeid: number, fh: number, owner: bigint, lk: FileLock): Promise<FileLock> {
    const r = await this.req(Opcode.GETLK, nodeid, { arg: { fh, owner, lk, lk_flags: 0 } });
    return this.expect(r, 'lk', 'getlk', String(nodeid)).lk.lk;
  }

  /** SETLK (or SETLKW when `wait`): a POSIX record lock. */
  async setlk(nodeid: number, fh: number, owner: bigint, lk: FileLock, wait = false): Promise<void> {
    const r = await this.req(wait ? Opcode.SETLKW : Opcode.SETLK, nodeid, { arg: { fh, owner, lk, lk_flags: 0 } });
    this.ok(r, wait ? 'setlkw' : 'setlk', String(nodeid));
  }

  /** flock(2) as the kernel sends it: SETLK(W) with FUSE_LK_FLOCK; `type` F_RDLCK/F_WRLCK/F_UNLCK. */
  async flock(nodeid: number, fh: number, owner: bigint, type: number, wait = false): Promise<void> {
    const lk = { start: 0, end: 0, type, pid: 0 };
    const r = await this.req(wait ? Opcode.SETLKW : Opcode.SETLK, nodeid, { arg: { fh, owner, lk, lk_flags: LkFlags.FLOCK } });
    this.ok(r, 'flock', String(nodeid));
  }

  // ---- directories ----------------------------------------------------------

  async opendir(path: string | number): Promise<{ nodeid: number; fh: number }> {
    const nodeid = await this.id(path);
    const o = this.expect(await this.req(Opcode.OPENDIR, nodeid, { arg: { flags: O_DIRECTORY, open_flags: 0 } }), 'open', 'opendir', String(path)).open;
    return { nodeid, fh: o.fh };
  }

  async releasedir(nodeid: number, fh: number): Promise<void> {
    this.ok(await this.req(Opcode.RELEASEDIR, nodeid, { arg: { fh, flags: O_DIRECTORY, release_flags: 0, lock_owner: 0n } }), 'releasedir', String(nodeid));
  }

  /** One READDIR (or READDIRPLUS) request. */
  async readdirAt(nodeid: number, fh: number, offset: number, size = 4096, plus = false): Promise<DirEntryPlus[]> {
    const arg = { fh, offset, size, read_flags: 0, lock_owner: 0n, flags: O_DIRECTORY };
    const r = await this.req(plus ? Opcode.READDIRPLUS : Opcode.READDIR, nodeid, { arg });
    const d = this.expect(r, 'dirents', plus ? 'readdirplus' : 'readdir', String(nodeid));
    return d.entries.map((e) => ({ name: e.name, ino: e.ino, type: e.type, off: e.off, entry: e.entry }));
  }

  /**
   * OPENDIR, READDIR until an empty reply, RELEASEDIR. `size` is the buffer
   * each READDIR asks for. Stops at limits.entries, and at a cookie seen
   * before (a listing that would never end).
   */
  async readdir(path: string | number, size = 4096): Promise<DirEntry[]> {
    return this.list(path, size, false);
  }

  /** As readdir, with READDIRPLUS: each entry with a nonzero node id is a lookup the emulator now holds. */
  async readdirplus(path: string | number, size = 4096): Promise<DirEntryPlus[]> {
    return this.list(path, size, true);
  }

  private async list(path: string | number, size: number, plus: boolean): Promise<DirEntryPlus[]> {
    const { nodeid, fh } = await this.opendir(path);
    const out: DirEntryPlus[] = [];
    const cookies = new Set<number>([0]);
    try {
      for (let offset = 0; ; ) {
        const entries = await this.readdirAt(nodeid, fh, offset, size, plus);
        if (entries.length === 0) break;
        out.push(...entries);
        const next = entries[entries.length - 1]!.off;
        const what = `${plus ? 'READDIRPLUS' : 'READDIR'} ${String(path)}`;
        if (cookies.has(next)) throw new LimitExceeded('maxDirEntries', `${what}: the cookie ${next} came back after it was used (offset ${offset}, ${out.length} entries): the listing would loop`);
        if (out.length > this.k.limits.maxDirEntries) throw new LimitExceeded('maxDirEntries', `${what}: more than ${this.k.limits.maxDirEntries} entries (limits.maxDirEntries): cookies that never end`);
        cookies.add(next);
        offset = next;
      }
    } finally {
      await this.releasedir(nodeid, fh);
    }
    return out;
  }

  // ---- extended attributes --------------------------------------------------

  async setxattr(path: string | number, name: string, value: Buffer | string, flags = 0): Promise<void> {
    const v = typeof value === 'string' ? Buffer.from(value) : value;
    const r = await this.req(Opcode.SETXATTR, await this.id(path), { arg: { size: v.length, flags, setxattr_flags: 0 }, name, value: v });
    this.ok(r, 'setxattr', `${String(path)} ${name}`);
  }

  /** One GETXATTR with buffer `size` (0: the size probe): the raw reply. */
  async getxattrRaw(path: string | number, name: string, size: number): Promise<DecodedReply> {
    return this.req(Opcode.GETXATTR, await this.id(path), { arg: { size }, name });
  }

  /** One LISTXATTR with buffer `size` (0: the size probe): the raw reply. */
  async listxattrRaw(path: string | number, size: number): Promise<DecodedReply> {
    return this.req(Opcode.LISTXATTR, await this.id(path), { arg: { size } });
  }

  /** The xattr protocol as the VFS runs it: size probe with 0, then a read of exactly that size. */
  async getxattr(path: string | number, name: string): Promise<Buffer> {
    const probe = this.expect(await this.getxattrRaw(path, name, 0), 'xattr_size', 'getxattr', `${String(path)} ${name}`);
    if (probe.size === 0) return Buffer.alloc(0);
    return this.expect(await this.getxattrRaw(path, name, probe.size), 'data', 'getxattr', `${String(path)} ${name}`).data;
  }

  async listxattr(path: string | number): Promise<string[]> {
    const probe = this.expect(await this.listxattrRaw(path, 0), 'xattr_size', 'listxattr', String(path));
    if (probe.size === 0) return [];
    const d = this.expect(await this.listxattrRaw(path, probe.size), 'data', 'listxattr', String(path)).data;
    return decodeNameList(d);
  }

  async removexattr(path: string | number, name: string): Promise<void> {
    this.ok(await this.req(Opcode.REMOVEXATTR, await this.id(path), { name }), 'removexattr', `${String(path)} ${name}`);
  }
}

/** A READDIRPLUS entry carries the lookup answer for its name. */
export interface DirEntryPlus extends DirEntry {
  entry?: EntryOut;
}

/** Whether `path` lies strictly below `dir` ("/m/n/m" below "/m"). */
function isBelow(path: string, dir: string): boolean {
  const d = dir.replace(/\/+$/, '');
  return path.startsWith(`${d}/`) && path.length > d.length + 1;
}
