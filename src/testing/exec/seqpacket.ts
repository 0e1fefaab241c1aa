/**
 * The kernel side's end of an AF_UNIX SOCK_SEQPACKET socketpair whose other
 * end an external FUSE server uses as its /dev/fuse: one datagram is one
 * message, as one read or write of the device is.
 *
 * Read on the main thread without blocking it: the socket is nonblocking
 * with O_ASYNC, the kernel raises SIGIO when a datagram (or the peer's
 * close) arrives, and one listener drains every open socket until EAGAIN.
 * Not fs.read in the libuv pool: each read would hold one of its four
 * threads for the life of a server, and a fifth server would wait behind
 * them and miss its deadlines.
 *
 * Each read asks for the datagram's real length (MSG_TRUNC), so a message
 * larger than the buffer is reported with its size, never cut silently.
 * Sends never block either: a send the socket has no room for (EAGAIN) is
 * queued and retried when SIGIO says the peer read something.
 */
import { getSystemErrorName } from 'node:util';
import koffi from 'koffi';
import { AF_UNIX, F_GETFL, F_SETFL, F_SETOWN, O_ASYNC, O_NONBLOCK, POLLHUP, SOCK_CLOEXEC, SOCK_SEQPACKET, fcntl, poll, socketpair } from '../../linux/sys';

const SOL_SOCKET = 1;
const SO_SNDBUF = 7;
const SO_RCVBUF = 8;
const SO_SNDBUFFORCE = 32;
const SO_RCVBUFFORCE = 33;
const MSG_DONTWAIT = 0x40;
const MSG_TRUNC = 0x20;
const MSG_NOSIGNAL = 0x4000;
const SHUT_RDWR = 2;
const POLLRDHUP = 0x2000;
const EAGAIN = 11;
const EINTR = 4;
const EPIPE = 32;
const ECONNRESET = 104;

interface Calls {
  recv: (fd: number, buf: Buffer, len: number, flags: number) => number;
  send: (fd: number, buf: Buffer, len: number, flags: number) => number;
  setsockopt: (fd: number, level: number, name: number, val: Buffer, len: number) => number;
  getsockopt: (fd: number, level: number, name: number, val: Buffer, len: Buffer) => number;
  shutdown: (fd: number, how: number) => number;
  close: (fd: number) => number;
}

let calls: Calls | null = null;

function libc(): Calls {
  if (calls) return calls;
  const lib = koffi.load('libc.so.6');
  calls = {
    recv: lib.func('long recv(int fd, void *buf, size_t len, int flags)') as Calls['recv'],
    send: lib.func('long send(int fd, const void *buf, size_t len, int flags)') as Calls['send'],
    setsockopt: lib.func('int setsockopt(int fd, int level, int name, const void *val, uint32_t len)') as Calls['setsockopt'],
    getsockopt: lib.func('int getsockopt(int fd, int level, int name, void *val, void *len)') as Calls['getsockopt'],
    shutdown: lib.func('int shutdown(int fd, int how)') as Calls['shutdown'],
    close: lib.func('int close(int fd)') as Calls['close'],
  };
  return calls;
}

function errnoName(e: number): string {
  try {
    return getSystemErrorName(-e);
  } catch {
    return `errno ${e}`;
  }
}

/** Sets a socket buffer (SO_SNDBUF or SO_RCVBUF), forcing past net.core.[rw]mem_max when privileged; returns what the kernel granted. */
function setBuffer(fd: number, name: typeof SO_SNDBUF | typeof SO_RCVBUF, bytes: number): number {
  const L = libc();
  const v = Buffer.alloc(4);
  v.writeInt32LE(bytes);
  if (L.setsockopt(fd, SOL_SOCKET, name === SO_SNDBUF ? SO_SNDBUFFORCE : SO_RCVBUFFORCE, v, 4) !== 0) L.setsockopt(fd, SOL_SOCKET, name, v, 4);
  const len = Buffer.alloc(4);
  len.writeUInt32LE(4);
  L.getsockopt(fd, SOL_SOCKET, name, v, len);
  return v.readInt32LE();
}

export interface SocketPair {
  /** The kernel side's end (close-on-exec, stays in this process). */
  ours: number;
  /** The server's end, to hand over as an inherited fd. */
  theirs: number;
  /**
   * The largest datagram either end can send: a unix datagram must fit the
   * sender's SO_SNDBUF (less a little the kernel keeps), whatever the receiver's
   * buffer is.
   */
  maxDatagram: number;
}

/** A SEQPACKET socketpair with both ends' buffers raised to `bytes` (the kernel may grant less: maxDatagram says what). */
export function seqpacketPair(bytes: number): SocketPair {
  const [ours, theirs] = socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC);
  let snd = Infinity;
  for (const fd of [ours, theirs]) {
    snd = Math.min(snd, setBuffer(fd, SO_SNDBUF, bytes));
    setBuffer(fd, SO_RCVBUF, bytes);
  }
  // net/unix/af_unix.c refuses a datagram longer than sk_sndbuf - 32.
  return { ours, theirs, maxDatagram: snd - 32 };
}

/** What a SeqpacketEnd tells its owner. */
export interface SeqpacketEvents {
  /** One datagram, copied out; `length` is its real size, larger than data.length when it did not fit the read buffer. */
  message(data: Buffer, length: number): void;
  /** The peer closed its end (or exited). */
  eof(): void;
  /** A send failed for a reason other than a full socket (EMSGSIZE, EPIPE...): the errno's name and the size. */
  sendFailed(code: string, bytes: number): void;
}

const open = new Set<SeqpacketEnd>();
let listening = false;
/** One read buffer for every socket: a drain is synchronous and copies each message out. */
let readBuf: Buffer | null = null;
/** Messages one drain takes before it yields to the event loop (a server writing without end must not starve it). */
const DRAIN_BATCH = 256;

function onSigio(): void {
  for (const s of open) s.drain();
}

function listen(on: boolean): void {
  if (on === listening) return;
  listening = on;
  if (on) process.on('SIGIO', onSigio);
  else process.off('SIGIO', onSigio);
}

export class SeqpacketEnd {
  private readonly queue: Buffer[] = [];
  private closed = false;
  private atEof = false;
  private retry: NodeJS.Timeout | null = null;
  private draining = false;

  constructor(
    readonly fd: number,
    /** The largest message read whole; longer ones are reported with their length. */
    private readonly maxMessage: number,
    private readonly events: SeqpacketEvents,
  ) {
    // The listener first: SIGIO's default action ends the process.
    open.add(this);
    listen(true);
    fcntl(fd, F_SETOWN, process.pid);
    fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK | O_ASYNC);
    // Datagrams already queued raised their signal before O_ASYNC was set.
    setImmediate(() => this.drain());
  }

  /** Sends one message now, or queues it behind others the socket had no room for. */
  send(msg: Buffer): void {
    if (this.closed || this.atEof) return;
    if (this.queue.length) {
      this.queue.push(Buffer.from(msg));
      return;
    }
    if (!this.trySend(msg)) this.queue.push(Buffer.from(msg));
  }

  /** Messages waiting for room in the socket. */
  get queued(): number {
    return this.queue.length;
  }

  /** Reads every datagram waiting, and sends what was queued. */
  drain(): void {
    if (this.closed || this.draining) return;
    this.draining = true;
    try {
      this.flush();
      const L = libc();
      readBuf ??= Buffer.alloc(this.maxMessage);
      if (readBuf.length < this.maxMessage) readBuf = Buffer.alloc(this.maxMessage);
      for (let i = 0; i < DRAIN_BATCH && !this.closed && !this.atEof; i++) {
        const n = L.recv(this.fd, readBuf, this.maxMessage, MSG_DONTWAIT | MSG_TRUNC);
        if (n < 0) {
          const e = koffi.errno();
          if (e === EINTR) continue;
          if (e === EAGAIN) return;
          this.eof();
          return;
        }
        if (n === 0 && this.peerClosed()) {
          this.eof();
          return;
        }
        this.events.message(Buffer.from(readBuf.subarray(0, Math.min(n, this.maxMessage))), n);
      }
      if (!this.closed && !this.atEof) setImmediate(() => this.drain());
    } finally {
      this.draining = false;
    }
  }

  /** Stops reading and closes the socket (the peer reads EOF). Idempotent. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    if (this.retry) clearInterval(this.retry);
    this.retry = null;
    this.queue.length = 0;
    const L = libc();
    fcntl(this.fd, F_SETFL, fcntl(this.fd, F_GETFL) & ~O_ASYNC);
    L.shutdown(this.fd, SHUT_RDWR);
    L.close(this.fd);
    open.delete(this);
    if (open.size === 0) listen(false);
  }

  /**
   * recv returned 0: the peer's close, or a datagram of 0 bytes (which a
   * SEQPACKET socket carries). poll tells them apart: a closed peer shows
   * POLLHUP/POLLRDHUP.
   */
  private peerClosed(): boolean {
    const revents = poll([{ fd: this.fd, events: POLLRDHUP }], 0)[0]!;
    if (revents & (POLLHUP | POLLRDHUP)) return true;
    this.events.message(Buffer.alloc(0), 0);
    return false;
  }

  private eof(): void {
    if (this.atEof) return;
    this.atEof = true;
    this.queue.length = 0;
    this.events.eof();
  }

  /** true when sent (or failed for good), false when the socket is full. */
  private trySend(msg: Buffer): boolean {
    for (;;) {
      const n = libc().send(this.fd, msg, msg.length, MSG_DONTWAIT | MSG_NOSIGNAL);
      if (n >= 0) return true;
      const e = koffi.errno();
      if (e === EINTR) continue;
      if (e === EAGAIN) {
        // SIGIO comes when the peer reads; the timer is a backstop, not the mechanism.
        this.retry ??= setInterval(() => this.drain(), 20);
        return false;
      }
      // The peer is gone: what recv would also say, as an EOF.
      if (e === EPIPE || e === ECONNRESET) {
        this.eof();
        return true;
      }
      this.events.sendFailed(errnoName(e), msg.length);
      return true;
    }
  }

  private flush(): void {
    while (this.queue.length && !this.closed) {
      if (!this.trySend(this.queue[0]!)) return;
      this.queue.shift();
    }
    if (this.retry) {
      clearInterval(this.retry);
      this.retry = null;
    }
  }
}
