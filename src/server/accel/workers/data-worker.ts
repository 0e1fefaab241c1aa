/**
 * One data worker thread (data-workers.ts explains the design): reads its
 * clone of the session's fd while the main thread lets it run, serves READ
 * and WRITE through the filesystem's data path, forwards the rest.
 *
 * The loop is synchronous: the thread has no event loop work of its own,
 * parks on Atomics.wait when there is nothing to read, and answers each
 * request before reading the next.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { Opcode, WriteFlags } from '../../../protocol/constants';
import { Errno } from '../../../protocol/errno';
import { ProtocolError } from '../../../protocol/errors';
import { IN_HEADER_SIZE, OUT_HEADER_SIZE, peekOpcode, writeOutHeader } from '../../../protocol/header';
import { replyError } from '../../../protocol/replies';
import { decodeRequest } from '../../../protocol/request';
import type { DataPath, DataPathFactory } from '../../../api/data-path';
import { FORWARDED, HIGHEST_BYTE_OFFSET, PARKED, RUN, RUNNING, SERVED, STOPPED, type DataWorkerInit, type DataWorkerMessage } from './data-workers';
import { deviceRead, deviceWrite, errno, yieldCpu } from '../../device/device-io';
import { SharedWriteOrder } from './shared-write-order';

const d = workerData as DataWorkerInit;
const me = d.thread;
const ctl = new Int32Array(d.control, 0, HIGHEST_BYTE_OFFSET / 4);
const highest = new BigInt64Array(d.control, HIGHEST_BYTE_OFFSET, 64);
const order = d.order ? new SharedWriteOrder(d.order, me) : null;
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

/** The data path's result as a count in [0, max], or a positive errno (EIO for a value it should not return). */
function checked(n: number, max: number, what: string): { count: number; errno: number } {
  if (Number.isInteger(n) && n >= 0 && n <= max) return { count: n, errno: 0 };
  if (Number.isInteger(n) && n < 0 && n >= -4095) return { count: 0, errno: -n };
  post({ kind: 'log', message: `${what} returned ${String(n)}; expected a count from 0 to ${max} or a negative errno — answered EIO` });
  return { count: 0, errno: Errno.EIO };
}

class Worker {
  private buf: Buffer;
  private out: Buffer;
  private readonly small = Buffer.alloc(OUT_HEADER_SIZE + 8);

  constructor(
    private readonly fd: number,
    private readonly data: DataPath,
  ) {
    this.buf = Buffer.allocUnsafe(d.bufferSize);
    this.out = Buffer.allocUnsafe(d.bufferSize);
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
      order?.openWindow();
      const n = deviceRead(this.fd, this.buf);
      if (n < 0) {
        order?.closeWindow();
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

  private serve(n: number): void {
    const buf = this.buf;
    const opcode = n >= IN_HEADER_SIZE ? peekOpcode(buf) : -1;
    if (opcode !== Opcode.READ && opcode !== Opcode.WRITE) {
      order?.closeWindow();
      this.forward(n);
      return;
    }
    const req = decodeRequest(buf, n, decodeCtx);
    if (req instanceof ProtocolError || (req.opcode !== Opcode.READ && req.opcode !== Opcode.WRITE)) {
      order?.closeWindow();
      this.forward(n);
      return;
    }
    const unique = req.header.unique;
    const ino = req.header.nodeid;
    const u = BigInt(unique);
    if (Atomics.load(highest, me) < u) Atomics.store(highest, me, u);
    const { fh, offset, size } = req.arg;
    if (req.opcode === Opcode.READ) {
      order?.closeWindow();
      order?.waitSync(ino, offset, size, unique);
      if (this.out.length < OUT_HEADER_SIZE + size) this.out = Buffer.allocUnsafe(OUT_HEADER_SIZE + size);
      const r = this.call(() => this.data.read(fh, offset, this.out.subarray(OUT_HEADER_SIZE, OUT_HEADER_SIZE + size)), size, 'read');
      if (r.errno) this.reply(replyError(unique, r.errno));
      else {
        writeOutHeader(this.out, OUT_HEADER_SIZE + r.count, 0, unique);
        this.reply(this.out, OUT_HEADER_SIZE + r.count);
      }
    } else {
      // Recorded before the window closes: a direct request queued after it, on any thread, waits for it.
      const rec = order ? order.begin(ino, offset, size, unique) : null;
      order?.closeWindow();
      let r: { count: number; errno: number };
      try {
        order?.waitSync(ino, offset, size, unique);
        const kill = (req.arg.write_flags & WriteFlags.KILL_SUIDGID) !== 0;
        r = this.call(() => this.data.write(fh, offset, req.data, kill), size, 'write');
      } finally {
        if (rec) order!.end(ino, rec);
      }
      if (r.errno) this.reply(replyError(unique, r.errno));
      else {
        const b = this.small;
        writeOutHeader(b, b.length, 0, unique);
        b.writeUInt32LE(r.count, OUT_HEADER_SIZE);
        b.writeUInt32LE(0, OUT_HEADER_SIZE + 4);
        this.reply(b, b.length);
      }
    }
    Atomics.add(ctl, SERVED + me, 1);
  }

  private call(f: () => number, max: number, what: string): { count: number; errno: number } {
    try {
      return checked(f(), max, what);
    } catch (e) {
      post({ kind: 'log', message: `${what} threw: ${e instanceof Error ? (e.stack ?? e.message) : String(e)} — answered EIO` });
      return { count: 0, errno: Errno.EIO };
    }
  }

  private reply(b: Buffer, len = b.length): void {
    if (deviceWrite(this.fd, b, len) >= 0) return;
    const e = errno();
    // ENOENT: the request was interrupted and is gone; ENODEV: unmounted. Anything else is a devfuse bug.
    if (e !== Errno.ENOENT && e !== Errno.ENODEV) post({ kind: 'log', message: `writing a reply failed: errno ${e}` });
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
    order?.releaseWindow();
  }
}

main();
