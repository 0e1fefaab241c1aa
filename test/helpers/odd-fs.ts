/**
 * Filesystems with unusual but legal behaviour, for e2e tests of the
 * session and channel.
 */
import { FuseError } from '../../src/api/errors';
import type { Filesystem } from '../../src/api/filesystem';

/** One file, /many, whose READ replies are made of one-byte buffers (more than IOV_MAX of them). */
export function manyBuffersFs(): Filesystem {
  const size = 3000;
  const byte = (i: number): number => 0x41 + (i % 26);
  return {
    lookup(_c, parent, name) {
      if (parent !== 1 || name !== 'many') throw new FuseError('ENOENT');
      return { ino: 2, attr: { mode: 0o100444, size } };
    },
    getattr(_c, ino) {
      return ino === 1 ? { mode: 0o040755, nlink: 2 } : { mode: 0o100444, size };
    },
    read(_c, _ino, _fh, offset, len) {
      const out: Buffer[] = [];
      for (let i = offset; i < Math.min(size, offset + len); i++) out.push(Buffer.from([byte(i)]));
      return out;
    },
  };
}
