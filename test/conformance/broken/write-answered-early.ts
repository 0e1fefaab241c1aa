/** WRITE answered before the data is stored (a write-behind queue): a read right after the reply sees old data. */
import { memfsWith } from './base';
export { inspect } from './base';

export const scenario = 'write-applied';
export const make = memfsWith((m) => ({
  write: (c, ino, fh, off, data, info) => {
    const copy = Buffer.from(data);
    setTimeout(() => {
      if (m.state.has(ino)) m.write!(c, ino, fh, off, copy, info);
    }, 5);
    return data.length;
  },
}));
