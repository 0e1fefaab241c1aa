/**
 * WRITE data by splice(2): the request is spliced from /dev/fuse into a
 * pipe, the server reads only its headers, and the filesystem moves the
 * data from the pipe into its file with another splice, so the bytes are
 * copied once (pipe → file) instead of twice (device → our buffer → file).
 * For buffered writes the kernel puts references to its page-cache pages
 * into the pipe rather than copies (fuse_copy_folio with pipe buffers).
 *
 * The device channel switches to it only while big WRITEs stream
 * (splicing.ts plugs it in): every other request read through the pipe
 * costs two more syscalls than a read(2). Figures: docs/design/splice.md.
 */
import { Opcode } from '../../protocol/constants';
import { Errno } from '../../protocol/errno';
import { IN_HEADER_SIZE, peekExtlen, peekLength, peekOpcode, peekWriteOpenFlags } from '../../protocol/header';
import { WriteIn } from '../../protocol/structs';
import { FuseError } from '../../api/errors';
import type { SplicedData } from '../../api/spliced';
import { closeFd, deviceRead, errno, pipe, setPipeSize, spliceFd } from '../device/device-io';
import { O_CLOEXEC, O_DIRECT, O_NONBLOCK, SPLICE_F_MOVE, SPLICE_F_NONBLOCK } from '../../linux/constants';

/** WRITEs with at least this much data switch reads to splice; smaller ones gain nothing. */
const SPLICE_MIN = 64 * 1024;
/** Other requests in a row, read through the pipe, that switch splicing back off. */
const SPLICE_OFF_AFTER = 16;
const WRITE_HEAD = IN_HEADER_SIZE + WriteIn.size;

/**
 * A WRITE worth splicing: big, and through the page cache. O_DIRECT writes
 * lost (−8% for 1 MiB blocks: their data is the caller's own pages, which
 * the pipe holds by reference and the splice into the file then copies
 * anyway, at a higher cost than read(2) + pwrite).
 */
function spliceWorthy(buf: Buffer, dataBytes: number): boolean {
  return dataBytes >= SPLICE_MIN && peekOpcode(buf) === Opcode.WRITE && (peekWriteOpenFlags(buf) & O_DIRECT) === 0;
}

const PAGE = 4096;

/**
 * The pipe a spliced request needs, bytes: a pipe buffer per page of WRITE
 * data (data at an unaligned offset touches one page more than its size)
 * and one for the headers. Too few buffers and the kernel fails the request
 * itself (EIO to the writer, fuse_dev_splice_read), so this bound is exact,
 * not a hint.
 */
export function splicePipeSize(maxWrite: number): number {
  return (Math.ceil(maxWrite / PAGE) + 2) * PAGE;
}

/** A pipe the device channel splices requests into. */
export class SplicePipe {
  private readonly r: number;
  private readonly w: number;
  private readonly off = Buffer.alloc(8);

  /** Throws if the pipe cannot hold `capacity` bytes (past pipe-max-size without CAP_SYS_RESOURCE). */
  constructor(capacity: number) {
    const fds = pipe(O_NONBLOCK | O_CLOEXEC);
    if (!fds) throw new FuseError(errno(), 'pipe2');
    [this.r, this.w] = fds;
    if (setPipeSize(this.w, capacity) < 0) {
      const e = errno();
      this.close();
      throw new FuseError(e, `F_SETPIPE_SZ ${capacity}`);
    }
  }

  /** Splices one request from `device` into the pipe: its length, or -1 with errno() set. */
  fill(device: number, max: number): number {
    return spliceFd(device, null, this.w, null, max, SPLICE_F_NONBLOCK);
  }

  /** Reads exactly `n` bytes of the pipe into buf at `at` (they are there: the request was spliced whole). */
  readExactly(buf: Buffer, at: number, n: number): void {
    let done = 0;
    while (done < n) {
      const got = deviceRead(this.r, buf.subarray(at + done, at + n));
      if (got <= 0) throw new FuseError(got < 0 ? errno() : Errno.EIO, `reading ${n} spliced bytes`);
      done += got;
    }
  }

  /** Reads `n` bytes of the pipe and forgets them. */
  private drain(n: number): void {
    this.readExactly(Buffer.allocUnsafe(n), 0, n);
  }

  /** The next `size` bytes of the pipe, as SplicedData (valid until consumed). */
  data(size: number): SplicedData & { discard(): void } {
    let consumed = false;
    const take = (): void => {
      if (consumed) throw new Error('spliced WRITE data taken twice');
      consumed = true;
    };
    return {
      size,
      get consumed() {
        return consumed;
      },
      spliceTo: (fd, offset) => {
        take();
        try {
          return this.moveTo(fd, offset, size);
        } catch (e) {
          // Nothing moved: the bytes are still there, for read() (a file that cannot take splice: EINVAL).
          consumed = false;
          throw e;
        }
      },
      read: () => {
        take();
        const b = Buffer.allocUnsafe(size);
        this.readExactly(b, 0, size);
        return b;
      },
      discard: () => {
        if (consumed) return;
        consumed = true;
        this.drain(size);
      },
    };
  }

  /**
   * splice(2) `n` bytes from the pipe into fd at offset. A failure after
   * some bytes moved is a short write (the rest is drained); a failure
   * before any throws and leaves the bytes in the pipe.
   */
  private moveTo(fd: number, offset: number, n: number): number {
    let done = 0;
    while (done < n) {
      this.off.writeBigInt64LE(BigInt(offset + done));
      const moved = spliceFd(this.r, null, fd, this.off, n - done, SPLICE_F_MOVE);
      if (moved > 0) {
        done += moved;
        continue;
      }
      const e = moved < 0 ? errno() : Errno.EIO;
      if (done === 0) throw new FuseError(e, 'splice to the file');
      // A short write, as pwrite(2) would report it; what was not moved must leave the pipe.
      this.drain(n - done);
      return done;
    }
    return done;
  }

  close(): void {
    closeFd(this.r);
    closeFd(this.w);
  }
}

/**
 * The channel's splice mode: when to read through the pipe, and reading one
 * request that way. One ordinary read of a big page-cache WRITE switches it
 * on (seen()); 16 other requests in a row read through the pipe switch it
 * off, so only streams of big writes pay its two extra syscalls.
 */
export class SpliceReader {
  /** Requests read through the pipe, and WRITEs whose data stayed in it. */
  readonly stats = { reads: 0, writes: 0 };
  private on = false;
  private misses = 0;
  /** The data of the WRITE read last, until the channel takes it. */
  private pending: (SplicedData & { discard(): void }) | null = null;

  constructor(private readonly pipe: SplicePipe) {}

  /** Whether the next read goes through the pipe. */
  get active(): boolean {
    return this.on;
  }

  /** A request read the ordinary way: a big page-cache WRITE switches splicing on. */
  seen(buf: Buffer, n: number): void {
    if (!this.on && spliceWorthy(buf, n - WRITE_HEAD)) {
      this.on = true;
      this.misses = 0;
    }
  }

  /**
   * One request from `device` through the pipe into `buf`: its
   * fuse_in_header first; a big WRITE leaves its data in the pipe (take()),
   * anything else is read out whole. The bytes now in buf, or -1 with
   * errno() set.
   */
  read(device: number, buf: Buffer, max: number): number {
    const pipe = this.pipe;
    const n = pipe.fill(device, max);
    if (n < 0) return -1;
    this.stats.reads++;
    const head = Math.min(n, IN_HEADER_SIZE);
    pipe.readExactly(buf, 0, head);
    const len = head === IN_HEADER_SIZE ? peekLength(buf) : n;
    // A big WRITE without extensions: headers here, data left in the pipe.
    if (head === IN_HEADER_SIZE && len === n && peekOpcode(buf) === Opcode.WRITE && peekExtlen(buf) === 0 && n - WRITE_HEAD >= SPLICE_MIN) {
      pipe.readExactly(buf, IN_HEADER_SIZE, WriteIn.size);
      this.pending = pipe.data(n - WRITE_HEAD);
      this.stats.writes++;
      // A stream of O_DIRECT writes switches splicing off, as other requests do.
      if (spliceWorthy(buf, n - WRITE_HEAD)) this.misses = 0;
      else this.miss();
      return WRITE_HEAD;
    }
    if (n > head) pipe.readExactly(buf, head, n - head);
    this.miss();
    return n;
  }

  /** The data of the WRITE just read, once (null if it was no spliced WRITE). */
  take(): (SplicedData & { discard(): void }) | null {
    const p = this.pending;
    this.pending = null;
    return p;
  }

  private miss(): void {
    if (++this.misses >= SPLICE_OFF_AFTER) this.on = false;
  }

  close(): void {
    this.on = false;
    this.pipe.close();
  }
}
