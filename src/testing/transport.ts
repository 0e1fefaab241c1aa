/**
 * The emulator's link to the server under test: request bytes go out,
 * reply and notification bytes come back, exactly as on /dev/fuse. The
 * emulator and everything built on it (Vfs, the conformance scenarios) see
 * only this interface, so the server may be a devfuse Session in this
 * process (InProcessTransport, below) or another process speaking the
 * protocol over a socket (exec/exec-transport.ts, docs/exec.md).
 */
import type { Filesystem } from '../api/filesystem';
import { MemoryChannel, Session, type SessionOptions } from '../server/index';

/** What a transport to a server in another process tells the emulator besides messages. */
export interface TransportEvents {
  /** The server went away (exited, crashed, closed its end) before the kernel side ended the session. */
  gone(why: string): void;
  /** A message that could not be taken whole; the request `unique` names (if any is in flight) fails with `why`. */
  broken(why: string, unique: number | null): void;
}

export interface ServerTransport {
  /**
   * Called once by the emulator, before the first request: every message
   * the server writes (a reply, or a notification with unique 0) goes to
   * `onMessage`, one whole message per call; its return value is what the
   * device would answer the server's write(2): 0, or a positive errno.
   * A server in another process also reports through `events`.
   */
  connect(onMessage: (msg: Buffer) => number, events?: TransportEvents): void;
  /** Hands the server one whole request, as one read of /dev/fuse would. The bytes may be reused after the call. */
  deliver(request: Buffer): void;
  /** The kernel side ends the connection (an unmount, or an abort). Idempotent. */
  unmount(): void;
  /** The in-process session, for checks that look inside the server (the lookup ledger); null for an external server. */
  readonly session: Session | null;
  /** The in-process channel (tests rewrite its writes); null for an external server. */
  readonly channel: MemoryChannel | null;
  /** What the server logged (handler crashes, values the protocol cannot carry); an external server's stderr lines. */
  readonly log: string[];
  /** INIT flags the link cannot carry (a socket: PASSTHROUGH, OVER_IO_URING): withheld from the kernel's offer. */
  readonly withheld?: bigint;
  /** The largest message the link carries; the emulator sends no request larger, as a kernel with that max_pages_limit. */
  readonly maxMessage?: number;
  /** Ends the session and waits until the server is gone (a server in another process; after DESTROY); resolves with what went wrong on the way (a crash), or null. */
  end?(): Promise<string | null>;
  /** Who the server is and the tail of its output, for failure reports (a server in another process). */
  describe?(): { who: string; output: string };
  /** What the link knows about a silence, for a deadline's message ("the server (pid 12) still runs; 40 of 100 bytes of a reply arrived"). */
  explain?(): string | null;
}

export interface InProcessOptions {
  session?: SessionOptions;
  /** Build the session yourself (CUSE sessions, or a subclass, or a broken server). */
  makeSession?: (fs: Filesystem, channel: MemoryChannel, options: SessionOptions) => Session;
}

/** A devfuse Session serving `fs` in this process, over a MemoryChannel. */
export class InProcessTransport implements ServerTransport {
  readonly channel: MemoryChannel;
  readonly session: Session;
  readonly log: string[] = [];
  private onMessage: ((msg: Buffer) => number) | null = null;

  constructor(
    readonly fs: Filesystem,
    opts: InProcessOptions = {},
  ) {
    this.channel = new MemoryChannel((msg) => (this.onMessage ? this.onMessage(msg) : 0));
    const options: SessionOptions = { log: (l) => this.log.push(l), ...opts.session };
    this.session = opts.makeSession ? opts.makeSession(fs, this.channel, options) : new Session(fs, this.channel, options);
  }

  connect(onMessage: (msg: Buffer) => number): void {
    this.onMessage = onMessage;
    this.session.start();
  }

  deliver(request: Buffer): void {
    this.channel.deliver(request);
  }

  unmount(): void {
    this.channel.unmount();
  }
}

export function isTransport(x: Filesystem | ServerTransport): x is ServerTransport {
  const t = x as Partial<ServerTransport>;
  return typeof t.connect === 'function' && typeof t.deliver === 'function' && typeof t.unmount === 'function';
}
