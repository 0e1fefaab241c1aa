/**
 * READ and WRITE: one serving function each, called by the dispatch table
 * on the main thread and by the data workers (accel/workers) on theirs. A
 * request is decoded, served under the ordering rule (write-order.ts),
 * checked and answered with the same bytes wherever it was read; a worker
 * only brings other calls (its data path, behind the Filesystem shape) and
 * an ordering storage whose waits block instead of returning a promise.
 */
import { writeOutHeader } from '../../protocol/header';
import { ReadFlags, WriteFlags } from '../../protocol/constants';
import { InvalidReplyError } from '../../protocol/errors';
import { replyData, replyWrite, type ReplyBytes } from '../../protocol/replies';
import type { ReadRequest, WriteRequest } from '../../protocol/ops';
import { FuseError } from '../../api/errors';
import type { Filesystem } from '../../api/filesystem';
import type { Context } from './context';
import { isPromise, then, type MaybePromise } from './maybe';
import { directWait, recordedWrite, type WriteOrdering } from './write-order';

/** A handler's bytes, or a FuseError the filesystem returned (the session answers it as the error). */
export type Handled = MaybePromise<ReplyBytes | FuseError>;

/** The calls READ/WRITE serving makes: a Filesystem's, or a data path's dressed as one. */
export type DataCalls = Pick<Filesystem, 'read' | 'write' | 'writeSpliced'>;

function checkReadSize(data: Buffer | Buffer[], size: number): Buffer | Buffer[] {
  let n = 0;
  if (Buffer.isBuffer(data)) n = data.length;
  else if (Array.isArray(data)) for (const b of data) n += b.length;
  else throw new InvalidReplyError(`read returned ${typeof data}, not a Buffer or Buffer[]`);
  if (n > size) throw new InvalidReplyError(`read returned ${n} bytes, the request asked for at most ${size}`);
  return data;
}

/** A count a filesystem returned, checked to be an integer in [0, max]. */
export function countResult(n: number, max: number, what: string): number {
  if (!Number.isInteger(n) || n < 0 || n > max) throw new InvalidReplyError(`${what} returned ${String(n)}; expected an integer from 0 to ${max}`);
  return n;
}

/** Serves READ `r` (fs.read is there: the caller answers ENOSYS otherwise). */
export function serveRead(fs: DataCalls, order: WriteOrdering | null, r: ReadRequest, ctx: Context): Handled {
  const read = fs.read!;
  const ino = r.header.nodeid;
  const { fh, offset, size } = r.arg;
  const info = { flags: r.arg.flags, lockOwner: r.arg.read_flags & ReadFlags.LOCKOWNER ? r.arg.lock_owner : undefined };
  const go = (): Handled =>
    then(read.call(fs, ctx, ino, fh, offset, size, info), (data) => {
      checkReadSize(data, size);
      // Data in a buffer the context lent: the header goes in its headroom, one buffer, one write.
      const whole = Buffer.isBuffer(data) ? ctx.withHeadroom(data) : null;
      if (!whole) return replyData(r.header.unique, data);
      writeOutHeader(whole, whole.length, 0, r.header.unique);
      return whole;
    });
  const wait = directWait(order, ctx, ino, offset, size);
  return wait ? wait.then(go) : go();
}

/** Serves WRITE `r` (fs.write is there). Its data may wait in a splice pipe (ctx.spliced). */
export function serveWrite(fs: DataCalls, order: WriteOrdering | null, r: WriteRequest, ctx: Context): Handled {
  const write = fs.write!;
  const ino = r.header.nodeid;
  const { fh, offset, size, write_flags } = r.arg;
  const info = {
    flags: r.arg.flags,
    lockOwner: write_flags & WriteFlags.LOCKOWNER ? r.arg.lock_owner : undefined,
    writeback: (write_flags & WriteFlags.CACHE) !== 0,
    killSuidgid: (write_flags & WriteFlags.KILL_SUIDGID) !== 0,
  };
  return recordedWrite(order, ctx, ino, offset, size, (wait) => {
    // Data still in the channel's pipe leaves it before this returns: to the filesystem's
    // writeSpliced when the write can go at once, otherwise into a Buffer for write().
    const sp = ctx.spliced;
    const { writeSpliced } = fs;
    const spliceNow = sp !== null && writeSpliced !== undefined && wait === null;
    const data = sp !== null && !spliceNow ? sp.read() : r.data;
    const go = (): MaybePromise<Buffer | FuseError> => {
      let n: MaybePromise<number | FuseError>;
      if (spliceNow) {
        n = writeSpliced.call(fs, ctx, ino, fh, offset, sp, info);
        // A failure may leave the data (the channel drains the pipe); a success must have taken it.
        if (!sp.consumed && !(n instanceof FuseError)) throw new InvalidReplyError('writeSpliced returned without taking the data (spliceTo or read) before returning');
      } else {
        n = write.call(fs, ctx, ino, fh, offset, data, info);
      }
      const done = (v: number | FuseError): Buffer | FuseError => (v instanceof FuseError ? v : replyWrite(r.header.unique, countResult(v, size, 'write')));
      return isPromise(n) ? n.then(done) : done(n);
    };
    return wait ? wait.then(go) : go();
  });
}
