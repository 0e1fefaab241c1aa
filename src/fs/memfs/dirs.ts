/**
 * Directory listing: opendir, readdir, readdirplus, releasedir.
 *
 * Offsets are the entries' cookies (dir.ts): "." is 1, ".." is 2, and each
 * entry's cookie is what READDIR resumes after, so a listing interrupted
 * by unlinks, renames or creates resumes exactly where it was.
 */
import type { DirentPlusSink, DirentSink, Entry, OpenResult, RequestContext } from '../../api/filesystem';
import { FuseError } from '../../api/errors';
import { DOT_COOKIE, DOTDOT_COOKIE } from './dir';
import type { Inode } from './inode';
import { accessForOpenFlags } from './perm';
import type { MemfsState } from './state';

/**
 * opendir needs read permission (an O_RDONLY open of the directory); search
 * permission is the lookup's business.
 *
 * The kernel may keep the listing (FOPEN_CACHE_DIR) across opens
 * (FOPEN_KEEP_CACHE): memfs's cookies never change meaning (dir.ts), and
 * the directory changes only through the mount, where the kernel drops the
 * cached listing itself (and on a GETATTR showing a new mtime, for changes
 * made through `state`). A warm `ls` of 10,000 entries: 5-6 against 10-14 ms.
 */
export function opendir(st: MemfsState, ctx: RequestContext, ino: number, flags: number): OpenResult {
  const inode = st.get(ino);
  inode.entries();
  st.perms.check(ctx, inode, accessForOpenFlags(flags));
  return { fh: st.open(inode, flags), cacheDir: true, keepCache: true };
}

/** The directory to list: ENOENT once removed (as the VFS answers for a dead directory). */
function listable(st: MemfsState, ino: number): Inode {
  const inode = st.get(ino);
  inode.entries();
  if (inode.nlink === 0) throw new FuseError('ENOENT');
  return inode;
}

/** Calls `emit` for ".", ".." and the entries after `offset` until it returns false. */
function walk(st: MemfsState, dir: Inode, offset: number, emit: (name: string, inode: Inode, cookie: number, dot: boolean) => boolean): void {
  if (offset < DOT_COOKIE && !emit('.', dir, DOT_COOKIE, true)) return;
  if (offset < DOTDOT_COOKIE && !emit('..', st.get(dir.parent), DOTDOT_COOKIE, true)) return;
  for (const e of dir.entries().entriesAfter(Math.max(offset, DOTDOT_COOKIE))) {
    if (!emit(e.name, st.get(e.ino), e.cookie, false)) return;
  }
}

export function readdir(st: MemfsState, ino: number, offset: number, out: DirentSink): void {
  const dir = listable(st, ino);
  walk(st, dir, offset, (name, inode, cookie) => out.add(name, inode.ino, inode.mode, cookie));
  st.accessed(dir);
}

/**
 * READDIRPLUS: each entry also answers a lookup, so each one the reply
 * takes is one more kernel reference — counted only once `add` accepted
 * it. "." and ".." go out with node id 0: the kernel never takes a
 * reference for them (fuse_direntplus_link skips them).
 */
export function readdirplus(st: MemfsState, ino: number, offset: number, out: DirentPlusSink): void {
  const dir = listable(st, ino);
  walk(st, dir, offset, (name, inode, cookie, dot) => {
    const attr = inode.attr();
    if (dot) return out.add(name, { ino: 0, attr }, cookie);
    const entry: Entry = { ino: inode.ino, generation: inode.generation, attr };
    if (!out.add(name, entry, cookie)) return false;
    inode.nlookup++;
    return true;
  });
  st.accessed(dir);
}

export function releasedir(st: MemfsState, fh: number): void {
  st.close(fh);
}
