/**
 * How filesystem handlers report failure: throw (or reject with) a
 * FuseError, or let a Node error with a `code` such as 'ENOENT' propagate
 * (fs.promises errors do this), and the request is answered with that errno.
 * Anything else thrown is a bug in the handler: the session logs it and
 * answers EIO, and goes on serving.
 */
import { Errno, errnoName, MAX_ERRNO, type ErrnoName } from '../protocol';

export class FuseError extends Error {
  override readonly name = 'FuseError';
  readonly errno: number;
  readonly code: string;

  constructor(errno: number | ErrnoName, message?: string) {
    const n = typeof errno === 'number' ? errno : Errno[errno];
    super(message ?? errnoName(n));
    this.errno = n;
    this.code = errnoName(n);
  }
}

/** Shorthand: `throw fuseError('ENOENT')`. */
export function fuseError(code: ErrnoName, message?: string): FuseError {
  return new FuseError(code, message);
}

/**
 * The errno an error stands for, or undefined when it is not an errno-carrying
 * error (a bug): FuseError, Node system errors (code 'ENOENT', errno -2),
 * DOMException/AbortError from an aborted (interrupted) operation → EINTR.
 */
export function errnoOf(e: unknown): number | undefined {
  if (e instanceof FuseError) return e.errno;
  if (typeof e !== 'object' || e === null) return undefined;
  const { code, errno, name } = e as { code?: unknown; errno?: unknown; name?: unknown };
  if (name === 'AbortError') return Errno.EINTR;
  if (typeof code === 'string' && code in Errno) return Errno[code as ErrnoName];
  // Node system errors carry errno as a negative number (uv error codes mirror -errno on Linux).
  if (typeof errno === 'number' && errno < 0 && -errno <= MAX_ERRNO) return -errno;
  return undefined;
}
