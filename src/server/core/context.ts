/**
 * One request in the session: the context handed to its handler (the
 * public RequestContext), and the session's own state for it until the
 * reply is written. Per-request state lives here, on the one object each
 * request allocates, never in session fields.
 *
 * The AbortController behind `signal` is created only when a handler looks
 * at it or an INTERRUPT arrives, so the common request pays for neither.
 */
import type { InHeader, Opcode } from '../../protocol';
import type { SplicedData } from '../../api/spliced';
import { HEADROOM, type BufferPool } from './buffer-pool';
import type { RequestContext } from '../../api/filesystem';

/** Writes a reply somewhere else than the session's channel (a data worker's fd): 0 or an errno, as Channel.write. */
export type ReplyWriter = (data: Buffer | readonly Buffer[]) => number;

export class Context implements RequestContext {
  private controller: AbortController | null = null;
  /** Set when INTERRUPT arrived for this request. */
  interrupted = false;
  directIo = false;
  /** Buffers lent by buffer(), given back to the pool once the reply is written. */
  lent: Buffer[] | null = null;
  /** The request buffer, kept while the request holds views into it (WRITE, SETXATTR, IOCTL). */
  buf: Buffer | null = null;
  /** Node ids the reply hands to the kernel (entry replies, readdirplus): counted once it is delivered. */
  lookups: number[] | null = null;
  /** process.hrtime.bigint() when it arrived, for --debug (0 otherwise). */
  started = 0n;
  /** In the session's table of requests in flight (its handler went asynchronous). */
  registered = false;
  /** Answered. */
  done = false;

  constructor(
    private readonly header: InHeader,
    readonly umask: number,
    readonly groups: readonly number[] | undefined,
    readonly cuse: boolean,
    private readonly pool: BufferPool | null = null,
    /** Where the reply goes: null for the session's channel. */
    readonly out: ReplyWriter | null = null,
    /** A WRITE's data left outside the request buffer (splice), until the handler takes it. */
    readonly spliced: SplicedData | null = null,
  ) {}

  buffer(size: number): Buffer {
    if (!this.pool) return Buffer.allocUnsafe(size);
    const { view, whole } = this.pool.take(size);
    (this.lent ??= []).push(whole);
    return view;
  }

  /**
   * When `data` starts where a buffer this context lent starts (a READ
   * answered with ctx.buffer(), whole or cut short): that buffer from its
   * headroom to the end of `data`, for the reply header to go in front.
   */
  withHeadroom(data: Buffer): Buffer | null {
    const lent = this.lent;
    if (!lent) return null;
    for (const whole of lent) {
      if (data.buffer === whole.buffer && data.byteOffset === whole.byteOffset + HEADROOM) return whole.subarray(0, HEADROOM + data.length);
    }
    return null;
  }

  /** Gives the lent buffers back (the session calls this after writing the reply). */
  returnBuffers(): void {
    if (!this.lent || !this.pool) return;
    for (const b of this.lent) this.pool.give(b);
    this.lent = null;
  }

  /** Counts `nodeids` as handed to the kernel by this request's reply (entry replies, readdirplus). */
  countLookups(nodeids: readonly number[]): void {
    if (nodeids.length === 0) return;
    (this.lookups ??= []).push(...nodeids);
  }

  get unique(): number {
    return this.header.unique;
  }
  get opcode(): Opcode {
    return this.header.opcode as Opcode;
  }
  get nodeid(): number {
    return this.header.nodeid;
  }
  get uid(): number {
    return this.header.uid;
  }
  get gid(): number {
    return this.header.gid;
  }
  get pid(): number {
    return this.header.pid;
  }

  get signal(): AbortSignal {
    this.controller ??= new AbortController();
    if (this.interrupted && !this.controller.signal.aborted) this.abort();
    return this.controller.signal;
  }

  /** INTERRUPT: tell the handler, if it listens. */
  interrupt(): void {
    this.interrupted = true;
    if (this.controller) this.abort();
  }

  private abort(): void {
    const e = new Error('request interrupted by the kernel (FUSE_INTERRUPT)');
    e.name = 'AbortError';
    this.controller!.abort(e);
  }
}
