/**
 * The conformance kit against devfuse's own filesystems (which must pass),
 * and against deliberately broken ones (each must fail the scenario meant
 * for it, with a message that names the fault). No kernel needed.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, test } from 'node:test';
import { memfs, type Memfs } from '../../src/fs/memfs';
import { passthrough, type Passthrough } from '../../src/fs/passthrough';
import { readUnique } from '../../src/protocol';
import type { Channel } from '../../src/server/core/channel';
import type { Filesystem } from '../../src/api/filesystem';
import type { MemoryChannel } from '../../src/server/core/memory-channel';
import type { SessionOptions } from '../../src/server/options/session';
import { Session } from '../../src/server/core/session';
import { formatReport, runConformance, type ConformanceTarget, type Report } from '../../src/testing/conformance/kit';

const memfsTarget: ConformanceTarget = { make: () => memfs(), inspect: (f) => ({ liveInodes: () => (f as Memfs).state.inodeCount }) };

function failures(r: Report, scenario: string): string {
  const x = r.results.find((s) => s.name === scenario);
  assert.ok(x, `scenario ${scenario} ran`);
  assert.equal(x.passed, false, `${scenario} should fail:\n${formatReport(r)}`);
  return x.failures.map((f) => `${f.step} | ${f.expected} | ${f.got}`).join('\n');
}

/** A memfs whose methods can be overridden one by one. */
function memfsWith(over: (inner: Memfs) => Partial<Filesystem>): ConformanceTarget {
  return {
    make: () => {
      const inner = memfs();
      return Object.assign(Object.create(null) as Filesystem, inner, over(inner), { state: inner.state });
    },
    inspect: (f) => ({ liveInodes: () => (f as Memfs).state.inodeCount }),
  };
}

/** A session whose channel rewrites what the server writes: a broken server at the byte level. */
function brokenServer(rewrite: (msg: Buffer, opcodeOf: (unique: number) => number | undefined) => Buffer[]): ConformanceTarget['makeSession'] {
  return (f: Filesystem, channel: MemoryChannel, o: SessionOptions) => {
    const opcodes = new Map<number, number>();
    const wrapped: Channel = {
      fd: -1,
      start: (sink, onClose) =>
        channel.start((buf, len) => {
          opcodes.set(readUnique(buf, 8), buf.readUInt32LE(4));
          return sink(buf, len);
        }, onClose),
      setBufferSize: (n) => channel.setBufferSize(n),
      write: (d) => {
        const msg = Buffer.isBuffer(d) ? d : Buffer.concat(d as Buffer[]);
        let err = 0;
        for (const m of rewrite(msg, (u) => opcodes.get(u))) err = channel.write(m) || err;
        return err;
      },
      release: (b) => channel.release(b),
      close: () => channel.close(),
    };
    return new Session(f, wrapped, o);
  };
}

describe('devfuse filesystems pass', () => {
  test('memfs', async () => {
    const r = await runConformance(memfsTarget);
    assert.equal(r.failed, 0, formatReport(r));
    assert.equal(r.skipped, 0, formatReport(r));
  });

  test('passthrough (both I/O modes)', async () => {
    for (const io of ['sync', 'async'] as const) {
      const dirs: string[] = [];
      const made: Passthrough[] = [];
      const r = await runConformance({
        make: () => {
          const d = fs.mkdtempSync(path.join(os.tmpdir(), 'devfuse-kit-'));
          dirs.push(d);
          const p = passthrough(d, { io });
          made.push(p);
          return p;
        },
      });
      for (const p of made) p.close();
      for (const d of dirs) fs.rmSync(d, { recursive: true, force: true });
      assert.equal(r.failed, 0, `${io}:\n${formatReport(r)}`);
    }
  });
});

describe('the kit catches broken filesystems', () => {
  test('a filesystem that leaks a lookup fails lookup-forget', async () => {
    const r = await runConformance({ ...memfsWith((inner) => ({ forget: (ino, n) => inner.forget!(ino, n - 1) })), only: ['lookup-forget'] });
    assert.match(failures(r, 'lookup-forget'), /leaked lookup/);
  });

  test('a filesystem that ignores RENAME_NOREPLACE fails rename', async () => {
    const r = await runConformance({ ...memfsWith((inner) => ({ rename: (c, p, n, np, nn, flags) => inner.rename!(c, p, n, np, nn, flags & ~1) })), only: ['rename'] });
    assert.match(failures(r, 'rename'), /RENAME_NOREPLACE.*\| EEXIST \| success/);
  });

  test('a filesystem that answers a write before applying it fails write-applied', async () => {
    const r = await runConformance({
      ...memfsWith((inner) => ({
        write: (c, ino, fh, off, data, info) => {
          const copy = Buffer.from(data);
          setTimeout(() => inner.write!(c, ino, fh, off, copy, info), 5);
          return data.length;
        },
      })),
      only: ['write-applied'],
    });
    assert.match(failures(r, 'write-applied'), /READ right after the WRITE/);
  });

  test('a server that replies twice fails, naming the unique answered twice', async () => {
    const r = await runConformance({ ...memfsTarget, makeSession: brokenServer((m) => (readUnique(m, 8) !== 0 ? [m, m] : [m])), only: ['interrupts'] });
    assert.match(failures(r, 'interrupts'), /not in flight \(already answered/);
  });

  test('a server that misaligns dirents fails readdir-offsets, naming the record', async () => {
    const READDIR = 28;
    const misalign = (m: Buffer, opcodeOf: (u: number) => number | undefined): Buffer[] => {
      if (m.length <= 16 || m.readInt32LE(4) !== 0 || opcodeOf(readUnique(m, 8)) !== READDIR) return [m];
      // Repack the records without their 8-byte padding.
      const parts: Buffer[] = [];
      for (let pos = 16; pos < m.length; ) {
        const namelen = m.readUInt32LE(pos + 16);
        parts.push(m.subarray(pos, pos + 24 + namelen));
        pos += (24 + namelen + 7) & ~7;
      }
      const body = Buffer.concat(parts);
      const out = Buffer.concat([m.subarray(0, 16), body]);
      out.writeUInt32LE(out.length, 0);
      return [out];
    };
    const r = await runConformance({ ...memfsTarget, makeSession: brokenServer(misalign), only: ['readdir-offsets'] });
    assert.match(failures(r, 'readdir-offsets'), /dirents: record at \d+/);
  });
});
