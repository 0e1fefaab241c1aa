/**
 * Big WRITEs by splice (splice.ts, device-channel.ts), on a pipe standing in
 * for /dev/fuse: each message is written whole and delivered before the
 * next is written, so a splice from it moves exactly one request, as from
 * the device. Checks the switch into splice mode after a big WRITE, the
 * data reaching the sink in the pipe (read or spliced into a file at an
 * offset), ordinary requests passing through the pipe intact, data a sink
 * leaves behind not corrupting the next request, and the switch back.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, test } from 'node:test';
import { pipe as devicePipe, setPipeSize } from '../../src/server/device/device-io';
import { decodeRequest, encodeRequest, Opcode, type RequestInput } from '../../src/protocol';
import { DeviceChannel } from '../../src/server/device/device-channel';
import { plugHooks } from '../../src/server/core/hooks';
import { splicePipeSize } from '../../src/server/accel/splice';
import { Splicing } from '../../src/server/accel/splicing';
import type { SplicedData } from '../../src/api/spliced';

const DATA = 128 * 1024;

function pipe(size: number): [number, number] {
  const fds = devicePipe(0);
  if (!fds) throw new Error('pipe() failed');
  // A whole big WRITE must fit, as the device hands it over in one piece.
  if (setPipeSize(fds[1], size) < 0) throw new Error('F_SETPIPE_SZ failed');
  return fds;
}

function header(opcode: Opcode, unique: number): RequestInput['header'] {
  return { len: 0, opcode, unique, nodeid: 5, uid: 0, gid: 0, pid: 1, total_extlen: 0, padding: 0 } as RequestInput['header'];
}

function writeRequest(unique: number, data: Buffer, offset = 0, flags = 0): Buffer {
  return encodeRequest({
    opcode: Opcode.WRITE, header: header(Opcode.WRITE, unique),
    arg: { fh: 3, offset, size: data.length, write_flags: 0, lock_owner: 0n, flags, padding: 0 }, data,
  } as unknown as RequestInput);
}

const O_DIRECT = 0o40000;

function getattrRequest(unique: number): Buffer {
  return encodeRequest({ opcode: Opcode.GETATTR, header: header(Opcode.GETATTR, unique), arg: { getattr_flags: 0, dummy: 0, fh: 0 } } as unknown as RequestInput);
}

interface Delivery {
  buf: Buffer;
  spliced: SplicedData | undefined;
  /** Whether the sink had taken the data when it returned. */
  taken: boolean;
}

/** A channel on a pipe; send() writes one message and resolves with what the sink got. */
function harness(take: (d: Delivery) => void): { send(msg: Buffer): Promise<Delivery>; channel: DeviceChannel; splicing: Splicing; close(): void } {
  const [r, w] = pipe(1 << 20);
  const channel = new DeviceChannel(r);
  const splicing = new Splicing(channel);
  channel.plug(plugHooks([splicing.hooks]));
  let waiting: ((d: Delivery) => void) | null = null;
  channel.start(
    (buf, len, spliced) => {
      const d = { buf: Buffer.from(buf.subarray(0, len)), spliced, taken: false };
      take(d);
      d.taken = spliced?.consumed ?? false;
      waiting?.(d);
      return false;
    },
    () => undefined,
  );
  // What the session does once INIT has agreed on the layouts (7.45) and max_write (the channel's buffer).
  splicing.hooks.initialized!({ minor: 45, maxWrite: channel.readBufferSize - 4096, setxattrExt: false });
  if (!splicing.stats) throw new Error('splicing could not start (no pipe)');
  return {
    channel,
    splicing,
    send(msg) {
      const p = new Promise<Delivery>((resolve) => (waiting = resolve));
      fs.writeSync(w, msg);
      return p;
    },
    close() {
      channel.close();
      fs.closeSync(w);
    },
  };
}

describe('WRITE data by splice', () => {
  test('after a big WRITE read the ordinary way, the next ones arrive with their data in the pipe', async () => {
    const payload = (k: number): Buffer => Buffer.alloc(DATA, k);
    const got: Buffer[] = [];
    const h = harness((d) => {
      if (d.spliced) got.push(d.spliced.read());
    });
    try {
      const first = await h.send(writeRequest(10, payload(1)));
      assert.equal(first.spliced, undefined, 'the first is read as usual: it is what switches splicing on');
      const second = await h.send(writeRequest(12, payload(2), 4096));
      assert.ok(second.spliced, 'the second comes through the pipe');
      assert.equal(second.spliced.size, DATA);
      assert.deepEqual(got[0], payload(2));
      // Its headers decode with the data left outside the buffer.
      const req = decodeRequest(second.buf, second.buf.length, { minor: 45, setxattrExt: false, payloadOutside: DATA });
      assert.ok(!(req instanceof Error) && req.opcode === Opcode.WRITE);
      assert.equal(req.arg.offset, 4096);
      assert.equal(req.arg.size, DATA);
      assert.equal(req.data.length, 0);
      // An ordinary request through the pipe is delivered whole.
      const ga = await h.send(getattrRequest(14));
      assert.equal(ga.spliced, undefined);
      assert.deepEqual(ga.buf, getattrRequest(14));
      assert.equal(h.splicing.stats!.writes, 1);
      assert.ok(h.splicing.stats!.reads >= 2);
    } finally {
      h.close();
    }
  });

  test('spliceTo moves the data into a file at the offset; data a sink leaves behind does not reach the next request', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'devfuse-splice-'));
    const file = path.join(dir, 'f');
    const fd = fs.openSync(file, 'w+');
    let mode: 'splice' | 'leave' = 'splice';
    const h = harness((d) => {
      if (d.spliced && mode === 'splice') assert.equal(d.spliced.spliceTo(fd, 8192), DATA);
    });
    try {
      await h.send(writeRequest(20, Buffer.alloc(DATA, 7)));
      const d = await h.send(writeRequest(22, Buffer.alloc(DATA, 9)));
      assert.ok(d.taken);
      const back = Buffer.alloc(DATA);
      fs.readSync(fd, back, 0, DATA, 8192);
      assert.deepEqual(back, Buffer.alloc(DATA, 9));
      mode = 'leave';
      const left = await h.send(writeRequest(24, Buffer.alloc(DATA, 3)));
      assert.ok(left.spliced && !left.taken);
      const next = await h.send(getattrRequest(26));
      assert.deepEqual(next.buf, getattrRequest(26), 'the channel emptied the pipe before reading on');
    } finally {
      h.close();
      fs.closeSync(fd);
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  test('O_DIRECT WRITEs do not switch splicing on (it lost for them), nor keep it on', async () => {
    const h = harness((d) => d.spliced?.read());
    try {
      await h.send(writeRequest(40, Buffer.alloc(DATA, 1), 0, O_DIRECT));
      const d = await h.send(writeRequest(42, Buffer.alloc(DATA, 2), 0, O_DIRECT));
      assert.equal(d.spliced, undefined);
      assert.equal(h.splicing.stats!.reads, 0);
      // On after a page-cache WRITE; then a stream of direct ones switches it off.
      await h.send(writeRequest(44, Buffer.alloc(DATA, 3)));
      for (let i = 0; i < 20; i++) await h.send(writeRequest(46 + 2 * i, Buffer.alloc(DATA, 4), 0, O_DIRECT));
      const reads = h.splicing.stats!.reads;
      const last = await h.send(writeRequest(100, Buffer.alloc(DATA, 5), 0, O_DIRECT));
      assert.equal(last.spliced, undefined);
      assert.equal(h.splicing.stats!.reads, reads);
    } finally {
      h.close();
    }
  });

  test('a run of other requests switches splicing off again', async () => {
    const h = harness((d) => d.spliced?.read());
    try {
      await h.send(writeRequest(30, Buffer.alloc(DATA, 1)));
      for (let i = 0; i < 20; i++) await h.send(getattrRequest(32 + 2 * i));
      const reads = h.splicing.stats!.reads;
      await h.send(getattrRequest(100));
      assert.equal(h.splicing.stats!.reads, reads, 'read the ordinary way again');
    } finally {
      h.close();
    }
  });
});

test('the splice pipe has a buffer per page an unaligned max_write touches, plus one for the headers', () => {
  // Too few and the kernel fails the WRITE itself (EIO to the writer): the bound must be exact.
  const pages = (bytes: number): number => bytes / 4096;
  assert.equal(pages(splicePipeSize(1 << 20)), 258, '1 MiB at an unaligned offset: 257 data pages and the headers');
  assert.equal(pages(splicePipeSize(1016 * 1024)), 256, 'the largest max_write a default 1 MiB pipe can take');
  assert.equal(pages(splicePipeSize(1020 * 1024)), 257);
  assert.equal(pages(splicePipeSize(5000)), 4);
});
