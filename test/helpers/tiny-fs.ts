/**
 * A tiny flat filesystem for session-level tests: files in the root only,
 * synchronous handlers. Not a model of anything beyond what those tests need.
 */
import { FuseError } from '../../src/api/errors';
import type { Entry, Filesystem } from '../../src/api/filesystem';

export interface TinyFs extends Filesystem {
  files: Map<string, { ino: number; data: Buffer }>;
  byIno: Map<number, { name: string; data: Buffer }>;
}

export function tinyFs(): TinyFs {
  const files = new Map<string, { ino: number; data: Buffer }>();
  const byIno = new Map<number, { name: string; data: Buffer }>();
  let next = 2;
  const entry = (ino: number): Entry => ({ ino, attr: { ino, mode: 0o100644, size: byIno.get(ino)!.data.length } });
  const node = (ino: number) => {
    const n = byIno.get(ino);
    if (!n) throw new FuseError('ENOENT');
    return n;
  };
  return {
    files,
    byIno,
    lookup(_c, parent, name) {
      const f = files.get(name);
      if (parent !== 1 || !f) throw new FuseError('ENOENT');
      return entry(f.ino);
    },
    getattr(_c, ino) {
      if (ino === 1) return { ino: 1, mode: 0o040755, nlink: 2 };
      return entry(ino).attr;
    },
    setattr(_c, ino, ch) {
      const n = node(ino);
      if (ch.size !== undefined) {
        const d = Buffer.alloc(ch.size);
        n.data.copy(d, 0, 0, Math.min(ch.size, n.data.length));
        n.data = d;
        files.get(n.name)!.data = d;
      }
      return entry(ino).attr;
    },
    create(_c, parent, name) {
      if (parent !== 1) throw new FuseError('ENOENT');
      let f = files.get(name);
      if (!f) {
        f = { ino: next++, data: Buffer.alloc(0) };
        files.set(name, f);
        byIno.set(f.ino, { name, data: f.data });
      }
      return { entry: entry(f.ino), open: { fh: f.ino } };
    },
    open(_c, ino) {
      node(ino);
      return { fh: ino };
    },
    read(_c, ino, _fh, offset, size) {
      const d = node(ino).data;
      return Buffer.from(d.subarray(Math.min(offset, d.length), Math.min(offset + size, d.length)));
    },
    write(_c, ino, _fh, offset, data) {
      const n = node(ino);
      if (offset + data.length > n.data.length) {
        const d = Buffer.alloc(offset + data.length);
        n.data.copy(d);
        n.data = d;
        files.get(n.name)!.data = d;
      }
      data.copy(n.data, offset);
      return data.length;
    },
    unlink(_c, parent, name) {
      const f = files.get(name);
      if (parent !== 1 || !f) throw new FuseError('ENOENT');
      files.delete(name);
    },
  };
}
