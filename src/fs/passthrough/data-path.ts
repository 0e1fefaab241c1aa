/**
 * The passthrough's data path for data workers (src/api/data-path.ts):
 * a handle is a descriptor of the source file, shared by every thread of
 * the process, so a worker's READ and WRITE are the same pread and pwrite
 * (and setuid/setgid kill) the main thread's files.read/files.write make.
 */
import type { DataPath } from '../../api/data-path';
import { FuseError } from '../../api/errors';
import { createIo } from './io';
import { ERRNO, errno, lib } from './libc';
import { killSuidgid } from './privs';

export function createDataPath(): DataPath {
  const L = lib();
  const io = createIo('sync');
  // files.write's first step, on this thread (privs.ts); 0, or the negative errno.
  const tryKill = (fh: number): number => {
    try {
      killSuidgid(io, L, fh);
      return 0;
    } catch (e) {
      return e instanceof FuseError ? -e.errno : -ERRNO.EIO;
    }
  };
  return {
    read(fh, offset, into) {
      const n = L.pread(fh, into, into.length, offset);
      return n < 0 ? -errno() : n;
    },
    write(fh, offset, data, killSuidgid) {
      if (killSuidgid) {
        const e = tryKill(fh);
        if (e) return e;
      }
      const n = L.pwrite(fh, data, data.length, offset);
      return n < 0 ? -errno() : n;
    },
  };
}
