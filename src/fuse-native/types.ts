/**
 * fuse-native 2.2's public types, as its README and index.js define them:
 * the operations a program passes to `new Fuse(mnt, ops, opts)`, their
 * callbacks, stat objects and options.
 */

/**
 * The callback of every operation: `cb(0)` or `cb(null)` for success, a
 * negative errno (`Fuse.ENOENT`) for failure; operations that answer a
 * value pass it second: `cb(0, stat)`. (An Error with an errno `code` is
 * taken too, which fuse-native would have left hanging.)
 */
export type Callback<T = void> = [T] extends [void] ? (err?: number | null | Error) => void : (err: number | null | Error, value?: T) => void;

/** read and write answer the byte count (or a negative errno) as the first argument: `cb(n)`. */
export type CountCallback = (bytesOrErrno: number) => void;

/** A file's attributes: times as Date or milliseconds (missing: now), mode as a number with its type bits. */
export interface Stat {
  mode: number;
  uid?: number;
  gid?: number;
  size?: number;
  dev?: number;
  nlink?: number;
  ino?: number;
  rdev?: number;
  blksize?: number;
  blocks?: number;
  atime?: Date | number;
  mtime?: Date | number;
  ctime?: Date | number;
}

export interface StatFs {
  bsize?: number;
  frsize?: number;
  blocks?: number;
  bfree?: number;
  bavail?: number;
  files?: number;
  ffree?: number;
  favail?: number;
  fsid?: number;
  flag?: number;
  namemax?: number;
}

export interface Operations {
  init?(cb: Callback): void;
  error?(cb: Callback): void;
  access?(path: string, mode: number, cb: Callback): void;
  statfs?(path: string, cb: Callback<StatFs>): void;
  getattr?(path: string, cb: Callback<Stat>): void;
  fgetattr?(path: string, fd: number, cb: Callback<Stat>): void;
  flush?(path: string, fd: number, cb: Callback): void;
  /** As fuse-native's code calls it (its README has fd and datasync the other way round). */
  fsync?(path: string, datasync: number, fd: number, cb: Callback): void;
  fsyncdir?(path: string, datasync: number, fd: number, cb: Callback): void;
  /** Names, or names and their stats (same length) for the entries' types. */
  readdir?(path: string, cb: (err: number | null | Error, names?: readonly string[], stats?: readonly Stat[]) => void): void;
  truncate?(path: string, size: number, cb: Callback): void;
  ftruncate?(path: string, fd: number, size: number, cb: Callback): void;
  readlink?(path: string, cb: Callback<string>): void;
  chown?(path: string, uid: number, gid: number, cb: Callback): void;
  chmod?(path: string, mode: number, cb: Callback): void;
  mknod?(path: string, mode: number, dev: number, cb: Callback): void;
  setxattr?(path: string, name: string, value: Buffer, position: number, flags: number, cb: Callback): void;
  /** The value, or null when there is none (ENODATA). */
  getxattr?(path: string, name: string, position: number, cb: Callback<Buffer | null>): void;
  listxattr?(path: string, cb: Callback<string[]>): void;
  removexattr?(path: string, name: string, cb: Callback): void;
  /** Answers a file descriptor: `cb(0, fd)`. */
  open?(path: string, flags: number, cb: Callback<number>): void;
  opendir?(path: string, flags: number, cb: Callback<number>): void;
  read?(path: string, fd: number, buffer: Buffer, length: number, position: number, cb: CountCallback): void;
  write?(path: string, fd: number, buffer: Buffer, length: number, position: number, cb: CountCallback): void;
  release?(path: string, fd: number, cb: Callback): void;
  releasedir?(path: string, fd: number, cb: Callback): void;
  create?(path: string, mode: number, cb: Callback<number>): void;
  /** Times in milliseconds since the epoch. */
  utimens?(path: string, atime: number, mtime: number, cb: Callback): void;
  unlink?(path: string, cb: Callback): void;
  rename?(src: string, dest: string, cb: Callback): void;
  link?(src: string, dest: string, cb: Callback): void;
  /** `src` is what the link contains, `dest` the link's own path. */
  symlink?(src: string, dest: string, cb: Callback): void;
  mkdir?(path: string, mode: number, cb: Callback): void;
  rmdir?(path: string, cb: Callback): void;
}

/** Milliseconds per operation before it is answered ETIMEDOUT, or false: none. */
export type Timeout = number | false | ({ default?: number | false } & { [op in keyof Operations]?: number | false });

export interface Options {
  /** Unmount a dead mount ("Transport endpoint is not connected") at the mountpoint first. */
  force?: boolean;
  /** Create the mountpoint when it does not exist. */
  mkdir?: boolean;
  /** Print every request and reply to stderr. */
  debug?: boolean;
  /** macOS only; ignored. */
  displayFolder?: boolean | string;
  /** macOS volume name; ignored. */
  name?: string;
  /** Per-operation timeout (default 15 s); false for none. */
  timeout?: Timeout;
  allowOther?: boolean;
  allowRoot?: boolean;
  autoUnmount?: boolean;
  defaultPermissions?: boolean;
  maxRead?: number | string;
  fsname?: string;
  subtype?: string;
  kernelCache?: boolean;
  autoCache?: boolean;
  umask?: number | string;
  uid?: number | string;
  gid?: number | string;
  entryTimeout?: number | string;
  attrTimeout?: number | string;
  acAttrTimeout?: number | string;
  /** Any other FUSE option, camelCased (writebackCache, maxWrite...): used when devfuse knows it, ignored otherwise. */
  [option: string]: unknown;
}
