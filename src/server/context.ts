/**
 * The per-request context handed to every handler. The AbortController
 * behind `signal` is created only when a handler looks at it or an
 * INTERRUPT arrives, so the common request pays for neither.
 */
import type { InHeader, Opcode } from '../protocol';
import type { RequestContext } from './filesystem';

export class Context implements RequestContext {
  private controller: AbortController | null = null;
  /** Set when INTERRUPT arrived for this request. */
  interrupted = false;
  directIo = false;

  constructor(
    private readonly header: InHeader,
    readonly umask: number,
    readonly groups: readonly number[] | undefined,
    readonly cuse: boolean,
  ) {}

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
