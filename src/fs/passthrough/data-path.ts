/**
 * The passthrough's data path for data workers (src/server/data-path.ts):
 * a handle is a descriptor of the source file, shared by every thread of
 * the process, so a worker's READ and WRITE are the same pread and pwrite
 * the main thread's files.read/files.write make.
 */
import type { DataPath } from '../../server/data-path';
import { errno, lib } from './libc';

export function createDataPath(): DataPath {
  const L = lib();
  return {
    read(fh, offset, into) {
      const n = L.pread(fh, into, into.length, offset);
      return n < 0 ? -errno() : n;
    },
    write(fh, offset, data) {
      const n = L.pwrite(fh, data, data.length, offset);
      return n < 0 ? -errno() : n;
    },
  };
}
