/**
 * The server's own cost per request, without a kernel: a Session on an
 * in-process channel, fed READ (4 KiB, synchronous handler), GETATTR and
 * LOOKUP requests as the kernel lays them out, replies counted and dropped.
 * What the JavaScript side of each request costs (decode, dispatch, the
 * in-flight bookkeeping, the reply's bytes), the part a kernel-bound
 * profile hides among syscalls.
 *
 *   npm run build:scripts && node dist/scripts/bench-dispatch.js
 */
import { encodeRequest, Opcode, type RequestInput } from '../src/protocol';
import { Session, type Channel, type ChannelCloseReason, type Filesystem, type RequestSink } from '../src';

class NullChannel implements Channel {
  readonly fd = -1;
  sink: RequestSink | null = null;
  replies = 0;
  bytes = 0;
  start(sink: RequestSink, _onClose: (r: ChannelCloseReason) => void): void {
    this.sink = sink;
  }
  setBufferSize(): void {}
  write(data: Buffer | readonly Buffer[]): number {
    this.replies++;
    this.bytes += Buffer.isBuffer(data) ? data.length : data.reduce((n, b) => n + b.length, 0);
    return 0;
  }
  release(): void {}
  close(): void {}
}

const attr = { ino: 2, mode: 0o100644, nlink: 1, uid: 0, gid: 0, size: 4096, blocks: 8, atime: 0, mtime: 0, ctime: 0 };
const fsys: Filesystem = {
  lookup: () => ({ ino: 2, attr }),
  getattr: () => attr,
  read: (ctx, _ino, _fh, _offset, size) => ctx.buffer(size),
};

function header(opcode: Opcode, unique: number): RequestInput['header'] {
  return { len: 0, opcode, unique, nodeid: opcode === Opcode.LOOKUP ? 1 : 2, uid: 0, gid: 0, pid: 1, total_extlen: 0, padding: 0 } as RequestInput['header'];
}

function requestFor(opcode: Opcode): Buffer {
  const h = header(opcode, 2);
  switch (opcode) {
    case Opcode.READ:
      return encodeRequest({ opcode, header: h, arg: { fh: 7, offset: 8192, size: 4096, read_flags: 2, lock_owner: 0x1234567890abn, flags: 0o40000, padding: 0 } } as unknown as RequestInput);
    case Opcode.GETATTR:
      return encodeRequest({ opcode, header: h, arg: { getattr_flags: 0, dummy: 0, fh: 0 } } as unknown as RequestInput);
    default:
      return encodeRequest({ opcode: Opcode.LOOKUP, header: h, name: 'file' } as unknown as RequestInput);
  }
}

function main(): void {
  const ch = new NullChannel();
  const s = new Session(fsys, ch, { entryTimeout: 1, attrTimeout: 1 });
  s.initialized = true;
  s.maxWrite = 1 << 20;
  s.start();
  const sink = ch.sink!;
  let unique = 2;
  for (const op of [Opcode.READ, Opcode.GETATTR, Opcode.LOOKUP]) {
    const buf = requestFor(op);
    const results: number[] = [];
    for (let round = 0; round < 12; round++) {
      const n = 200_000;
      const t0 = process.hrtime.bigint();
      for (let i = 0; i < n; i++) {
        unique += 2;
        buf.writeUInt32LE(unique, 8);
        sink(buf, buf.length);
      }
      if (round >= 4) results.push(Number(process.hrtime.bigint() - t0) / n);
    }
    results.sort((a, b) => a - b);
    process.stdout.write(`${Opcode[op].padEnd(8)} ${results[results.length >> 1]!.toFixed(0)} ns per request (min ${results[0]!.toFixed(0)})\n`);
  }
  if (ch.replies === 0) throw new Error('no replies');
}

main();
