/**
 * CUSE against a real kernel: /dev/cuse must exist (the VM lane runs this
 * file in a qemu guest booting Debian's kernel: test/vm/cuse-lane.test.ts).
 * The devices are served by `devfuse cuse ...` child processes; this process
 * only makes syscalls on the device nodes.
 */
import assert from 'node:assert/strict';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { after, describe, test } from 'node:test';

const BIN = path.join(__dirname, '..', '..', '..', 'bin', 'devfuse.js');
const haveCuse = fs.existsSync('/dev/cuse');
const skip = haveCuse ? false : 'no /dev/cuse here: this file runs in the VM lane (test/vm/cuse-lane.test.ts)';
const children: ChildProcess[] = [];

after(() => {
  for (const c of children) if (c.exitCode === null) c.kill('SIGKILL');
});

// Generous hang guards, not timings: under TCG with other work on the CPUs a python start alone took over 30 s.
async function waitFor(cond: () => boolean, what: string, ms = 300_000): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** Starts `devfuse cuse <kind> <name>` and waits for /dev/<name>. */
async function device(kind: string, name: string, extra: string[] = []): Promise<{ child: ChildProcess; path: string; stderr: () => string }> {
  const child = spawn(process.execPath, [BIN, 'cuse', kind, name, ...extra], { stdio: ['ignore', 'ignore', 'pipe'] });
  children.push(child);
  let err = '';
  child.stderr!.on('data', (d: Buffer) => (err += d.toString()));
  const p = `/dev/${name}`;
  await waitFor(() => fs.existsSync(p) || child.exitCode !== null, `${p}`);
  if (!fs.existsSync(p)) throw new Error(`devfuse cuse ${kind} exited: ${err}`);
  return { child, path: p, stderr: () => err };
}

async function stop(child: ChildProcess): Promise<number | null> {
  if (child.exitCode !== null) return child.exitCode;
  const done = new Promise<number | null>((r) => child.on('exit', (code) => r(code)));
  child.kill('SIGTERM');
  return done;
}

function python(code: string, args: string[] = [], timeout = 300_000): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync('python3', ['-c', code, ...args], { encoding: 'utf8', timeout });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

describe('CUSE on a real kernel', { skip }, () => {
  test('the node appears with its name and numbers; echo and cat through it; it goes away when the server stops', async () => {
    const d = await device('echo', 'devfuse-echo0', ['--major', '240', '--minor', '7']);
    const st = fs.statSync(d.path);
    assert.ok(st.isCharacterDevice());
    assert.equal(Math.floor(st.rdev / 256) & 0xfff, 240, 'major');
    assert.equal((st.rdev & 0xff) | ((st.rdev >> 12) & ~0xff), 7, 'minor');
    const sh = spawnSync('sh', ['-c', `printf 'hello cuse\\n' > ${d.path} && dd if=${d.path} bs=64 count=1 iflag=nonblock 2>/dev/null`], { encoding: 'utf8' });
    assert.equal(sh.stdout, 'hello cuse\n');
    assert.equal(await stop(d.child), 0);
    await waitFor(() => !fs.existsSync(d.path), 'the device node to go away');
  });

  test('O_NONBLOCK read of an empty device fails with EAGAIN; a blocking reader wakes when data is written', async () => {
    const d = await device('echo', 'devfuse-echo1');
    const fd = fs.openSync(d.path, fs.constants.O_RDONLY | fs.constants.O_NONBLOCK);
    assert.throws(() => fs.readSync(fd, Buffer.alloc(8)), { code: 'EAGAIN' });
    fs.closeSync(fd);
    // A separate process blocks in select() then read(); we write after it started waiting.
    const reader = spawn('python3', ['-c', `import os,select,sys
fd=os.open(sys.argv[1], os.O_RDONLY)
r,_,_=select.select([fd],[],[],20)
print('ready' if r else 'timeout', os.read(fd,64).decode() if r else '', flush=True)`, d.path], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    reader.stdout!.on('data', (b: Buffer) => (out += b.toString()));
    await new Promise((r) => setTimeout(r, 1500));
    assert.equal(out, '', 'the reader is still waiting');
    fs.writeFileSync(d.path, 'wake up');
    await new Promise((r) => reader.on('exit', r));
    assert.equal(out.trim(), 'ready wake up');
    await stop(d.child);
  });

  test('concurrent openers: writes from several processes all come back out', async () => {
    const d = await device('echo', 'devfuse-echo2');
    const writers = Array.from({ length: 4 }, (_, i) =>
      new Promise<number | null>((resolve) => {
        const c = spawn('sh', ['-c', `for j in 1 2 3 4 5; do printf 'w${i}.' > ${d.path}; done`]);
        c.on('exit', resolve);
      }),
    );
    assert.deepEqual(await Promise.all(writers), [0, 0, 0, 0]);
    const fd = fs.openSync(d.path, fs.constants.O_RDONLY | fs.constants.O_NONBLOCK);
    const got = Buffer.alloc(1024);
    const n = fs.readSync(fd, got);
    fs.closeSync(fd);
    const parts = got.toString('latin1', 0, n).split('.').filter(Boolean).sort();
    assert.equal(parts.length, 20);
    for (let i = 0; i < 4; i++) assert.equal(parts.filter((p) => p === `w${i}`).length, 5);
    await stop(d.child);
  });

  test('ioctls: restricted sizes and the unrestricted retry dance through a struct holding a pointer', async () => {
    const d = await device('fioc', 'devfuse-fioc0');
    const r = python(
      `import ctypes, fcntl, os, struct, sys
fd = os.open(sys.argv[1], os.O_RDWR)
def ioc(d, nr, size): return (d << 30) | (size << 16) | (0x45 << 8) | nr
GET, SET, READ, WRITE = ioc(2,0,8), ioc(1,1,8), ioc(0,2,0), ioc(0,3,0)
fcntl.ioctl(fd, SET, struct.pack('Q', 100))
print('size', struct.unpack('Q', fcntl.ioctl(fd, GET, b'\\0' * 8))[0])
class RW(ctypes.Structure):
    _fields_ = [('offset', ctypes.c_longlong), ('buf', ctypes.c_void_p), ('size', ctypes.c_size_t), ('prev', ctypes.c_size_t), ('new', ctypes.c_size_t)]
src = ctypes.create_string_buffer(b'through the pointer', 19)
arg = RW(10, ctypes.addressof(src), 19, 0, 0)
libc = ctypes.CDLL(None, use_errno=True)
libc.ioctl.argtypes = [ctypes.c_int, ctypes.c_ulong, ctypes.c_void_p]
print('write', libc.ioctl(fd, WRITE, ctypes.byref(arg)), arg.prev, arg.new)
dst = ctypes.create_string_buffer(19)
arg2 = RW(10, ctypes.addressof(dst), 19, 0, 0)
print('read', libc.ioctl(fd, READ, ctypes.byref(arg2)), dst.raw.decode())
`,
      [d.path],
    );
    assert.equal(r.status, 0, r.stderr + d.stderr());
    assert.equal(r.stdout, 'size 100\nwrite 19 100 100\nread 19 through the pointer\n');
    await stop(d.child);
  });

  test('a server killed outright releases the device and unblocks its readers', async () => {
    const d = await device('echo', 'devfuse-echo3');
    const reader = spawn('cat', [d.path], { stdio: ['ignore', 'ignore', 'pipe'] });
    await new Promise((r) => setTimeout(r, 500));
    d.child.kill('SIGKILL');
    const code = await new Promise<number | null>((r) => reader.on('exit', r));
    assert.notEqual(code, null, 'cat exited instead of hanging');
    await waitFor(() => !fs.existsSync(d.path), 'the device node to go away');
  });
});
