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
 */
import { Errno, FattrFlags, GetattrFlags, Opcode, ROOT_ID, errnoName, type Attr, type DecodedReply, type EntryOut, type ReplyBody } from '../protocol';
import type { Filesystem } from '../api/filesystem';
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

type BodyOf<K extends ReplyBody['kind']> = Extract<ReplyBody, { kind: K }>;

const O_RDONLY = 0;
const O_WRONLY = 1;
const O_DIRECTORY = 0o200000;

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

  /** LOOKUP one name in a directory. */
  async lookupIn(parent: number, name: string): Promise<EntryOut> {
    return this.expect(await this.k.request(Opcode.LOOKUP, parent, { name }), 'entry', 'lookup', name).entry;
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

  async getattr(path: string | number, fh?: number): Promise<Attr> {
    const id = typeof path === 'number' ? path : await this.nodeid(path);
    const arg = { getattr_flags: fh === undefined ? 0 : GetattrFlags.FH, fh: fh ?? 0 };
    return this.expect(await this.k.request(Opcode.GETATTR, id, { arg }), 'attr', 'getattr', String(path)).attr.attr;
  }

  async open(path: string, flags = O_RDONLY): Promise<{ nodeid: number; fh: number; open_flags: number }> {
    const nodeid = await this.nodeid(path);
    const o = this.expect(await this.k.request(Opcode.OPEN, nodeid, { arg: { flags, open_flags: 0 } }), 'open', 'open', path).open;
    return { nodeid, fh: o.fh, open_flags: o.open_flags };
  }

  async release(nodeid: number, fh: number, flags = 0): Promise<void> {
    this.ok(await this.k.request(Opcode.RELEASE, nodeid, { arg: { fh, flags, release_flags: 0, lock_owner: 0n } }), 'release', String(nodeid));
  }

  async read(nodeid: number, fh: number, offset: number, size: number, flags = 0): Promise<Buffer> {
    const arg = { fh, offset, size, read_flags: 0, lock_owner: 0n, flags };
    return this.expect(await this.k.request(Opcode.READ, nodeid, { arg }), 'data', 'read', String(nodeid)).data;
  }

  async write(nodeid: number, fh: number, offset: number, data: Buffer, opts: { flags?: number; writeFlags?: number } = {}): Promise<number> {
    const arg = { fh, offset, size: data.length, write_flags: opts.writeFlags ?? 0, lock_owner: 0n, flags: opts.flags ?? O_WRONLY };
    return this.expect(await this.k.request(Opcode.WRITE, nodeid, { arg, data }), 'write', 'write', String(nodeid)).size;
  }

  async readFile(path: string): Promise<Buffer> {
    const f = await this.open(path);
    const chunks: Buffer[] = [];
    try {
      for (let off = 0; ; ) {
        const b = await this.read(f.nodeid, f.fh, off, 65536);
        if (b.length === 0) break;
        if (off + b.length > this.k.limits.maxFileBytes) throw new LimitExceeded('maxFileBytes', `READ ${path}: still returning data past ${this.k.limits.maxFileBytes} bytes (limits.maxFileBytes): a file that keeps growing, or reads past EOF that return data`);
        chunks.push(Buffer.from(b));
        off += b.length;
      }
    } finally {
      await this.release(f.nodeid, f.fh);
    }
    return Buffer.concat(chunks);
  }

  /** CREATE: creates and opens a file; returns its node id and handle (one lookup is held). */
  async create(path: string, mode = 0o644, flags = O_WRONLY | 0o100): Promise<{ nodeid: number; fh: number; entry: EntryOut }> {
    const { parent, name } = this.split(path);
    const r = await this.k.request(Opcode.CREATE, await this.nodeid(parent), { arg: { flags, mode: 0o100000 | mode, umask: 0o022, open_flags: 0 }, name });
    const c = this.expect(r, 'create', 'create', path);
    return { nodeid: c.entry.nodeid, fh: c.open.fh, entry: c.entry };
  }

  /** Creates (CREATE) or truncates and writes a whole file. */
  async writeFile(path: string, data: Buffer | string, mode = 0o644): Promise<void> {
    const buf = typeof data === 'string' ? Buffer.from(data) : data;
    const { parent, name } = this.split(path);
    const pid = await this.nodeid(parent);
    const r = await this.k.request(Opcode.CREATE, pid, { arg: { flags: O_WRONLY | 0o100 | 0o1000, mode: 0o100000 | mode, umask: 0o022, open_flags: 0 }, name });
    const c = this.expect(r, 'create', 'create', path);
    try {
      await this.setattr(c.entry.nodeid, { size: 0 });
      for (let off = 0; off < buf.length; ) {
        off += await this.write(c.entry.nodeid, c.open.fh, off, buf.subarray(off, off + 131072));
      }
    } finally {
      await this.release(c.entry.nodeid, c.open.fh, O_WRONLY);
    }
  }

  async setattr(target: string | number, changes: { mode?: number; uid?: number; gid?: number; size?: number }): Promise<Attr> {
    const id = typeof target === 'number' ? target : await this.nodeid(target);
    let valid = 0;
    if (changes.mode !== undefined) valid |= FattrFlags.MODE;
    if (changes.uid !== undefined) valid |= FattrFlags.UID;
    if (changes.gid !== undefined) valid |= FattrFlags.GID;
    if (changes.size !== undefined) valid |= FattrFlags.SIZE;
    const arg = {
      valid, fh: 0, size: changes.size ?? 0, lock_owner: 0n, atime: 0, mtime: 0, ctime: 0, atimensec: 0, mtimensec: 0, ctimensec: 0,
      mode: changes.mode ?? 0, uid: changes.uid ?? 0, gid: changes.gid ?? 0,
    };
    return this.expect(await this.k.request(Opcode.SETATTR, id, { arg }), 'attr', 'setattr', String(target)).attr.attr;
  }

  async mkdir(path: string, mode = 0o755): Promise<EntryOut> {
    const { parent, name } = this.split(path);
    const r = await this.k.request(Opcode.MKDIR, await this.nodeid(parent), { arg: { mode, umask: 0o022 }, name });
    return this.expect(r, 'entry', 'mkdir', path).entry;
  }

  async unlink(path: string): Promise<void> {
    const { parent, name } = this.split(path);
    this.ok(await this.k.request(Opcode.UNLINK, await this.nodeid(parent), { name }), 'unlink', path);
  }

  async rmdir(path: string): Promise<void> {
    const { parent, name } = this.split(path);
    this.ok(await this.k.request(Opcode.RMDIR, await this.nodeid(parent), { name }), 'rmdir', path);
  }

  async rename(from: string, to: string, flags = 0): Promise<void> {
    const a = this.split(from);
    const b = this.split(to);
    const r = await this.k.request(Opcode.RENAME2, await this.nodeid(a.parent), { arg: { newdir: await this.nodeid(b.parent), flags }, oldname: a.name, newname: b.name });
    this.ok(r, 'rename', `${from} → ${to}`);
  }

  async symlink(target: string, path: string): Promise<EntryOut> {
    const { parent, name } = this.split(path);
    return this.expect(await this.k.request(Opcode.SYMLINK, await this.nodeid(parent), { name, linkname: target }), 'entry', 'symlink', path).entry;
  }

  async readlink(path: string): Promise<string> {
    return this.expect(await this.k.request(Opcode.READLINK, await this.nodeid(path), {}), 'data', 'readlink', path).data.toString();
  }

  async link(existing: string, path: string): Promise<EntryOut> {
    const { parent, name } = this.split(path);
    const r = await this.k.request(Opcode.LINK, await this.nodeid(parent), { arg: { oldnodeid: await this.nodeid(existing) }, name });
    return this.expect(r, 'entry', 'link', path).entry;
  }

  /** OPENDIR, READDIR until an empty reply, RELEASEDIR. `size` is the buffer each READDIR asks for. */
  async readdir(path: string, size = 4096): Promise<DirEntry[]> {
    const nodeid = await this.nodeid(path);
    const o = this.expect(await this.k.request(Opcode.OPENDIR, nodeid, { arg: { flags: O_DIRECTORY, open_flags: 0 } }), 'open', 'opendir', path).open;
    const out: DirEntry[] = [];
    const cookies = new Set<number>([0]);
    try {
      for (let offset = 0; ; ) {
        const arg = { fh: o.fh, offset, size, read_flags: 0, lock_owner: 0n, flags: O_DIRECTORY };
        const d = this.expect(await this.k.request(Opcode.READDIR, nodeid, { arg }), 'dirents', 'readdir', path);
        if (d.entries.length === 0) break;
        for (const e of d.entries) out.push({ name: e.name, ino: e.ino, type: e.type, off: e.off });
        const next = d.entries[d.entries.length - 1]!.off;
        if (cookies.has(next)) throw new LimitExceeded('maxDirEntries', `READDIR ${path}: the cookie ${next} came back after it was used (offset ${offset}): the listing would loop`);
        if (out.length > this.k.limits.maxDirEntries) throw new LimitExceeded('maxDirEntries', `READDIR ${path}: more than ${this.k.limits.maxDirEntries} entries (limits.maxDirEntries): cookies that never end`);
        cookies.add(next);
        offset = next;
      }
    } finally {
      this.ok(await this.k.request(Opcode.RELEASEDIR, nodeid, { arg: { fh: o.fh, flags: O_DIRECTORY, release_flags: 0, lock_owner: 0n } }), 'releasedir', path);
    }
    return out;
  }

  async setxattr(path: string, name: string, value: Buffer | string, flags = 0): Promise<void> {
    const v = typeof value === 'string' ? Buffer.from(value) : value;
    const r = await this.k.request(Opcode.SETXATTR, await this.nodeid(path), { arg: { size: v.length, flags, setxattr_flags: 0 }, name, value: v });
    this.ok(r, 'setxattr', path);
  }

  /** The xattr protocol as the VFS runs it: size probe with 0, then a read of exactly that size. */
  async getxattr(path: string, name: string): Promise<Buffer> {
    const id = await this.nodeid(path);
    const probe = this.expect(await this.k.request(Opcode.GETXATTR, id, { arg: { size: 0 }, name }), 'xattr_size', 'getxattr', path);
    if (probe.size === 0) return Buffer.alloc(0);
    return this.expect(await this.k.request(Opcode.GETXATTR, id, { arg: { size: probe.size }, name }), 'data', 'getxattr', path).data;
  }

  async listxattr(path: string): Promise<string[]> {
    const id = await this.nodeid(path);
    const probe = this.expect(await this.k.request(Opcode.LISTXATTR, id, { arg: { size: 0 } }), 'xattr_size', 'listxattr', path);
    if (probe.size === 0) return [];
    const d = this.expect(await this.k.request(Opcode.LISTXATTR, id, { arg: { size: probe.size } }), 'data', 'listxattr', path).data;
    return d.toString('latin1').split('\0').filter(Boolean);
  }

  async removexattr(path: string, name: string): Promise<void> {
    this.ok(await this.k.request(Opcode.REMOVEXATTR, await this.nodeid(path), { name }), 'removexattr', path);
  }

  async statfs(): Promise<BodyOf<'statfs'>['statfs']['st']> {
    return this.expect(await this.k.request(Opcode.STATFS, ROOT_ID, {}), 'statfs', 'statfs', '/').statfs.st;
  }
}
