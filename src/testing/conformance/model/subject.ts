/**
 * The filesystem under test, driven as the kernel's VFS would drive it for
 * the same system calls: a path walk by LOOKUP that follows symlinks
 * (READLINK, at most 40), the checks the VFS makes before it asks the
 * filesystem (EEXIST, EISDIR, ENOTDIR, EPERM, the rename traps, "same
 * inode" renames), O_TRUNC as a SETATTR after OPEN, O_APPEND as a WRITE at
 * the size GETATTR gives. What comes back is what a program would see.
 */
import { O_APPEND, O_CREAT, O_EXCL, O_TRUNC, O_WRONLY, RENAME_EXCHANGE, S_IFDIR, S_IFLNK, S_IFMT, S_IFREG } from '../../../linux/constants';
import { errnoName, Opcode, ROOT_ID, type Attr, type DecodedReply } from '../../../protocol';
import { VfsError, type Vfs } from '../../vfs';
import { describeAttr, describeBytes, SLOTS, type Op, type Outcome } from './ops';
import { userNames } from './host';

/** The kernel's limit of symlinks followed in one walk (ELOOP beyond). */
const MAXSYMLINKS = 40;

/** A refusal the VFS makes itself, before asking the filesystem. */
class Refused extends Error {
  constructor(readonly code: string) {
    super(code);
  }
}

interface Node {
  nodeid: number;
  attr: Attr;
}

interface Resolved {
  parent: Node;
  name: string;
  node: Node | null;
  /** The directories walked through, root first, the parent last. */
  chain: number[];
}

interface Handle {
  nodeid: number;
  fh: number;
  flags: number;
  dir: boolean;
}

const isDir = (n: Node): boolean => (n.attr.mode & S_IFMT) === S_IFDIR;
const isLink = (n: Node): boolean => (n.attr.mode & S_IFMT) === S_IFLNK;
const parts = (p: string): string[] => p.split('/').filter(Boolean);

export class Subject {
  private readonly slots: (Handle | null)[] = new Array<Handle | null>(SLOTS).fill(null);
  private rootAttr: Attr | null = null;

  constructor(
    readonly v: Vfs,
    private readonly umask: number,
  ) {}

  async run(o: Op): Promise<Outcome> {
    try {
      return await this.op(o);
    } catch (e) {
      if (e instanceof Refused) return { err: e.code };
      if (e instanceof VfsError) return { err: e.code };
      throw e;
    }
  }

  private async root(): Promise<Node> {
    this.rootAttr ??= await this.v.getattr(ROOT_ID);
    return { nodeid: ROOT_ID, attr: this.rootAttr };
  }

  private async lookup(parent: number, name: string): Promise<Node | null> {
    const r = await this.v.k.request(Opcode.LOOKUP, parent, { name });
    if (r.error === -2) return null;
    const e = this.body(r, 'entry', 'lookup', name).entry;
    return e.nodeid === 0 ? null : { nodeid: e.nodeid, attr: e.attr };
  }

  private body<K extends NonNullable<DecodedReply['body']>['kind']>(r: DecodedReply, kind: K, op: string, what: string): Extract<NonNullable<DecodedReply['body']>, { kind: K }> {
    if (r.error) throw new VfsError(errnoName(-r.error), -r.error, op, what);
    if (r.body?.kind !== kind) throw new Error(`${op} ${what}: a ${r.body?.kind ?? 'bodiless'} reply where ${kind} belongs`);
    return r.body as Extract<NonNullable<DecodedReply['body']>, { kind: K }>;
  }

  /** The path walk (link_path_walk): every component but the last must be a directory; symlinks followed on the way, and at the end when `follow`. */
  private async resolve(path: string, follow: boolean): Promise<Resolved> {
    let cur = await this.root();
    let chain = [ROOT_ID];
    const work = parts(path);
    let links = 0;
    while (work.length) {
      const name = work.shift()!;
      const last = work.length === 0;
      if (!isDir(cur)) throw new Refused('ENOTDIR');
      const e = await this.lookup(cur.nodeid, name);
      if (e && isLink(e) && (!last || follow)) {
        if (++links > MAXSYMLINKS) throw new Refused('ELOOP');
        const target = await this.v.readlink(e.nodeid);
        if (target.startsWith('/')) {
          cur = await this.root();
          chain = [ROOT_ID];
        }
        work.unshift(...parts(target));
        continue;
      }
      if (!last) {
        if (!e) throw new Refused('ENOENT');
        cur = e;
        chain.push(e.nodeid);
        continue;
      }
      return { parent: cur, name, node: e, chain };
    }
    throw new Refused('EINVAL');
  }

  private async existing(path: string, follow: boolean): Promise<Node> {
    const r = await this.resolve(path, follow);
    if (!r.node) throw new Refused('ENOENT');
    return r.node;
  }

  private async openFile(n: Node, flags: number): Promise<Handle> {
    // Without atomic_o_trunc the kernel opens without O_TRUNC, then truncates through the new handle.
    const arg = { flags: flags & ~(O_CREAT | O_EXCL | O_TRUNC), open_flags: 0 };
    const o = this.body(await this.v.k.request(Opcode.OPEN, n.nodeid, { arg }), 'open', 'open', String(n.nodeid)).open;
    const h = { nodeid: n.nodeid, fh: o.fh, flags, dir: false };
    if (flags & O_TRUNC) {
      try {
        await this.v.setattr(n.nodeid, { size: 0, fh: o.fh, mtime: 'now' });
      } catch (e) {
        await this.v.release(n.nodeid, o.fh, flags);
        throw e;
      }
    }
    return h;
  }

  private async write(h: Handle, offset: number, data: Uint8Array): Promise<number> {
    if (data.length === 0) return 0;
    const at = h.flags & O_APPEND ? (await this.v.getattr(h.nodeid, h.fh)).size : offset;
    return this.v.write(h.nodeid, h.fh, at, Buffer.from(data), { flags: h.flags });
  }

  private async read(h: Handle, offset: number, len: number): Promise<Buffer> {
    if (len === 0) return Buffer.alloc(0);
    return this.v.read(h.nodeid, h.fh, offset, len, h.flags);
  }

  private async op(o: Op): Promise<Outcome> {
    const ok = (s = ''): Outcome => ({ ok: s });
    switch (o.op) {
      case 'create': {
        const r = await this.resolve(o.path, !o.excl);
        if (r.node) {
          if (o.excl) throw new Refused('EEXIST');
          if (isDir(r.node)) throw new Refused('EISDIR');
          const h = await this.openFile(r.node, O_WRONLY);
          await this.v.release(h.nodeid, h.fh, O_WRONLY);
          return ok();
        }
        const flags = O_WRONLY | O_CREAT | (o.excl ? O_EXCL : 0);
        const arg = { flags, mode: S_IFREG | (o.mode & ~this.umask), umask: this.umask, open_flags: 0 };
        const c = this.body(await this.v.k.request(Opcode.CREATE, r.parent.nodeid, { arg, name: r.name }), 'create', 'create', o.path);
        await this.v.release(c.entry.nodeid, c.open.fh, O_WRONLY);
        return ok();
      }
      case 'write': {
        const n = await this.existing(o.path, true);
        if (isDir(n)) throw new Refused('EISDIR');
        const h = await this.openFile(n, O_WRONLY);
        try {
          return ok(String(await this.write(h, o.offset, o.data)));
        } finally {
          await this.v.release(h.nodeid, h.fh, O_WRONLY);
        }
      }
      case 'truncate': {
        const n = await this.existing(o.path, true);
        if (isDir(n)) throw new Refused('EISDIR');
        await this.v.setattr(n.nodeid, { size: o.size });
        return ok();
      }
      case 'read': {
        const n = await this.existing(o.path, true);
        if (isDir(n)) throw new Refused('EISDIR');
        const h = await this.openFile(n, 0);
        try {
          return ok(describeBytes(await this.read(h, o.offset, o.len)));
        } finally {
          await this.v.release(h.nodeid, h.fh);
        }
      }
      case 'mkdir': {
        const r = await this.resolve(o.path, false);
        if (r.node) throw new Refused('EEXIST');
        const arg = { mode: o.mode & ~this.umask, umask: this.umask };
        this.body(await this.v.k.request(Opcode.MKDIR, r.parent.nodeid, { arg, name: r.name }), 'entry', 'mkdir', o.path);
        return ok();
      }
      case 'rmdir': {
        const r = await this.resolve(o.path, false);
        if (!r.node) throw new Refused('ENOENT');
        if (!isDir(r.node)) throw new Refused('ENOTDIR');
        this.done(await this.v.k.request(Opcode.RMDIR, r.parent.nodeid, { name: r.name }), 'rmdir', o.path);
        return ok();
      }
      case 'unlink': {
        const r = await this.resolve(o.path, false);
        if (!r.node) throw new Refused('ENOENT');
        if (isDir(r.node)) throw new Refused('EISDIR');
        this.done(await this.v.k.request(Opcode.UNLINK, r.parent.nodeid, { name: r.name }), 'unlink', o.path);
        return ok();
      }
      case 'rename':
        return this.rename(o.from, o.to, o.flags);
      case 'link': {
        const a = await this.resolve(o.from, false);
        if (!a.node) throw new Refused('ENOENT');
        const b = await this.resolve(o.to, false);
        if (b.node) throw new Refused('EEXIST');
        if (isDir(a.node)) throw new Refused('EPERM');
        this.body(await this.v.k.request(Opcode.LINK, b.parent.nodeid, { arg: { oldnodeid: a.node.nodeid }, name: b.name }), 'entry', 'link', o.to);
        return ok();
      }
      case 'symlink': {
        const r = await this.resolve(o.path, false);
        if (r.node) throw new Refused('EEXIST');
        this.body(await this.v.k.request(Opcode.SYMLINK, r.parent.nodeid, { name: r.name, linkname: o.target }), 'entry', 'symlink', o.path);
        return ok();
      }
      case 'readlink': {
        const n = await this.existing(o.path, false);
        if (!isLink(n)) throw new Refused('EINVAL');
        return ok(JSON.stringify(await this.v.readlink(n.nodeid)));
      }
      case 'setxattr': {
        const n = await this.existing(o.path, true);
        await this.v.setxattr(n.nodeid, o.name, Buffer.from(o.value), o.flags);
        return ok();
      }
      case 'removexattr': {
        const n = await this.existing(o.path, true);
        await this.v.removexattr(n.nodeid, o.name);
        return ok();
      }
      case 'getxattr': {
        const n = await this.existing(o.path, true);
        return ok(describeBytes(await this.v.getxattr(n.nodeid, o.name)));
      }
      case 'listxattr': {
        const n = await this.existing(o.path, true);
        return ok(JSON.stringify(await this.listxattr(n.nodeid)));
      }
      case 'chmod': {
        const n = await this.existing(o.path, true);
        await this.v.setattr(n.nodeid, { mode: (n.attr.mode & S_IFMT) | o.mode });
        return ok();
      }
      case 'readdir': {
        const n = await this.existing(o.path, true);
        if (!isDir(n)) throw new Refused('ENOTDIR');
        return ok(JSON.stringify(await this.names(n.nodeid)));
      }
      case 'stat': {
        const n = await this.existing(o.path, false);
        const a = await this.v.getattr(n.nodeid);
        return ok(describeAttr(a.mode, a.nlink, a.size));
      }
      case 'open': {
        await this.close(o.slot);
        const n = await this.existing(o.path, true);
        if (isDir(n)) {
          if ((o.flags & 3) !== 0) throw new Refused('EISDIR');
          this.slots[o.slot] = { nodeid: n.nodeid, fh: 0, flags: o.flags, dir: true };
          return ok();
        }
        this.slots[o.slot] = await this.openFile(n, o.flags);
        return ok();
      }
      case 'close':
        await this.close(o.slot);
        return ok();
      case 'pwrite': {
        const h = this.slots[o.slot];
        if (!h) return ok('no fd');
        if (h.dir || (h.flags & 3) === 0) throw new Refused('EBADF');
        return ok(String(await this.write(h, o.offset, o.data)));
      }
      case 'pread': {
        const h = this.slots[o.slot];
        if (!h) return ok('no fd');
        if (h.dir) throw new Refused('EISDIR');
        if ((h.flags & 3) === O_WRONLY) throw new Refused('EBADF');
        return ok(describeBytes(await this.read(h, o.offset, o.len)));
      }
      case 'fstat': {
        const h = this.slots[o.slot];
        if (!h) return ok('no fd');
        const a = await this.v.getattr(h.nodeid, h.dir ? undefined : h.fh);
        return ok(describeAttr(a.mode, a.nlink, a.size));
      }
      case 'ftruncate': {
        const h = this.slots[o.slot];
        if (!h) return ok('no fd');
        if (h.dir || (h.flags & 3) === 0) throw new Refused('EINVAL');
        await this.v.setattr(h.nodeid, { size: o.size, fh: h.fh, mtime: 'now' });
        return ok();
      }
    }
  }

  /** renameat2 as do_renameat2 and vfs_rename check it before the filesystem sees it. */
  private async rename(from: string, to: string, flags: number): Promise<Outcome> {
    const a = await this.resolve(from, false);
    const b = await this.resolve(to, false);
    if (!a.node) throw new Refused('ENOENT');
    if (flags & 1 && b.node) throw new Refused('EEXIST');
    if (flags & RENAME_EXCHANGE && !b.node) throw new Refused('ENOENT');
    if (a.parent.nodeid !== b.parent.nodeid) {
      // lock_rename's trap: the source may not hold the target's directory, nor the target the source's.
      if (b.chain.includes(a.node.nodeid)) throw new Refused('EINVAL');
      if (b.node && a.chain.includes(b.node.nodeid)) throw new Refused(flags & RENAME_EXCHANGE ? 'EINVAL' : 'ENOTEMPTY');
    }
    if (b.node && b.node.nodeid === a.node.nodeid) return { ok: '' };
    if (b.node && !(flags & RENAME_EXCHANGE)) {
      if (isDir(a.node) && !isDir(b.node)) throw new Refused('ENOTDIR');
      if (!isDir(a.node) && isDir(b.node)) throw new Refused('EISDIR');
    }
    const r = flags
      ? await this.v.k.request(Opcode.RENAME2, a.parent.nodeid, { arg: { newdir: b.parent.nodeid, flags }, oldname: a.name, newname: b.name })
      : await this.v.k.request(Opcode.RENAME, a.parent.nodeid, { arg: { newdir: b.parent.nodeid }, oldname: a.name, newname: b.name });
    // A filesystem without RENAME2: the kernel turns ENOSYS into EINVAL.
    if (flags && r.error === -38) throw new Refused('EINVAL');
    this.done(r, 'rename', `${from} → ${to}`);
    return { ok: '' };
  }

  private done(r: DecodedReply, op: string, what: string): void {
    if (r.error) throw new VfsError(errnoName(-r.error), -r.error, op, what);
  }

  private async names(nodeid: number): Promise<string[]> {
    return (await this.v.readdir(nodeid)).map((e) => e.name).filter((n) => n !== '.' && n !== '..').sort();
  }

  private async listxattr(nodeid: number): Promise<string[]> {
    const probe = await this.v.listxattrRaw(nodeid, 0);
    const size = this.body(probe, 'xattr_size', 'listxattr', String(nodeid)).size;
    if (size === 0) return [];
    const d = this.body(await this.v.listxattrRaw(nodeid, size), 'data', 'listxattr', String(nodeid)).data;
    return userNames(d);
  }

  private async close(slot: number): Promise<void> {
    const h = this.slots[slot];
    this.slots[slot] = null;
    if (h && !h.dir) await this.v.release(h.nodeid, h.fh, h.flags);
  }

  async closeAll(): Promise<void> {
    for (let i = 0; i < SLOTS; i++) await this.close(i);
  }

  /** The tree as HostTree.snapshot describes it. */
  async snapshot(): Promise<Map<string, string>> {
    const out = new Map<string, string>();
    const walk = async (rel: string, dir: number): Promise<void> => {
      for (const name of await this.names(dir)) {
        const r = `${rel}/${name}`;
        const n = await this.lookup(dir, name);
        if (!n) {
          out.set(r, 'listed, but LOOKUP says ENOENT');
          continue;
        }
        const a = await this.v.getattr(n.nodeid);
        const type = a.mode & S_IFMT;
        let what = describeAttr(a.mode, a.nlink, a.size);
        if (type === S_IFREG) what += ` ${await this.contents(n.nodeid)}`;
        if (type === S_IFLNK) what += ` → ${JSON.stringify(await this.v.readlink(n.nodeid))}`;
        if (type !== S_IFLNK) {
          const x = await this.listxattr(n.nodeid).catch(() => []);
          if (x.length) what += ` xattrs ${JSON.stringify(x)}`;
        }
        out.set(r, what);
        if (type === S_IFDIR) await walk(r, n.nodeid);
      }
    };
    await walk('', ROOT_ID);
    return out;
  }

  private async contents(nodeid: number): Promise<string> {
    try {
      return describeBytes(await this.v.readFile(nodeid));
    } catch (e) {
      return `unreadable (${e instanceof VfsError ? e.code : String(e)})`;
    }
  }
}
