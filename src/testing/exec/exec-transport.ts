/**
 * An external FUSE server, in any language, as the emulator's transport:
 * the command is started with one end of a SOCK_SEQPACKET socketpair as an
 * inherited fd, named to it as /dev/fd/N where its mount point would be
 * (libfuse ≥ 3.3 and go-fuse ≥ 2.2 then use the fd as /dev/fuse and mount
 * nothing), and the emulator plays the kernel over the other end.
 *
 * What a socket changes, and how this file answers it (docs/exec.md):
 * - a datagram must fit the sender's SO_SNDBUF: both ends are raised
 *   before the fd is handed over, and `maxDatagram` bounds what the
 *   emulator offers (max_pages) and sends;
 * - a reply longer than the read buffer would be cut silently by read(2):
 *   recv with MSG_TRUNC reports its real size, and the request fails;
 * - a reply the server splices arrives in several datagrams of 16 pipe
 *   buffers: one shorter than its fuse_out_header.len is joined with the
 *   datagrams that follow until the length is reached, unless the next
 *   datagram is itself a whole message, in which case the short one is
 *   judged as written (the emulator reports the length mismatch);
 * - there is no unmount: the session ends with DESTROY, then close; the
 *   server reads EOF and exits (libfuse with status 1, "short read on fuse
 *   device": not a failure); one that does not is sent SIGTERM, then
 *   SIGKILL, each after a grace period;
 * - a socket takes replies whose unique is unknown, where /dev/fuse would
 *   answer ENOENT: the emulator judges those itself.
 * A server that exits, crashes or closes its end before the session ends
 * is reported through `gone`, with its exit status; its stderr and stdout
 * are kept, and their tail goes into the report.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { InitFlags } from '../../protocol';
import type { ServerTransport, TransportEvents } from '../transport';
import { expandCommand } from './command';
import { SeqpacketEnd, seqpacketPair } from './seqpacket';

export interface ExecOptions {
  /** The server's argv; `{fd}` becomes /dev/fd/N, `{tmp}` a fresh empty directory. */
  command: readonly string[];
  /** Its working directory (default: this process's). */
  cwd?: string;
  env?: NodeJS.ProcessEnv;
  /** How long the server gets to answer DESTROY and exit after the close, and again after SIGTERM (default 2000 ms). */
  graceMs?: number;
  /** Socket buffers asked for (default 4 MiB: a 1 MiB WRITE and its headers fit with room). */
  socketBytes?: number;
}

/** INIT flags a socket cannot carry: their ioctls (BACKING_OPEN, the io_uring setup) fail with ENOTTY. */
export const SOCKET_WITHHELD: bigint = InitFlags.PASSTHROUGH | InitFlags.OVER_IO_URING;

/** Bytes of stdout and stderr kept, the tail. */
const OUTPUT_KEPT = 64 * 1024;
/** Lines of output kept in `log`. */
const LOG_LINES = 500;
/** The fd number the server finds its socket at. */
const CHILD_FD = 3;
const OUT_HEADER = 16;

export class ExecTransport implements ServerTransport {
  readonly session = null;
  readonly channel = null;
  readonly log: string[] = [];
  readonly withheld = SOCKET_WITHHELD;
  /** The largest message either direction carries (requests the emulator sends, replies it reads). */
  readonly maxMessage: number;
  readonly argv: string[];
  private readonly child: ChildProcess;
  private readonly sock: SeqpacketEnd;
  private readonly tmpDirs: string[] = [];
  private readonly graceMs: number;
  private output = '';
  private onMessage: ((msg: Buffer) => number) | null = null;
  private events: TransportEvents | null = null;
  /** The kernel side began ending the session: what the server does from now on is expected. */
  private ending = false;
  private reported = false;
  private exit: { code: number | null; signal: NodeJS.Signals | null } | null = null;
  private spawnError: string | null = null;
  private eof = false;
  private readonly exited: Promise<void>;
  private killTimer: NodeJS.Timeout | null = null;
  private signalsSent: NodeJS.Signals[] = [];
  /** A reply that arrived shorter than its header says, waiting for the rest (a spliced reply). */
  private partial: { parts: Buffer[]; have: number; want: number; unique: number } | null = null;
  /** Messages that came before connect() (none in practice: the server speaks only when asked). */
  private early: Buffer[] = [];

  constructor(opts: ExecOptions) {
    this.graceMs = opts.graceMs ?? 2000;
    const pair = seqpacketPair(opts.socketBytes ?? 4 << 20);
    this.maxMessage = pair.maxDatagram;
    this.argv = expandCommand(opts.command, { fd: `/dev/fd/${CHILD_FD}`, tmp: () => this.tmp() });
    try {
      this.child = spawn(this.argv[0]!, this.argv.slice(1), {
        cwd: opts.cwd,
        env: opts.env ?? process.env,
        stdio: ['ignore', 'pipe', 'pipe', pair.theirs],
      });
    } finally {
      // The child has its copy (or failed to start): ours would keep the socket open past its exit.
      fs.closeSync(pair.theirs);
    }
    const keep = (d: Buffer): void => {
      const s = d.toString('utf8');
      this.output = (this.output + s).slice(-OUTPUT_KEPT);
      for (const l of s.split('\n')) if (l.trim()) this.log.push(l);
      if (this.log.length > LOG_LINES) this.log.splice(0, this.log.length - LOG_LINES);
    };
    this.child.stdout!.on('data', keep);
    this.child.stderr!.on('data', keep);
    this.exited = new Promise((resolve) => {
      this.child.on('error', (e) => {
        this.spawnError = e.message;
        this.exit ??= { code: null, signal: null };
        this.problem();
        resolve();
      });
      // 'close' waits for stdout and stderr to end, so the output is whole; a grandchild holding them open (a server gone to the background) would delay it for ever: 'exit' and half a second do.
      this.child.on('exit', (code, signal) => {
        this.exit = { code, signal };
        setTimeout(() => this.problem(), 200).unref();
        setTimeout(resolve, 500).unref();
      });
      this.child.on('close', () => {
        this.problem();
        resolve();
      });
    });
    this.sock = new SeqpacketEnd(pair.ours, this.maxMessage + 1, {
      message: (data, length) => this.onDatagram(data, length),
      eof: () => {
        this.eof = true;
        // The exit status says more than the EOF: give the exit event a moment to arrive.
        setTimeout(() => this.problem(), 200).unref();
      },
      sendFailed: (code, bytes) => this.fail(`a request of ${bytes} bytes could not be sent to the server: ${code}${code === 'EMSGSIZE' ? ` (larger than the socket carries, ${this.maxMessage} bytes)` : ''}`),
    });
  }

  get pid(): number | undefined {
    return this.child.pid;
  }

  connect(onMessage: (msg: Buffer) => number, events?: TransportEvents): void {
    this.onMessage = onMessage;
    this.events = events ?? null;
    for (const m of this.early.splice(0)) onMessage(m);
  }

  deliver(request: Buffer): void {
    if (request.length > this.maxMessage) {
      this.fail(`the kit tried to send a request of ${request.length} bytes, more than the socket carries (${this.maxMessage}): a kit bug`);
      return;
    }
    this.sock.send(request);
  }

  /** The kernel side ends the connection: the socket is closed (the server reads EOF), SIGTERM and SIGKILL follow if it lingers. */
  unmount(): void {
    this.ending = true;
    this.sock.close();
    if (this.exit || this.killTimer) return;
    const escalate = (sig: NodeJS.Signals, next: NodeJS.Signals | null): void => {
      this.killTimer = setTimeout(() => {
        if (this.exit) return;
        this.signalsSent.push(sig);
        this.child.kill(sig);
        if (next) escalate(next, null);
      }, this.graceMs);
    };
    escalate('SIGTERM', 'SIGKILL');
    void this.exited.then(() => {
      if (this.killTimer) clearTimeout(this.killTimer);
      this.cleanup();
    });
  }

  /**
   * Ends the session (unmount) and waits until the server process is gone;
   * resolves with a crash on the way out (a signal the kit did not send),
   * or null. Any exit status is fine: servers report the EOF as an error.
   */
  async end(): Promise<string | null> {
    this.unmount();
    await this.exited;
    if (this.killTimer) clearTimeout(this.killTimer);
    this.cleanup();
    const sig = this.exit?.signal;
    if (!sig || this.signalsSent.includes(sig)) return null;
    return `the server was killed by ${sig} as the session ended (the releases and DESTROY of an unmount, then the close)`;
  }

  /** How the server ended, once it did: "exited with code 1", "killed by SIGSEGV", null while it runs. */
  get exitStatus(): string | null {
    if (this.spawnError) return `could not be started: ${this.spawnError}`;
    if (!this.exit) return null;
    if (this.exit.signal) return `was killed by ${this.exit.signal}${this.signalsSent.includes(this.exit.signal) ? ' (sent by the kit after the grace period)' : ''}`;
    return `exited with code ${this.exit.code}`;
  }

  /** Signals the kit had to send to end the server. */
  get signals(): readonly NodeJS.Signals[] {
    return this.signalsSent;
  }

  describe(): { who: string; output: string } {
    const status = this.exitStatus;
    return { who: `${this.argv.join(' ')} (pid ${this.child.pid ?? '-'}${status ? `, ${status}` : ', running'})`, output: this.output.trim() };
  }

  explain(): string | null {
    const status = this.exitStatus;
    const who = `the server (pid ${this.child.pid ?? '-'}) ${status ?? 'still runs'}`;
    const frag = this.pendingFragment;
    const queued = this.sock.queued ? `, ${this.sock.queued} requests still wait for room in the socket (it reads none)` : '';
    return `${who}${queued}${frag ? `; ${frag}` : ''}`;
  }

  // ------------------------------------------------------------------ input

  private onDatagram(data: Buffer, length: number): void {
    if (length > data.length) {
      const unique = data.length >= OUT_HEADER ? readU64(data, 8) : null;
      this.broken(`the server wrote a message of ${length} bytes, more than the largest reply a kernel reads (${this.maxMessage} bytes)${unique !== null ? ` (fuse_out_header: len ${data.readUInt32LE(0)}, error ${data.readInt32LE(4)}, unique ${unique})` : ''}`, unique);
      return;
    }
    if (this.partial) {
      if (!this.looksWhole(data)) {
        this.partial.parts.push(data);
        this.partial.have += data.length;
        if (this.partial.have < this.partial.want) return;
        const p = this.partial;
        this.partial = null;
        if (p.have > p.want) {
          this.broken(`a reply to unique ${p.unique} arrived in ${p.parts.length} datagrams (the server spliced it: a spliced reply reaches a socket in pieces of 16 pipe buffers) and the pieces add up to ${p.have} bytes, not the ${p.want} its fuse_out_header.len says`, p.unique);
          return;
        }
        this.log.push(`[kit] the reply to unique ${p.unique} came in ${p.parts.length} datagrams (a spliced reply) and was joined`);
        this.pass(Buffer.concat(p.parts));
        return;
      }
      // The next datagram is a message of its own: the short one was written short, and is judged as written.
      const p = this.partial;
      this.partial = null;
      this.pass(Buffer.concat(p.parts));
    }
    if (data.length >= OUT_HEADER && data.readUInt32LE(0) > data.length && data.readUInt32LE(0) <= this.maxMessage) {
      this.partial = { parts: [data], have: data.length, want: data.readUInt32LE(0), unique: readU64(data, 8) };
      return;
    }
    this.pass(data);
  }

  /** A datagram that is a message by itself: its header's length is its length. */
  private looksWhole(d: Buffer): boolean {
    return d.length >= OUT_HEADER && d.readUInt32LE(0) === d.length && d.readInt32LE(4) <= 0 && d.readInt32LE(4) > -4096;
  }

  private pass(msg: Buffer): void {
    if (this.onMessage) this.onMessage(msg);
    else this.early.push(msg);
  }

  /** What is still owed at the end: a reply half received. */
  get pendingFragment(): string | null {
    const p = this.partial;
    return p ? `${p.have} of the ${p.want} bytes of a reply to unique ${p.unique} arrived, the rest never did (a reply written short, or spliced in pieces)` : null;
  }

  // --------------------------------------------------------------- problems

  private broken(why: string, unique: number | null): void {
    if (this.events) this.events.broken(why, unique);
    else this.log.push(`[kit] ${why}`);
  }

  private fail(why: string): void {
    if (this.reported || this.ending) return;
    this.reported = true;
    this.events?.gone(why);
  }

  /** The server exited or closed its end before the session ended: reported once, with the exit status when known. */
  private problem(): void {
    if (this.reported || this.ending) return;
    if (!this.exit && !this.eof && !this.spawnError) return;
    const status = this.exitStatus;
    // Exit 0 with the socket still open elsewhere: a child of it has it (daemonized: libfuse servers need -f).
    const background = this.exit?.code === 0 && !this.eof ? ' and left its socket open in another process (did it go to the background? libfuse servers need -f)' : '';
    const why = this.spawnError
      ? `the server ${status}`
      : status
        ? `the server ${status}${background} before the kit ended the session`
        : 'the server closed its end of the socket before the kit ended the session (the process still runs)';
    const frag = this.pendingFragment;
    this.fail(frag ? `${why}; ${frag}` : why);
  }

  private tmp(): string {
    const d = fs.mkdtempSync(path.join(os.tmpdir(), 'devfuse-exec-'));
    this.tmpDirs.push(d);
    return d;
  }

  private cleanup(): void {
    for (const d of this.tmpDirs.splice(0)) fs.rmSync(d, { recursive: true, force: true });
  }
}

function readU64(b: Buffer, off: number): number {
  return b.readUInt32LE(off) + b.readUInt32LE(off + 4) * 4294967296;
}
