// run-tests: limit 700 s
// The CUSE lane's VM runner (scripts/vm/run.sh): boots Debian's kernel in qemu
// with the host's filesystem visible and checks what the CUSE tests rely on:
// /dev/cuse exists, the host's node runs in the guest, the working directory is
// shared read-write (and the rest of the host read-only), stdout/stderr come
// back apart, and exit statuses propagate, including the runner's own 124/125.
// Skipped, saying why, only where no qemu can run at all (run.sh --check).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

const repo = path.resolve(__dirname, '..', '..', '..');
const runSh = path.join(repo, 'scripts', 'vm', 'run.sh');

interface RunResult {
  status: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  seconds: number;
  firstOutputSeconds: number | null;
}

function whyNot(): string | undefined {
  if (process.platform !== 'linux') return `the VM lane needs Linux (this is ${process.platform})`;
  if (process.env.DEVFUSE_SKIP_VM === '1') return 'DEVFUSE_SKIP_VM=1 is set';
  if (process.env.DEVFUSE_IN_VM === '1') return 'already running inside the devfuse VM';
  const r = spawnSync('bash', [runSh, '--check'], { encoding: 'utf8', timeout: 300_000 });
  if (r.error) return `scripts/vm/run.sh --check could not run: ${r.error.message}`;
  if (r.status !== 0) {
    const said = `${r.stdout}${r.stderr}`.trim().split('\n').join('; ');
    return `no qemu can run here (scripts/vm/run.sh --check: ${said})`;
  }
  return undefined;
}

function run(args: readonly string[], cwd: string, env: NodeJS.ProcessEnv = process.env): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    const started = process.hrtime.bigint();
    const since = (): number => Number(process.hrtime.bigint() - started) / 1e9;
    let firstOutputSeconds: number | null = null;
    const child = spawn('bash', [runSh, ...args], { cwd, env, stdio: ['ignore', 'pipe', 'pipe'] });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout.on('data', (b: Buffer) => {
      if (firstOutputSeconds === null) firstOutputSeconds = since();
      out.push(b);
    });
    child.stderr.on('data', (b: Buffer) => err.push(b));
    child.on('error', reject);
    child.on('close', (status, signal) => {
      resolve({
        status,
        signal,
        stdout: Buffer.concat(out).toString('utf8'),
        stderr: Buffer.concat(err).toString('utf8'),
        seconds: since(),
        firstOutputSeconds,
      });
    });
  });
}

const skip = whyNot();
const opts = { skip: skip ?? false, timeout: 10 * 60_000 };

test('run.sh boots the VM: /dev/cuse, host node, shared cwd, read-only host, stdout/stderr, exit status', opts, async (t) => {
  const cwd = fs.mkdtempSync(path.join(os.tmpdir(), 'devfuse-vm-test-'));
  // outside the shared directory: the guest may write it (tmpfs overlay), the host must not see it
  const probe = path.join(repo, '.vm', `ro-probe-${process.pid}-${Date.now()}`);
  try {
    const script = [
      'test -c /dev/cuse || { echo "no /dev/cuse in the guest" >&2; exit 10; }',
      'grep -qw cuse /proc/modules || { echo "cuse module not loaded" >&2; exit 11; }',
      `"$2" -e 'const os = require("node:os"); console.log("node-in-guest", process.version, os.release(), process.cwd())' || exit 12`,
      'uname -r > written-by-guest.txt || exit 13',
      'mkdir -p "$(dirname "$1")" && echo x > "$1" || exit 14',
      'echo "to-stderr" >&2',
      'exit 3',
    ].join('\n');
    const r = await run(['--timeout', '300', '--', 'sh', '-c', script, 'sh', probe, process.execPath], cwd);
    t.diagnostic(`one boot: ${r.seconds.toFixed(2)} s in all, first command output after ${r.firstOutputSeconds?.toFixed(2) ?? '-'} s`);
    const context = `status ${r.status} signal ${r.signal}\n--- stdout\n${r.stdout}\n--- stderr\n${r.stderr}`;
    assert.equal(r.status, 3, context);
    const m = /^node-in-guest (v\S+) (\S+) (.+)$/m.exec(r.stdout);
    assert.ok(m, `node's line missing from stdout\n${context}`);
    assert.equal(m[1], process.version, 'the guest ran the host node binary');
    assert.equal(m[3], cwd, 'the command ran in the same working directory');
    assert.notEqual(m[2], os.release(), 'the command ran under the guest kernel, not the host one');
    assert.match(r.stderr, /^to-stderr$/m);
    assert.doesNotMatch(r.stdout, /to-stderr/, 'stderr stays apart from stdout');
    const written = path.join(cwd, 'written-by-guest.txt');
    assert.ok(fs.existsSync(written), 'a file written in the guest working directory reaches the host');
    assert.equal(fs.readFileSync(written, 'utf8').trim(), m[2]);
    assert.equal(fs.existsSync(probe), false, 'the guest cannot write the host outside the working directory');
  } finally {
    fs.rmSync(cwd, { recursive: true, force: true });
    fs.rmSync(probe, { force: true });
  }
});

test('run.sh: a timeout is exit status 124 with the console shown, never 0', opts, async () => {
  const r = await run(['--timeout', '3', '--', 'sleep', '600'], repo);
  assert.equal(r.status, 124, r.stderr);
  assert.match(r.stderr, /timed out after 3s/);
  assert.match(r.stderr, /guest console/);
});

test('run.sh: a guest that does not boot is exit status 125 with the console shown', opts, async () => {
  // an initramfs without this init: the kernel panics, and panic=-1 ends qemu
  const env = { ...process.env, DEVFUSE_VM_APPEND: 'rdinit=/devfuse-no-such-init' };
  const r = await run(['--timeout', '120', '--', 'true'], repo, env);
  assert.equal(r.status, 125, r.stderr);
  assert.match(r.stderr, /Kernel panic|Unable to mount root/);
  assert.match(r.stderr, /without reporting the command's exit status/);
});
