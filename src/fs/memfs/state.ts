/**
 * The state of one memfs: the inode table (node ids, generations, lookup
 * counts and when an inode may be freed), the space and inode budgets, and
 * the open file handles. The operations (namespace.ts, attrs.ts, io.ts,
 * dirs.ts) work on it.
 *
 * Node ids are memfs's own: 1 is the root, others are handed out from a
 * counter and reused once freed; each use of an id gets a fresh generation,
 * so (ino, generation) never repeats.
 *
 * An inode is freed — its id, data and budget given back — only when
 * nothing can reach it any more: no name (nlink 0), no open handle, and no
 * reference held by the kernel (lookup count 0, after FORGETs).
 */
import { nameByteLength, ROOT_ID } from '../../protocol';
import type { Entry, Timespec } from '../../api/filesystem';
import { FuseError } from '../../api/errors';
import { compareTime, type Clock } from './clock';
import { BLOCK_SIZE, S_IFDIR } from './constants';
import { FileData, type Space } from './data';
import { Directory } from './dir';
import { Inode } from './inode';
import { LockTable } from './locks';
import type { ResolvedMemfsOptions } from './options';
import { Permissions } from './perm';
import { dropXattrs } from './xattr';

export interface Handle {
  readonly ino: number;
  /** open(2) flags as the kernel sent them. */
  readonly flags: number;
}

const DAY_SEC = 24 * 60 * 60;
/** releaseMemory runs once this much file data was dropped... */
const RELEASE_AFTER_BYTES = 4 << 20;
/** ...this long after the drop that crossed it... */
const RELEASE_DELAY_MS = 100;
/** ...and no sooner than this after the last run. */
const RELEASE_INTERVAL_MS = 1000;

export class MemfsState implements Space {
  readonly clock: Clock;
  readonly locks = new LockTable();
  readonly perms: Permissions;
  readonly handles = new Map<number, Handle>();
  private readonly inodes = new Map<number, Inode>();
  private readonly freeIds: number[] = [];
  private nextId = ROOT_ID + 1;
  private nextGeneration = 1;
  private nextFh = 1;
  /** Bytes taken from the `size` budget. */
  usedBytes = 0;
  /** Bytes of file data buffers held (equal to the data blocks counted in usedBytes: data.ts compacts). */
  dataBytes = 0;
  /** Bytes of file data dropped since releaseMemory last ran. */
  private freedBytes = 0;
  /** A release is scheduled, or ran less than RELEASE_INTERVAL_MS ago. */
  private releaseTimer: ReturnType<typeof setTimeout> | null = null;

  constructor(readonly options: ResolvedMemfsOptions) {
    this.clock = options.clock;
    this.perms = new Permissions(!options.defaultPermissions);
    const root = new Inode(ROOT_ID, 0, S_IFDIR | options.mode, options.uid, options.gid, this.clock.now());
    root.dir = new Directory();
    root.nlink = 2;
    root.parent = ROOT_ID;
    this.inodes.set(ROOT_ID, root);
  }

  get inodeCount(): number {
    return this.inodes.size;
  }

  /** The inode behind a node id the kernel holds. */
  get(ino: number): Inode {
    const inode = this.inodes.get(ino);
    // Only a kernel bug or a forget miscount gets here: the kernel never uses an id after forgetting it.
    if (!inode) throw new FuseError('ESTALE', `memfs: no inode ${ino}`);
    return inode;
  }

  /** Is the inode still in the table (tests look at the free lifecycle through this)? */
  has(ino: number): boolean {
    return this.inodes.has(ino);
  }

  /** A new inode with a fresh id (ENOSPC when the inode budget is used up). Its nlink is 0 until linked. */
  create(mode: number, uid: number, gid: number): Inode {
    if (this.inodes.size >= this.options.maxInodes) throw new FuseError('ENOSPC');
    const ino = this.freeIds.pop() ?? this.nextId++;
    const inode = new Inode(ino, this.nextGeneration++, mode, uid, gid, this.clock.now());
    this.inodes.set(ino, inode);
    return inode;
  }

  /** One more kernel reference: the Entry for a reply that hands `inode` to the kernel. */
  entry(inode: Inode): Entry {
    inode.nlookup++;
    return { ino: inode.ino, generation: inode.generation, attr: inode.attr() };
  }

  /** FORGET: the kernel drops `n` references. */
  forget(ino: number, n: number): void {
    const inode = this.inodes.get(ino);
    if (!inode || ino === ROOT_ID) return;
    inode.nlookup = Math.max(0, inode.nlookup - n);
    this.maybeFree(inode);
  }

  /** Frees the inode if nothing reaches it any more. */
  maybeFree(inode: Inode): void {
    if (inode.ino === ROOT_ID || inode.nlink > 0 || inode.opens > 0 || inode.nlookup > 0) return;
    if (this.inodes.get(inode.ino) !== inode) return;
    this.inodes.delete(inode.ino);
    this.freeIds.push(inode.ino);
    inode.data?.free();
    if (inode.isSymlink) this.releaseBytes(symlinkCost(inode.target));
    dropXattrs(inode, this);
    this.locks.clear(inode.ino);
  }

  // ---- handles --------------------------------------------------------------

  open(inode: Inode, flags: number): number {
    const fh = this.nextFh++;
    this.handles.set(fh, { ino: inode.ino, flags });
    inode.opens++;
    return fh;
  }

  handle(fh: number, ino: number): Handle {
    const h = this.handles.get(fh);
    if (!h || h.ino !== ino) throw new FuseError('EBADF');
    return h;
  }

  close(fh: number): void {
    const h = this.handles.get(fh);
    if (!h) return;
    this.handles.delete(fh);
    const inode = this.inodes.get(h.ino);
    if (!inode) return;
    inode.opens--;
    this.locks.releaseHandle(inode.ino, fh);
    if (inode.opens === 0) this.locks.clear(inode.ino);
    this.maybeFree(inode);
  }

  // ---- space ----------------------------------------------------------------

  reserve(blocks: number): boolean {
    return this.reserveBytes(blocks * BLOCK_SIZE);
  }

  release(blocks: number): void {
    this.releaseBytes(blocks * BLOCK_SIZE);
  }

  reserveBytes(n: number): boolean {
    if (this.usedBytes + n > this.options.size) return false;
    this.usedBytes += n;
    return true;
  }

  releaseBytes(n: number): void {
    this.usedBytes -= n;
  }

  held(bytes: number): void {
    this.dataBytes += bytes;
    if (bytes >= 0 || !this.options.releaseMemory) return;
    this.freedBytes -= bytes;
    if (this.freedBytes >= RELEASE_AFTER_BYTES && !this.releaseTimer) this.scheduleRelease();
  }

  /**
   * Dropped buffers are memory only once the garbage collector has run and
   * malloc has given it back, neither of which happens by itself in an
   * idle process: releaseMemory (see MemfsOptions) does both. After a
   * short delay, so that an `rm -rf` is one call, and at most once a second.
   */
  private scheduleRelease(delay = RELEASE_DELAY_MS): void {
    this.releaseTimer = setTimeout(() => {
      this.freedBytes = 0;
      this.options.releaseMemory?.();
      // The quiet period: drops meanwhile wait for its end.
      this.releaseTimer = setTimeout(() => {
        this.releaseTimer = null;
        if (this.freedBytes >= RELEASE_AFTER_BYTES) this.scheduleRelease(0);
      }, RELEASE_INTERVAL_MS - RELEASE_DELAY_MS);
      this.releaseTimer.unref?.();
    }, delay);
    this.releaseTimer.unref?.();
  }

  newFileData(): FileData {
    return new FileData(this);
  }

  // ---- timestamps -----------------------------------------------------------

  now(): Timespec {
    return this.clock.now();
  }

  /** A change to the inode's attributes or links (chmod, link, rename, xattrs...). */
  changed(inode: Inode, now = this.now()): void {
    inode.ctime = now;
  }

  /** A change to the contents: mtime and ctime (write, truncate, entries added or removed). */
  modified(inode: Inode, now = this.now()): void {
    inode.mtime = now;
    inode.ctime = now;
  }

  /** A read of the contents, under the atime policy. */
  accessed(inode: Inode): void {
    const policy = this.options.atime;
    if (policy === 'noatime') return;
    const now = this.now();
    if (policy === 'relatime' && !relatimeNeedsUpdate(inode, now)) return;
    inode.atime = now;
  }
}

/** relatime: update if atime is not newer than mtime or ctime, or is a day old (fs/inode.c relatime_need_update). */
function relatimeNeedsUpdate(inode: Inode, now: Timespec): boolean {
  if (compareTime(inode.mtime, inode.atime) >= 0) return true;
  if (compareTime(inode.ctime, inode.atime) >= 0) return true;
  return now.sec - inode.atime.sec >= DAY_SEC;
}

/** Bytes a symlink target takes from the budget. */
export function symlinkCost(target: string): number {
  return nameByteLength(target);
}
