/**
 * One data worker thread (data-workers.ts explains the design): reads its
 * clone of the session's fd while the main thread lets it run, serves READ
 * and WRITE with the main thread's own functions (core/data.ts) through the
 * filesystem's data path, forwards the rest.
 *
 * The loop is synchronous: the thread has no event loop work of its own,
 * parks on Atomics.wait when there is nothing to read, and answers each
 * request before reading the next.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { Opcode } from '../../../protocol/constants';
import { Errno } from '../../../protocol/errno';
import { InvalidReplyError, ProtocolError } from '../../../protocol/errors';
import { IN_HEADER_SIZE, peekOpcode } from '../../../protocol/header';
import { replyError, type ReplyBytes } from '../../../protocol/replies';
import { decodeRequest } from '../../../protocol/request';
import { FuseError } from '../../../api/errors';
import type { DataPath, DataPathFactory } from '../../../api/data-path';
import { BufferPool } from '../../core/buffer-pool';
import { Context } from '../../core/context';
import { serveRead, serveWrite, type DataCalls, type Handled } from '../../core/data';
import { isPromise } from '../../core/maybe';
import type { WriteOrdering, WriteRecord } from '../../core/write-order';
import { FORWARDED, HIGHEST_BYTE_OFFSET, PARKED, RUN, RUNNING, SERVED, STOPPED, type DataWorkerInit, type DataWorkerMessage } from './data-workers';
import { deviceRead, errno, writeMessage, yieldCpu } from '../../device/device-io';
import { SharedWriteOrder } from './shared-write-order';

const d = workerData as DataWorkerInit;
const me = d.thread;
const ctl = new Int32Array(d.control, 0, HIGHEST_BYTE_OFFSET / 4);
const highest = new BigInt64Array(d.control, HIGHEST_BYTE_OFFSET, 64);
const shared = d.order ? new SharedWriteOrder(d.order, me) : null;
const decodeCtx = { minor: d.minor, setxattrExt: d.setxattrExt };

function post(m: DataWorkerMessage, transfer: ArrayBuffer[] = []): void {
  parentPort!.postMessage(m, transfer);
}

function loadDataPath(): DataPath {
  const mod = require(d.module) as { createDataPath?: DataPathFactory };
  if (typeof mod.createDataPath !== 'function') throw new Error(`${d.module} does not export createDataPath`);
  const p = mod.createDataPath(d.options);
  if (typeof p?.read !== 'function' || typeof p.write !== 'function') throw new Error(`createDataPath of ${d.module} returned no read/write`);
  return p;
}

/**
 * The shared table as this thread uses it: recording a WRITE also closes
 * the read window (it is recorded: other threads' direct requests may look
 * now), and a wait blocks the thread, whose loop is synchronous, instead of
 * returning a promise.
 */
class BlockingOrder implements WriteOrdering {
  constructor(private readonly t: SharedWriteOrder) {}
  get waits(): number {
    return this.t.waits;
  }
  begin(ino: number, offset: number, size: number, unique?: number): WriteRecord {
    const r = this.t.begin(ino, offset, size, unique);
    this.t.closeWindow();
    return r;
  }
  end(ino: number, w: WriteRecord): void {
    this.t.end(ino, w);
  }
  waitFor(ino: number, offset: number, size: number, _signal?: () => AbortSignal, before = Infinity): null {
    this.t.waitSync(ino, offset, size, before);
    return null;
  }
}

/** A data path's result: a count in [0, max], or a negative errno answered as that error. */
function counted(n: number, max: number, what: string): number | FuseError {
  if (Number.isInteger(n) && n >= 0 && n <= max) return n;
  if (Number.isInteger(n) && n < 0 && n >= -4095) return new FuseError(-n);
  throw new InvalidReplyError(`${what} returned ${String(n)}; expected a count from 0 to ${max} or a negative errno`);
}

/** The data path behind the Filesystem calls READ/WRITE serving makes (core/data.ts). */
function dataCalls(p: DataPath): DataCalls {
  return {
    read: (ctx, _ino, fh, offset, size) => {
      // Into a pooled buffer with room for the reply header in front: one buffer, one write.
      const into = ctx.buffer(size);
      const n = counted(p.read(fh, offset, into), size, 'the data path\'s read');
      return n instanceof FuseError ? n : into.subarray(0, n);
    },
    write: (_ctx, _ino, fh, offset, data, info) => counted(p.write(fh, offset, data, info.killSuidgid), data.length, 'the data path\'s write'),
  };
}

class Worker {
  private readonly buf: Buffer;
  private readonly pool = new BufferPool();
  private readonly order = shared ? new BlockingOrder(shared) : null;
  private readonly calls: DataCalls;

  constructor(
    private readonly fd: number,
    data: DataPath,
  ) {
    this.buf = Buffer.allocUnsafe(d.bufferSize);
    this.calls = dataCalls(data);
  }

  run(): void {
    let last = performance.now();
    const idleMs = d.idle / 1000;
    for (;;) {
      const state = Atomics.load(ctl, RUN + me);
      if (state === STOPPED) return;
      if (state === PARKED) {
        Atomics.wait(ctl, RUN + me, PARKED);
        last = performance.now();
        continue;
      }
      shared?.openWindow();
      const n = deviceRead(this.fd, this.buf);
      if (n < 0) {
        shared?.closeWindow();
        const e = errno();
        if (e === Errno.EAGAIN) {
          // Nothing queued: poll a little longer (the main thread may be between bursts), then park.
          if (performance.now() - last > idleMs) Atomics.compareExchange(ctl, RUN + me, RUNNING, PARKED);
          else yieldCpu();
          continue;
        }
        if (e === Errno.ENOENT || e === Errno.EINTR) continue;
        if (e !== Errno.ENODEV) post({ kind: 'log', message: `read from the cloned fd failed: errno ${e}` });
        return;
      }
      last = performance.now();
      this.serve(n);
    }
  }

  /** READ and WRITE here, as the main thread serves them (core/data.ts); anything else goes to the main thread. */
  private serve(n: number): void {
    const buf = this.buf;
    const opcode = n >= IN_HEADER_SIZE ? peekOpcode(buf) : -1;
    const req = opcode === Opcode.READ || opcode === Opcode.WRITE ? decodeRequest(buf, n, decodeCtx) : null;
    if (req === null || req instanceof ProtocolError || (req.opcode !== Opcode.READ && req.opcode !== Opcode.WRITE)) {
      shared?.closeWindow();
      this.forward(n);
      return;
    }
    const unique = req.header.unique;
    const u = BigInt(unique);
    if (Atomics.load(highest, me) < u) Atomics.store(highest, me, u);
    // A READ is recorded nowhere: its window closes now. A WRITE's closes once recorded (BlockingOrder.begin).
    if (req.opcode === Opcode.READ) shared?.closeWindow();
    // A worker cannot see which handles were opened with FOPEN_DIRECT_IO: every READ and WRITE is checked as direct.
    const ctx = new Context(req.header, 0, undefined, false, this.pool);
    ctx.directIo = true;
    let res: Handled;
    try {
      res = req.opcode === Opcode.READ ? serveRead(this.calls, this.order, req, ctx) : serveWrite(this.calls, this.order, req, ctx);
      if (isPromise(res)) throw new Error('serving went asynchronous, which a data worker cannot wait for');
    } catch (e) {
      const what = e instanceof InvalidReplyError ? e.message : `the data path threw: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}`;
      post({ kind: 'log', message: `${Opcode[req.opcode]} unique=${unique}: ${what} — answered EIO` });
      res = replyError(unique, Errno.EIO);
    }
    this.reply(res instanceof FuseError ? replyError(unique, res.errno) : (res as ReplyBytes));
    ctx.returnBuffers();
    Atomics.add(ctl, SERVED + me, 1);
  }

  private reply(b: ReplyBytes): void {
    const e = writeMessage(this.fd, b);
    // ENOENT: the request was interrupted and is gone; ENODEV: unmounted. Anything else is a devfuse bug.
    if (e !== 0 && e !== Errno.ENOENT && e !== Errno.ENODEV) post({ kind: 'log', message: `writing a reply failed: errno ${e}` });
  }

  private forward(n: number): void {
    // A copy of just the request (the read buffer stays here), moved to the main thread without another copy.
    const bytes = new Uint8Array(this.buf.buffer, this.buf.byteOffset, n).slice().buffer;
    post({ kind: 'forward', fd: this.fd, bytes }, [bytes]);
    Atomics.add(ctl, FORWARDED + me, 1);
  }
}

function main(): void {
  try {
    new Worker(d.fd, loadDataPath()).run();
  } catch (e) {
    post({ kind: 'log', message: `stopped: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}` });
  } finally {
    // The fd stays open: the main thread may still answer requests this worker forwarded, and closes it last.
    Atomics.store(ctl, RUN + me, STOPPED);
    shared?.releaseWindow();
  }
}

main();
