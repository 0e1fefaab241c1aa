/**
 * The --exec transport on its own: the command line, the socket's limits
 * (spliced replies, a reply larger than the read buffer, a socket whose
 * buffers the kernel capped), and the end of a server (one that closes its
 * end early, one that ignores SIGTERM, one that cannot start).
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import { before, describe, test } from 'node:test';
import { Errno, InitFlags } from '../../../src/protocol';
import { KERNEL_OFFER, KernelEmulator, ServerGone, kernelOffer } from '../../../src/testing/emulator';
import type { ServerTransport } from '../../../src/testing/transport';
import { UsageError, runConformance } from '../../../src/testing/conformance/kit';
import { commandProblem, expandCommand, splitCommand } from '../../../src/testing/exec/command';
import { ExecTransport, SOCKET_WITHHELD } from '../../../src/testing/exec/exec-transport';
import { Vfs } from '../../../src/testing/vfs';
import { servers, type Built } from './build';

let b: Built;
before(async () => {
  b = await servers();
});

/** Resolves with the emulator's first ServerGone (or null after `ms`). */
function goneWithin(k: KernelEmulator, ms: number, p: Promise<unknown>): Promise<ServerGone | null> {
  return Promise.race([p.then(() => null, (e: unknown) => (e instanceof ServerGone ? e : null)), new Promise<null>((r) => setTimeout(() => r(null), ms))]);
}

describe('the command line', { timeout: 60_000 }, () => {
  test('split as a shell splits words: quotes, backslashes, no expansions', () => {
    assert.deepEqual(splitCommand(`./srv -f  -o 'source={tmp}' "a b\\"c" d\\ e $HOME {fd}`), ['./srv', '-f', '-o', 'source={tmp}', 'a b"c', 'd e', '$HOME', '{fd}']);
    assert.deepEqual(splitCommand(`x ''`), ['x', '']);
    assert.throws(() => splitCommand(`x 'open`), /unterminated '/);
  });

  test('{fd} and {tmp} replaced, inside words too; each {tmp} a fresh directory', () => {
    let n = 0;
    const argv = expandCommand(['srv', '-o', 'source={tmp},x', '{tmp}', '{fd}'], { fd: '/dev/fd/3', tmp: () => `/t${++n}` });
    assert.deepEqual(argv, ['srv', '-o', 'source=/t1,x', '/t2', '/dev/fd/3']);
  });

  test('a command without {fd}, or whose program cannot run, is a usage error before any scenario', async () => {
    assert.match(commandProblem(['/bin/true']) ?? '', /never names \{fd\}/);
    assert.match(commandProblem(['/no/such/server', '{fd}']) ?? '', /cannot run \/no\/such\/server: no such executable file/);
    assert.match(commandProblem(['no-such-server-in-path', '{fd}']) ?? '', /not found in PATH/);
    assert.equal(commandProblem(['true', '{fd}']), null);
    await assert.rejects(runConformance({ exec: '/bin/true -f' }), (e: unknown) => e instanceof UsageError && /never names \{fd\}/.test(e.message));
    await assert.rejects(runConformance({ exec: './not-here {fd}' }), UsageError);
  });
});

describe('the INIT offer', { timeout: 60_000 }, () => {
  test('what a kernel of the chosen minor offers, less what a socket cannot carry (PASSTHROUGH, OVER_IO_URING)', () => {
    const sent: Buffer[] = [];
    const fake: ServerTransport = { session: null, channel: null, log: [], withheld: SOCKET_WITHHELD, connect: () => undefined, deliver: (m) => void sent.push(Buffer.from(m)), unmount: () => undefined };
    const offer = (minor: number): bigint => {
      const k = new KernelEmulator(fake);
      k.init({ minor }).catch(() => undefined);
      k.close();
      // fuse_in_header (40 bytes), then fuse_init_in: major, minor, max_readahead, flags, flags2.
      const m = sent.pop()!;
      assert.equal(m.readUInt32LE(44), minor);
      return BigInt(m.readUInt32LE(52)) | (m.length >= 60 ? BigInt(m.readUInt32LE(56)) << 32n : 0n);
    };
    const at45 = offer(45);
    assert.equal(at45 & (InitFlags.PASSTHROUGH | InitFlags.OVER_IO_URING), 0n);
    assert.equal(at45, KERNEL_OFFER & ~SOCKET_WITHHELD, 'everything else a 7.45 kernel offers, splice included');
    const at38 = offer(38);
    assert.equal(at38 & (InitFlags.DIRECT_IO_ALLOW_MMAP | InitFlags.HAS_RESEND | InitFlags.ALLOW_IDMAP), 0n, 'nothing of 7.39 and later');
    assert.ok((at38 & InitFlags.HAS_EXPIRE_ONLY) !== 0n);
    const at26 = offer(26);
    assert.equal(at26 >> 32n, 0n, 'no flags2 before 7.36');
    assert.equal(at26 & (InitFlags.MAX_PAGES | InitFlags.ABORT_ERROR | InitFlags.CACHE_SYMLINKS), 0n, 'nothing of 7.27 and later');
    assert.ok((at26 & InitFlags.HANDLE_KILLPRIV) !== 0n && (at26 & InitFlags.SPLICE_WRITE) !== 0n);
    assert.equal(kernelOffer(45), KERNEL_OFFER);
  });
});

describe('the socket', { timeout: 120_000 }, () => {
  test('a READ reply the server splices arrives in several datagrams and is joined: the bytes are exact', async (t) => {
    if (b.skip) return t.skip(b.skip);
    const tr = new ExecTransport({ command: [b.bin('spliced-read'), '-f', '{fd}'] });
    const k = new KernelEmulator(tr);
    try {
      await k.init();
      const v = new Vfs(k);
      const data = Buffer.alloc(256 * 1024);
      for (let i = 0; i < data.length; i++) data[i] = (i * 7 + (i >> 12)) & 255;
      await v.writeFile('/big', data);
      const f = await v.open('/big', 0);
      for (const size of [4096, 65536, 131072]) assert.ok((await v.read(f.nodeid, f.fh, 0, size)).equals(data.subarray(0, size)), `${size} bytes read back`);
      const joined = tr.log.filter((l) => /came in \d+ datagrams \(a spliced reply\) and was joined/.test(l));
      assert.ok(joined.length >= 2, `the 64 and 128 KiB replies came in pieces: ${tr.log.join('\n')}`);
      assert.deepEqual(k.violations, []);
    } finally {
      await k.end();
    }
  });

  test('socket buffers capped below 1 MiB: the emulator offers WRITEs no larger than the socket carries (as a kernel with a lower max_pages_limit)', async (t) => {
    if (b.skip) return t.skip(b.skip);
    const tr = new ExecTransport({ command: [b.bin('minifs'), '-f', '{fd}'], socketBytes: 96 * 1024 });
    const k = new KernelEmulator(tr);
    try {
      const init = await k.init();
      assert.ok(tr.maxMessage < init.max_write, `the socket (${tr.maxMessage}) carries less than minifs's max_write (${init.max_write})`);
      assert.ok(k.maxWrite + 80 <= tr.maxMessage && k.maxWrite % 4096 === 0, `maxWrite ${k.maxWrite} fits ${tr.maxMessage}`);
      const v = new Vfs(k);
      const data = Buffer.alloc(600 * 1024, 7);
      await v.writeFile('/f', data);
      assert.ok((await v.readFile('/f')).equals(data));
      const f = await v.open('/f', 2);
      await assert.rejects(v.write(f.nodeid, f.fh, 0, Buffer.alloc(k.maxWrite + 4096)), /a WRITE of \d+ bytes, more than a kernel sends after this INIT .*a kit bug/);
      assert.deepEqual(k.violations, []);
    } finally {
      await k.end();
    }
  });

  test('a message larger than the read buffer is reported with its size, and fails the request it answers', async () => {
    // A server that raises its own SO_SNDBUF and answers INIT with 3 MiB.
    const py = `import os, socket, struct
s = socket.socket(fileno=3)
s.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, 8 << 20)
req = os.read(3, 1 << 20)
unique = struct.unpack_from('<Q', req, 8)[0]
big = 3 << 20
s.send(struct.pack('<IiQ', big, 0, unique) + bytes(big - 16))
os.read(3, 100)
`;
    const tr = new ExecTransport({ command: ['python3', '-c', py, '{fd}'], socketBytes: 1 << 20 });
    const k = new KernelEmulator(tr);
    try {
      await assert.rejects(k.init(), /INIT unique=\d+: the server wrote a message of 3145728 bytes, more than the largest reply a kernel reads \(\d+ bytes\)/);
      assert.match(k.violations.join('\n'), /a message of 3145728 bytes/);
    } finally {
      await k.end();
    }
  });
});

describe('the server process', { timeout: 120_000 }, () => {
  test('one that closes its end and lives on is reported at once, and stopped with SIGTERM after the grace period', async () => {
    const tr = new ExecTransport({ command: ['sh', '-c', 'exec 3>&-; exec sleep 30', 'sh', '{fd}'], graceMs: 200 });
    const k = new KernelEmulator(tr);
    const gone = await goneWithin(k, 10_000, k.init());
    assert.ok(gone, 'reported');
    assert.match(gone.message, /the server closed its end of the socket before the kit ended the session \(the process still runs\), while waiting for INIT/);
    await k.end();
    assert.equal(tr.exitStatus, 'was killed by SIGTERM (sent by the kit after the grace period)');
  });

  test('one that ignores SIGTERM gets SIGKILL; nothing of it is left', async () => {
    const tr = new ExecTransport({ command: ['sh', '-c', 'trap "" TERM; exec sleep 30', 'sh', '{fd}'], graceMs: 200 });
    const k = new KernelEmulator(tr);
    k.close();
    await k.end();
    assert.deepEqual(tr.signals, ['SIGTERM', 'SIGKILL']);
    assert.equal(tr.exitStatus, 'was killed by SIGKILL (sent by the kit after the grace period)');
    assert.throws(() => process.kill(tr.pid!, 0), /ESRCH/);
  });

  test('a libfuse server started without -f goes to the background: the failure says so, and the run ends', async (t) => {
    if (b.skip) return t.skip(b.skip);
    const r = await runConformance({ exec: `${b.bin('hello_ll')} {fd}`, only: ['statfs'] });
    assert.equal(r.failed, 1);
    assert.match(r.results[0]!.failures.map((f) => f.got).join('\n'), /the server exited with code 0 and left its socket open in another process \(did it go to the background\? libfuse servers need -f\)/);
  });

  test('one that cannot start fails at once with the reason', async () => {
    const tr = new ExecTransport({ command: ['/nonexistent/server', '{fd}'] });
    const k = new KernelEmulator(tr);
    const gone = await goneWithin(k, 10_000, k.init());
    assert.match(gone?.message ?? '', /the server could not be started: spawn \/nonexistent\/server ENOENT/);
    await k.end();
  });

  test('its stderr is kept; {tmp} is an empty directory of its own, removed after it ends', async () => {
    const tr = new ExecTransport({ command: ['sh', '-c', 'ls -A "$1" | wc -l >&2; echo "dir $1" >&2; exec sleep 30', 'sh', '{tmp}', '{fd}'], graceMs: 200 });
    const k = new KernelEmulator(tr);
    for (let i = 0; i < 200 && !/dir /.test(tr.describe().output); i++) await new Promise((r) => setTimeout(r, 20));
    const out = tr.describe().output;
    const dir = /dir (\S+)/.exec(out)?.[1] ?? '';
    assert.match(out, /^0\n/, 'empty');
    assert.ok(fs.existsSync(dir), `${dir} exists while the server runs`);
    await k.end();
    assert.equal(fs.existsSync(dir), false, 'and is gone after');
  });

  test('DESTROY, then the close: libfuse answers DESTROY and exits on the EOF by itself (status 1, "short read on fuse device"), which is no failure', async (t) => {
    if (b.skip) return t.skip(b.skip);
    const tr = new ExecTransport({ command: [b.bin('hello_ll'), '-f', '{fd}'] });
    const k = new KernelEmulator(tr);
    await k.init();
    const v = new Vfs(k);
    assert.equal((await v.readFile('/hello')).toString(), 'Hello World!\n');
    await assert.rejects(v.mkdir('/d'), (e: unknown) => (e as { errno?: number }).errno === Errno.ENOSYS);
    await k.end();
    assert.deepEqual(tr.signals, []);
    assert.equal(tr.exitStatus, 'exited with code 1');
    assert.match(tr.describe().output, /short read on fuse device/);
    assert.deepEqual(k.violations, []);
  });
});
