/**
 * The server's own cost per request, without a kernel: a Session on an
 * in-process channel, fed READ (4 KiB, synchronous handler), GETATTR and
 * LOOKUP requests as the kernel lays them out, replies counted and dropped.
 * What the JavaScript side of each request costs (decode, dispatch, the
 * in-flight bookkeeping, the reply's bytes), the part a kernel-bound
 * profile hides among syscalls.
 *
 *   npm run build:scripts && node dist/scripts/bench-dispatch.js [--baseline DIR]
 *
 * Each figure is CPU time per request (process.cpuUsage: time the machine's
 * other work took from this process does not count), the median of 8
 * rounds of 200,000 after 4 warm-up rounds. With --baseline DIR the Session
 * of the checkout DIR (its dist/src/index.js: an older commit, npm ci'd
 * there) runs in the same process, rounds alternating with this tree's, so
 * that the ratio compares the two under the same load.
 */
import path from 'node:path';
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

type SessionClass = typeof Session;

/** A session of `S` on a NullChannel, past INIT: its sink and its channel. */
function serving(S: SessionClass): { sink: RequestSink; ch: NullChannel } {
  const ch = new NullChannel();
  const s = new S(fsys, ch, { entryTimeout: 1, attrTimeout: 1 });
  s.initialized = true;
  s.maxWrite = 1 << 20;
  s.start();
  return { sink: ch.sink!, ch };
}

const ROUNDS = 12;
const WARMUP = 4;
const N = 200_000;

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[s.length >> 1]!;
}

function main(): void {
  const i = process.argv.indexOf('--baseline');
  const baseDir = i >= 0 ? process.argv[i + 1] : undefined;
  if (i >= 0 && !baseDir) throw new Error('--baseline needs a directory');
  const trees: [string, { sink: RequestSink; ch: NullChannel }][] = [['this tree', serving(Session)]];
  if (baseDir) {
    const base = require(path.resolve(baseDir, 'dist/src/index.js')) as { Session: SessionClass };
    trees.push([`base ${baseDir}`, serving(base.Session)]);
  }
  let unique = 2;
  for (const op of [Opcode.READ, Opcode.GETATTR, Opcode.LOOKUP]) {
    const buf = requestFor(op);
    const cpu = trees.map((): number[] => []);
    for (let round = 0; round < ROUNDS; round++) {
      // Alternate which tree goes first, so neither always runs right after the other.
      for (let k = 0; k < trees.length; k++) {
        const t = (k + round) % trees.length;
        const { sink } = trees[t]![1];
        const c0 = process.cpuUsage();
        for (let j = 0; j < N; j++) {
          unique += 2;
          buf.writeUInt32LE(unique >>> 0, 8);
          sink(buf, buf.length);
        }
        const c = process.cpuUsage(c0);
        if (round >= WARMUP) cpu[t]!.push(((c.user + c.system) * 1000) / N);
      }
    }
    const cols = trees.map(([name], t) => `${name}: ${median(cpu[t]!).toFixed(0)} ns (min ${Math.min(...cpu[t]!).toFixed(0)})`);
    const ratio = trees.length > 1 ? `  this/base ${(median(cpu[0]!) / median(cpu[1]!)).toFixed(2)}` : '';
    process.stdout.write(`${Opcode[op].padEnd(8)} ${cols.join('  ')}${ratio}\n`);
  }
  for (const [name, { ch }] of trees) if (ch.replies === 0) throw new Error(`${name}: no replies`);
}

main();
