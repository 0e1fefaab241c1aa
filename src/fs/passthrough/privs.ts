/**
 * Clearing setuid/setgid on behalf of the writer (FUSE_HANDLE_KILLPRIV_V2).
 *
 * Why the passthrough negotiates it: without it the kernel asks, before
 * every write(2), whether the file carries a security.capability (a
 * GETXATTR round trip per write, ~8% of 1 MiB write throughput here).
 * With it the kernel trusts the server to do what the VFS would, and flags
 * the requests where that matters: WRITE, SETATTR (truncate, chown) and
 * O_TRUNC opens by a caller without CAP_FSETID.
 *
 * What the source filesystem already does for us: our pwrite, ftruncate and
 * fchownat go through its VFS, which drops security.capability on each
 * whoever makes them, and setuid/setgid on a chown even by root. What it
 * does not: run as root, we hold CAP_FSETID, so a write or truncate of ours
 * keeps setuid/setgid. That is the one thing left, done here when the
 * kernel's flag says the caller lacked CAP_FSETID. (Run unprivileged, the
 * source already cleared the bits, and the statx finds nothing to do.)
 */
import { killableBits } from '../../linux/constants';
import { then, type Io, type MaybePromise } from './io';
import { AT_EMPTY_PATH, AT_SYMLINK_NOFOLLOW, S_IFMT, S_IFREG, STATX_BASIC_STATS, type Libc } from './libc';

/** Offset of stx_mode (u16) in struct statx. */
const STX_MODE = 28;

/**
 * Drops setuid, and setgid from a group-executable file, from the regular
 * file `fd` refers to (an O_PATH descriptor too): one statx, and a chmod
 * only when a bit is set. `chmod` sets the mode: fchmod on an open
 * descriptor by default; an O_PATH one needs a path (fchmodat).
 */
export function killSuidgid(io: Io, L: Libc, fd: number, chmod?: (mode: number) => MaybePromise<unknown>): MaybePromise<void> {
  const b = io.scratch(256);
  return then(io.call(L.statx, fd, '', AT_EMPTY_PATH | AT_SYMLINK_NOFOLLOW, STATX_BASIC_STATS, b), () => {
    const mode = b.readUInt16LE(STX_MODE);
    const bits = killableBits(mode);
    if (bits === 0 || (mode & S_IFMT) !== S_IFREG) return undefined;
    const next = mode & 0o7777 & ~bits;
    return then(chmod ? chmod(next) : io.call(L.fchmod, fd, next), () => undefined);
  });
}
