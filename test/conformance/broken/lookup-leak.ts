/** FORGET gives back one lookup less than it should: inodes are never freed (go-fuse and libfuse issue trackers carry several). */
import { memfsWith } from './base';
export { inspect } from './base';

export const scenario = 'lookup-forget';
export const make = memfsWith((m) => ({ forget: (ino, n) => m.forget!(ino, n - 1) }));
