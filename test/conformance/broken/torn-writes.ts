/** A WRITE stored in two halves with the event loop turning between them (block-by-block encryption or upload): a READ in between sees half old, half new. */
import { memfsWith, sync } from './base';
export { inspect } from './base';

export const scenario = 'reads-during-writes';
export const make = memfsWith((m) => ({
  write: async (c, ino, fh, off, data, info) => {
    const half = data.length >> 1;
    const a = sync(m.write!(c, ino, fh, off, data.subarray(0, half), info));
    await new Promise((r) => setImmediate(r));
    return a + sync(m.write!(c, ino, fh, off + half, data.subarray(half), info));
  },
}));
