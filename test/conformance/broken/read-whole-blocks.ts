/** READ answers whole 4 KiB blocks whatever size was asked (a block cache handing back its block): more bytes than asked. */
import { memfsWith } from './base';
export { inspect } from './base';

export const scenario = 'read-bounds';
export const make = memfsWith((m) => ({
  read: (c, ino, fh, offset, size, info) => {
    const end = Math.ceil((offset + size) / 4096) * 4096;
    return m.read!(c, ino, fh, offset, end - offset, info);
  },
}));
