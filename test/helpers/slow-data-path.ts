/**
 * The passthrough's data path with writes applied 0-10 ms late, as the
 * reordering backend delays the main thread's: a data worker holding a slow
 * WRITE while another thread serves a direct READ of the same range is the
 * case the shared ordering table exists for.
 */
import type { DataPath } from '../../src/api/data-path';
import { createDataPath as passthroughDataPath } from '../../src/fs/passthrough/data-path';

const sleeper = new Int32Array(new SharedArrayBuffer(4));

export function createDataPath(): DataPath {
  const p = passthroughDataPath();
  return {
    read: (fh, offset, into) => p.read(fh, offset, into),
    write(fh, offset, data, killSuidgid) {
      Atomics.wait(sleeper, 0, 0, Math.random() * 10);
      return p.write(fh, offset, data, killSuidgid);
    },
  };
}
