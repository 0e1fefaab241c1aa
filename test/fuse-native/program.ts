/**
 * A program written for fuse-native, the way its users write them: a
 * callback-style in-memory filesystem by path, stats with Date times and
 * mode numbers, Fuse.E* errors; run on devfuse/fuse-native. The tests start
 * it in a child process (never serving a mount to themselves) and make the
 * syscalls; what its operations were called with goes, one JSON line per
 * call, to the file named by FN_LOG.
 *
 *   node program.js serve <mnt> [options-json]   mount, print "ready", unmount on SIGTERM
 *   node program.js dead <mnt>                     mount without auto_unmount and wait to be killed
 *   node program.js lifecycle <dir>                fuse-native's lifecycle rules, printed as JSON
 */
import fs from 'node:fs';
import path from 'node:path';
import Fuse = require('../../src/fuse-native');

const log = (entry: Record<string, unknown>): void => {
  if (process.env.FN_LOG) fs.appendFileSync(process.env.FN_LOG, `${JSON.stringify(entry)}\n`);
};

interface Node {
  mode: number;
  data: Buffer;
  nlink: number;
  uid: number;
  gid: number;
  atime: Date | number;
  mtime: Date | number;
  ctime: Date;
  target?: string;
}

function program(): Fuse.Operations {
  const nodes = new Map<string, Node>();
  const now = (): Date => new Date();
  nodes.set('/', { mode: 0o040755, data: Buffer.alloc(0), nlink: 2, uid: 0, gid: 0, atime: now(), mtime: now(), ctime: now() });
  // Times as numbers (milliseconds), as fuse-native also takes them.
  nodes.set('/numbers', { mode: 0o100644, data: Buffer.from('n'), nlink: 1, uid: 7, gid: 8, atime: 1_000_000, mtime: 2_000_500, ctime: now() });
  // Open files are held by their node, not their path: an unlinked open file keeps its data.
  const fds = new Map<number, Node>();
  let nextFd = 10;
  const children = (dir: string): string[] => [...nodes.keys()].filter((p) => p !== '/' && path.posix.dirname(p) === dir).map((p) => path.posix.basename(p));
  const resize = (n: Node | undefined, size: number, missing: number, cb: Fuse.Callback): void => {
    if (!n) return cb(missing);
    n.data = Buffer.concat([n.data.subarray(0, size), Buffer.alloc(Math.max(0, size - n.data.length))]);
    cb(0);
  };
  const stat = (n: Node): Fuse.Stat => ({ mode: n.mode, size: n.target ? n.target.length : n.data.length, nlink: n.nlink, uid: n.uid, gid: n.gid, atime: n.atime, mtime: n.mtime, ctime: n.ctime });

  return {
    getattr(p, cb) {
      if (p === '/eacces') return process.nextTick(cb, Fuse.EACCES);
      if (p === '/errobj') return process.nextTick(cb, Object.assign(new Error('read-only'), { code: 'EROFS' }));
      if (p === '/hang') return process.nextTick(cb, 0, { mode: 0o100644, size: 10 });
      const n = nodes.get(p);
      if (!n) return process.nextTick(cb, Fuse.ENOENT);
      process.nextTick(cb, 0, stat(n));
    },
    fgetattr(p, fd, cb) {
      log({ op: 'fgetattr', path: p, fd });
      const n = fds.get(fd) ?? nodes.get(p);
      if (!n) return cb(Fuse.ENOENT);
      cb(0, stat(n));
    },
    readdir(p, cb) {
      if (!nodes.has(p)) return cb(Fuse.ENOENT);
      setImmediate(cb, 0, children(p));
    },
    open(p, flags, cb) {
      if (p === '/hang') return process.nextTick(cb, 0, 99);
      if (!nodes.has(p)) return cb(Fuse.ENOENT);
      const fd = nextFd++;
      fds.set(fd, nodes.get(p)!);
      log({ op: 'open', path: p, flags, fd });
      cb(0, fd);
    },
    create(p, mode, cb) {
      log({ op: 'create', path: p });
      const fd = nextFd++;
      const n: Node = { mode, data: Buffer.alloc(0), nlink: 1, uid: 0, gid: 0, atime: now(), mtime: now(), ctime: now() };
      nodes.set(p, n);
      fds.set(fd, n);
      process.nextTick(cb, 0, fd);
    },
    read(p, fd, buf, len, pos, cb) {
      if (p === '/hang') return; // never calls back: the timeout answers
      const n = fds.get(fd);
      if (!n) return cb(Fuse.EBADF);
      const part = n.data.subarray(pos, pos + len);
      part.copy(buf);
      process.nextTick(cb, part.length);
    },
    write(p, fd, buf, len, pos, cb) {
      const n = fds.get(fd);
      if (!n) return cb(Fuse.EBADF);
      const end = pos + len;
      if (end > n.data.length) n.data = Buffer.concat([n.data, Buffer.alloc(end - n.data.length)]);
      buf.copy(n.data, pos, 0, len);
      n.mtime = now();
      setImmediate(cb, len);
    },
    release(p, fd, cb) {
      log({ op: 'release', path: p, fd });
      fds.delete(fd);
      cb(0);
    },
    fsync(p, datasync, fd, cb) {
      log({ op: 'fsync', path: p, datasync, fd });
      cb(0);
    },
    truncate: (p, size, cb) => resize(nodes.get(p), size, Fuse.ENOENT, cb),
    ftruncate(p, fd, size, cb) {
      log({ op: 'ftruncate', path: p, fd, size });
      resize(fds.get(fd), size, Fuse.EBADF, cb);
    },
    utimens(p, atime, mtime, cb) {
      log({ op: 'utimens', path: p, atime, mtime });
      const n = nodes.get(p);
      if (!n) return cb(Fuse.ENOENT);
      n.atime = new Date(atime);
      n.mtime = new Date(mtime);
      cb(0);
    },
    chmod(p, mode, cb) {
      const n = nodes.get(p);
      if (!n) return cb(Fuse.ENOENT);
      n.mode = (n.mode & 0o170000) | (mode & 0o7777);
      cb(0);
    },
    unlink(p, cb) {
      const n = nodes.get(p);
      if (!n) return cb(Fuse.ENOENT);
      nodes.delete(p);
      n.nlink--;
      cb(0);
    },
    mkdir(p, mode, cb) {
      log({ op: 'mkdir', path: p, mode });
      nodes.set(p, { mode: 0o040000 | mode, data: Buffer.alloc(0), nlink: 2, uid: 0, gid: 0, atime: now(), mtime: now(), ctime: now() });
      cb(0);
    },
    rmdir(p, cb) {
      if (children(p).length > 0) return cb(Fuse.ENOTEMPTY);
      nodes.delete(p);
      cb(0);
    },
    rename(src, dest, cb) {
      for (const [k, v] of [...nodes]) {
        if (k === src || k.startsWith(`${src}/`)) {
          nodes.delete(k);
          nodes.set(dest + k.slice(src.length), v);
        }
      }
      cb(0);
    },
    link(src, dest, cb) {
      const n = nodes.get(src);
      if (!n) return cb(Fuse.ENOENT);
      n.nlink++;
      nodes.set(dest, n);
      cb(0);
    },
    symlink(src, dest, cb) {
      log({ op: 'symlink', target: src, path: dest });
      nodes.set(dest, { mode: 0o120777, data: Buffer.alloc(0), nlink: 1, uid: 0, gid: 0, atime: now(), mtime: now(), ctime: now(), target: src });
      cb(0);
    },
    readlink(p, cb) {
      const n = nodes.get(p);
      if (!n?.target) return cb(Fuse.EINVAL);
      cb(0, n.target);
    },
    statfs(_p, cb) {
      cb(0, { bsize: 4096, frsize: 4096, blocks: 1000, bfree: 500, bavail: 400, files: 100, ffree: 50, favail: 50, fsid: 0, flag: 0, namemax: 255 });
    },
    getxattr(p, name, _pos, cb) {
      if (name === 'user.hello') return cb(0, Buffer.from('world'));
      cb(0, null);
    },
    listxattr(_p, cb) {
      cb(0, ['user.hello']);
    },
  };
}

function serveMode(mnt: string, json: string | undefined): void {
  const opts: Fuse.Options = { ...(json ? (JSON.parse(json) as Fuse.Options) : {}) };
  const fuse = new Fuse(mnt, program(), opts);
  fuse.mount((err) => {
    if (err) {
      process.stdout.write(`error ${err.message}\n`);
      process.exit(1);
    }
    process.stdout.write('ready\n');
  });
  const stop = (): void => fuse.unmount(() => process.exit(0));
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
}

/** fuse-native's lifecycle rules, checked from inside one process that makes no syscalls on its own mounts but async stats. */
async function lifecycle(dir: string): Promise<void> {
  const out: Record<string, unknown> = {};
  const mount = (f: Fuse): Promise<string | null> => new Promise((r) => f.mount((e) => r(e ? e.message : null)));
  const unmount = (f: Fuse): Promise<string | null> => new Promise((r) => f.unmount((e) => r(e ? e.message : null)));
  const mnt = path.join(dir, 'mnt');
  fs.mkdirSync(mnt);
  out.missing = await mount(new Fuse(path.join(dir, 'nope'), {}));
  fs.writeFileSync(path.join(dir, 'file'), '');
  out.notDir = await mount(new Fuse(path.join(dir, 'file'), {}));
  const made = new Fuse(path.join(dir, 'made', 'deep'), {}, { mkdir: true });
  out.mkdir = await mount(made);
  out.mkdirExists = fs.statSync(path.join(dir, 'made')).isDirectory();
  out.mkdirUnmount = await unmount(made);
  const a = new Fuse(mnt, program());
  out.first = await mount(a);
  out.again = await mount(a);
  out.inUse = await mount(new Fuse(mnt, {}, { force: true }));
  out.unmount = await unmount(a);
  out.remountSameInstance = await mount(a);
  const b = new Fuse(mnt, {});
  out.remountOther = await mount(b);
  out.static = await new Promise((r) => Fuse.unmount(mnt, (e) => r(e ? e.message : null)));
  out.closeNeverMounted = await unmount(new Fuse(mnt, {}));
  out.isConfigured = await new Promise((r) => Fuse.isConfigured((e, yes) => r(e ? e.message : yes)));
  out.errno = [new Fuse(mnt, {}).errno('enoent'), new Fuse(mnt, {}).errno('nonsense'), Fuse.EWOULDBLOCK, Fuse.EMEDIUMTYPE];
  process.stdout.write(`${JSON.stringify(out)}\n`);
  process.exit(0);
}

const [mode, target, json] = process.argv.slice(2);
if (!mode || !target) throw new Error('usage: program serve|dead|lifecycle <path> [options-json]');
if (mode === 'serve') serveMode(target, json);
else if (mode === 'dead') serveMode(target, JSON.stringify({ noautoUnmount: true }));
else void lifecycle(target);
