/**
 * The smallest useful filesystem: a root directory holding one read-only
 * file, /hello, whose content is "Hello, world!\n".
 */
import type { Filesystem, RequestContext } from '../api/filesystem';
import { FuseError } from '../api/errors';

const CONTENT = Buffer.from('Hello, world!\n');
const HELLO_INO = 2;

export function helloFs(): Filesystem {
  const attr = (ino: number) =>
    ino === 1 ? { ino: 1, mode: 0o040755, nlink: 2 } : ino === HELLO_INO ? { ino, mode: 0o100444, nlink: 1, size: CONTENT.length } : null;
  return {
    lookup(_ctx: RequestContext, parent: number, name: string) {
      if (parent !== 1 || name !== 'hello') throw new FuseError('ENOENT');
      return { ino: HELLO_INO, attr: attr(HELLO_INO)! };
    },
    getattr(_ctx: RequestContext, ino: number) {
      const a = attr(ino);
      if (!a) throw new FuseError('ENOENT');
      return a;
    },
    open(_ctx: RequestContext, ino: number, flags: number) {
      if (ino !== HELLO_INO) throw new FuseError('EISDIR');
      if ((flags & 3) !== 0) throw new FuseError('EACCES');
      return { keepCache: true };
    },
    read(_ctx: RequestContext, _ino: number, _fh: number, offset: number, size: number) {
      return CONTENT.subarray(Math.min(offset, CONTENT.length), Math.min(offset + size, CONTENT.length));
    },
    readdir(_ctx: RequestContext, ino: number, _fh: number, offset: number, out) {
      if (ino !== 1) throw new FuseError('ENOTDIR');
      const entries: [string, number, number][] = [['.', 1, 0o040000], ['..', 1, 0o040000], ['hello', HELLO_INO, 0o100000]];
      for (let i = offset; i < entries.length; i++) {
        const [name, eino, mode] = entries[i]!;
        if (!out.add(name, eino, mode, i + 1)) break;
      }
    },
  };
}
