/**
 * pathPassthrough(source): a directory mirrored by path, written as a
 * person would write it on the path API with node:fs: every operation is
 * the same call on `source + path`, every open file a real descriptor.
 * libfuse's example/passthrough.c, in TypeScript.
 *
 *   await serve(fromPathFilesystem(pathPassthrough('/srv/data'), { readdirplus: true }), '/mnt/data');
 *
 * The calls are synchronous (a local source answers in microseconds, less
 * than a thread-pool hop costs). What node:fs cannot do it leaves out:
 * extended attributes (ENOSYS: the kernel stops asking), device nodes
 * (mknod makes regular files only), renameat2 flags (EINVAL). Times come
 * from fs.Stats in milliseconds with a fraction (sub-microsecond, not
 * nanosecond, exact). Names that are not UTF-8 are passed as the bytes
 * they are (encodeName), so every file of the source can be reached.
 */
import fs from 'node:fs';
import { FuseError } from '../../api/errors';
import type { Timespec } from '../../api/filesystem';
import { decodeName, encodeName } from '../../protocol';
import { O_CREAT, O_EXCL, O_WRONLY, S_IFMT, S_IFREG } from '../../linux';
import type { PathFilesystem, PathStat } from '../types';

/** The kernel's FMODE_EXEC bit, which FUSE forwards in open flags and open(2) must not see. */
const FMODE_EXEC = 0o40;
const NO_ENTRY = new FuseError('ENOENT');
const SLASH = Buffer.from('/');

/** `source + path` as open(2) should see it: a string, or the exact bytes when a name is not UTF-8. */
function joiner(source: string): (path: string) => string | Buffer {
  return (path) => {
    const full = source + path;
    // Lone surrogates stand for bytes that are not UTF-8 (src/protocol/names.ts).
    return /[\ud800-\udfff]/.test(full) ? encodeName(full) : full;
  };
}

function ms(t: Timespec): number {
  return t.sec * 1000 + t.nsec / 1e6;
}

export function pathPassthrough(source: string): PathFilesystem {
  const root = fs.realpathSync(source).replace(/\/$/, '');
  const at = joiner(root);
  const lstat = (path: string): PathStat | FuseError => fs.lstatSync(at(path), { throwIfNoEntry: false }) ?? NO_ENTRY;
  return {
    getattr: (path, fh) => (fh !== undefined ? fs.fstatSync(fh) : lstat(path)),
    readlink: (path) => fs.readlinkSync(at(path), 'buffer'),
    mknod(path, mode) {
      if ((mode & S_IFMT) !== S_IFREG) throw new FuseError('EPERM', 'node:fs makes regular files only');
      fs.closeSync(fs.openSync(at(path), O_CREAT | O_EXCL | O_WRONLY, mode & 0o7777));
      return lstat(path);
    },
    mkdir(path, mode) {
      fs.mkdirSync(at(path), mode & 0o7777);
      return lstat(path);
    },
    unlink: (path) => fs.unlinkSync(at(path)),
    rmdir: (path) => fs.rmdirSync(at(path)),
    symlink(target, path) {
      fs.symlinkSync(target, at(path));
      return lstat(path);
    },
    rename(from, to, flags) {
      if (flags !== 0) throw new FuseError('EINVAL', 'node:fs has no renameat2');
      fs.renameSync(at(from), at(to));
    },
    link(existing, path) {
      fs.linkSync(at(existing), at(path));
      return lstat(path);
    },
    chmod: (path, mode, fh) => (fh !== undefined ? fs.fchmodSync(fh, mode & 0o7777) : fs.chmodSync(at(path), mode & 0o7777)),
    chown: (path, uid, gid, fh) => (fh !== undefined ? fs.fchownSync(fh, uid, gid) : fs.lchownSync(at(path), uid, gid)),
    truncate: (path, size, fh) => (fh !== undefined ? fs.ftruncateSync(fh, size) : fs.truncateSync(at(path), size)),
    utimens(path, atime, mtime, fh) {
      // node:fs sets both times: one left as it is is read first.
      const st = atime && mtime ? null : fh !== undefined ? fs.fstatSync(fh) : fs.lstatSync(at(path));
      const a = atime ? ms(atime) / 1000 : st!.atimeMs / 1000;
      const m = mtime ? ms(mtime) / 1000 : st!.mtimeMs / 1000;
      if (fh !== undefined) fs.futimesSync(fh, a, m);
      else fs.lutimesSync(at(path), a, m);
    },
    open: (path, flags) => fs.openSync(at(path), flags & ~FMODE_EXEC),
    create: (path, mode, flags) => fs.openSync(at(path), (flags & ~FMODE_EXEC) | O_CREAT, mode & 0o7777),
    read: (_path, fh, buffer, offset) => fs.readSync(fh, buffer, 0, buffer.length, offset),
    write: (_path, fh, data, offset) => fs.writeSync(fh, data, 0, data.length, offset),
    release: (_path, fh) => fs.closeSync(fh),
    fsync: (_path, fh, datasync) => (datasync ? fs.fdatasyncSync(fh) : fs.fsyncSync(fh)),
    statfs(path) {
      const s = fs.statfsSync(at(path));
      return { bsize: s.bsize, frsize: s.bsize, blocks: s.blocks, bfree: s.bfree, bavail: s.bavail, files: s.files, ffree: s.ffree, namelen: 255 };
    },
    readdir(path) {
      const dir = at(path);
      const prefix = Buffer.concat([typeof dir === 'string' ? Buffer.from(dir) : dir, SLASH]);
      // With attributes, the listing answers READDIRPLUS: `ls -l` needs no lookup per entry.
      return fs.readdirSync(dir, { encoding: 'buffer' }).map((raw) => {
        const name = decodeName(raw, 0, raw.length);
        const st = fs.lstatSync(Buffer.concat([prefix, raw]), { throwIfNoEntry: false });
        return st ? { name, stat: st } : name;
      });
    },
    access: (path, mask) => fs.accessSync(at(path), mask),
  };
}
