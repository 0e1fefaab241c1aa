/**
 * Runs fuse-native 2.2.6's own published test suite, unchanged, against
 * devfuse/fuse-native, and reports every assertion.
 *
 *   npm run build && node dist/scripts/fuse-native-tests.js [--keep] [--tarball fuse-native-2.2.6.tgz]
 *
 * It fetches the suite with `npm pack fuse-native@2.2.6` (or takes a
 * tarball already fetched) into a scratch directory outside the
 * repository, whose index.js answers the tests' `require('../')` with
 * devfuse/fuse-native, installs the tests' own devDependencies there (tape,
 * concat-stream), and runs `tape test/*.js` as fuse-native's `npm test`
 * does: one process that mounts and makes its fs calls on the mounts
 * itself. The suite needs the network (npm registry) and root or
 * fusermount3, which is why npm test does not run it.
 *
 * Exit status 0 only when every assertion passed, the plan was complete,
 * and no mount was left behind (any left is unmounted and reported).
 */
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

const REPO = path.resolve(__dirname, '..', '..');
const VERSION = '2.2.6';
/** fuse-native 2.2.6's devDependencies the tests use, at versions its ranges allow (tape ^4.12.0, concat-stream ^2.0.0). */
const TEST_DEPS = ['tape@4.17.0', 'concat-stream@2.0.0'];
const TIMEOUT_MS = 10 * 60_000;

function sh(cmd: string, args: string[], cwd: string): string {
  const r = spawnSync(cmd, args, { cwd, encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} failed (${r.status ?? r.signal}): ${(r.stderr || r.stdout).trim().split('\n').slice(-5).join('\n')}`);
  return r.stdout;
}

/** Mountpoints of FUSE mounts now (fuse and fuse.* types). */
function fuseMounts(): Set<string> {
  const out = new Set<string>();
  for (const line of fs.readFileSync('/proc/self/mountinfo', 'utf8').split('\n')) {
    const f = line.split(' ');
    const sep = f.indexOf('-');
    if (sep > 0 && /^fuse(\.|$|blk)/.test(f[sep + 1] ?? '')) out.add(f[4]!.replace(/\\(\d{3})/g, (_, o: string) => String.fromCharCode(parseInt(o, 8))));
  }
  return out;
}

function args(): { keep: boolean; tarball: string | undefined } {
  const a = process.argv.slice(2);
  const keep = a.includes('--keep');
  const i = a.indexOf('--tarball');
  const tarball = i >= 0 ? a[i + 1] : undefined;
  for (const x of a) if (x.startsWith('--') && x !== '--keep' && x !== '--tarball') throw new Error(`unknown flag ${x}; usage: fuse-native-tests [--keep] [--tarball FILE]`);
  return { keep, tarball: tarball && path.resolve(tarball) };
}

interface Assertion {
  test: string;
  ok: boolean;
  line: string;
}

async function main(): Promise<void> {
  const { keep, tarball } = args();
  const entry = path.join(REPO, 'dist', 'src', 'fuse-native', 'index.js');
  if (!fs.existsSync(entry)) throw new Error(`${entry} is missing: npm run build first`);
  const scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'devfuse-fuse-native-tests-'));
  const pkg = path.join(scratch, 'package');
  const tmpBefore = new Set(fs.readdirSync(os.tmpdir()));
  const mountsBefore = fuseMounts();
  let failed = false;
  try {
    process.stderr.write(`fetching fuse-native@${VERSION}'s tests into ${scratch}\n`);
    let tgz = tarball;
    if (!tgz) {
      const name = sh('npm', ['pack', `fuse-native@${VERSION}`, '--silent'], scratch).trim().split('\n').pop()!;
      tgz = path.join(scratch, name);
    }
    sh('tar', ['xzf', tgz, '-C', scratch, 'package/test'], scratch);
    // The tests require('../'): this package, whose entry point is devfuse/fuse-native.
    fs.writeFileSync(path.join(pkg, 'package.json'), `${JSON.stringify({ name: 'fuse-native-tests-on-devfuse', private: true, main: 'index.js' })}\n`);
    fs.writeFileSync(path.join(pkg, 'index.js'), `module.exports = require(${JSON.stringify(entry)});\n`);
    process.stderr.write(`installing the tests' dependencies: ${TEST_DEPS.join(' ')}\n`);
    sh('npm', ['install', '--no-save', '--no-package-lock', '--no-audit', '--no-fund', '--silent', ...TEST_DEPS], pkg);

    const files = fs.readdirSync(path.join(pkg, 'test')).filter((f) => f.endsWith('.js')).sort().map((f) => path.join('test', f));
    process.stderr.write(`running tape ${files.join(' ')}\n`);
    const log = path.join(scratch, 'stderr.log');
    const { tap, code } = await runTape(pkg, files, log);
    const assertions = parseTap(tap);
    for (const a of assertions) process.stdout.write(`${a.ok ? 'ok    ' : 'NOT OK'}  [${a.test}] ${a.line}\n`);
    const plan = /^1\.\.(\d+)$/m.exec(tap);
    const passed = assertions.filter((a) => a.ok).length;
    const bad = assertions.filter((a) => !a.ok);
    process.stdout.write(`\nfuse-native ${VERSION}'s suite on devfuse/fuse-native: ${assertions.length} assertions, ${passed} passed, ${bad.length} failed` +
      `${plan ? ` (plan 1..${plan[1]})` : ' (no plan: the run did not finish)'}; tape exited ${code}\n`);
    if (bad.length > 0 || !plan || Number(plan[1]) !== assertions.length || code !== 0) {
      failed = true;
      process.stdout.write(`the server's stderr (debug output) is in ${log}; its last lines:\n${fs.readFileSync(log, 'utf8').split('\n').slice(-15).join('\n')}\n`);
    }
  } finally {
    const left = [...fuseMounts()].filter((m) => !mountsBefore.has(m));
    for (const m of left) spawnSync('umount', ['-l', m]);
    if (left.length > 0) {
      failed = true;
      process.stdout.write(`mounts left behind (now unmounted): ${left.join(', ')}\n`);
    } else {
      process.stdout.write('no mount left behind\n');
    }
    // The suite's own mountpoints (os.tmpdir()/fuse-bindings-*), made by this run.
    for (const f of fs.readdirSync(os.tmpdir())) {
      if (f.startsWith('fuse-bindings-') && !tmpBefore.has(f)) fs.rmSync(path.join(os.tmpdir(), f), { recursive: true, force: true });
    }
    if (!keep) fs.rmSync(scratch, { recursive: true, force: true });
  }
  process.exitCode = failed ? 1 : 0;
}

/** `tape files...` in `cwd`: its stdout (TAP), its stderr to `log`, killed after TIMEOUT_MS. */
function runTape(cwd: string, files: string[], log: string): Promise<{ tap: string; code: number | null }> {
  return new Promise((resolve, reject) => {
    const err = fs.openSync(log, 'w');
    const env = { ...process.env };
    delete env.DEBUG;
    const child = spawn(process.execPath, [path.join('node_modules', 'tape', 'bin', 'tape'), ...files], { cwd, stdio: ['ignore', 'pipe', err], env });
    fs.closeSync(err);
    let tap = '';
    child.stdout!.on('data', (d: Buffer) => (tap += d.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), TIMEOUT_MS);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ tap, code });
    });
  });
}

function parseTap(tap: string): Assertion[] {
  const out: Assertion[] = [];
  let test = '';
  for (const line of tap.split('\n')) {
    const t = /^# (.*)$/.exec(line);
    if (t && !/^(tests|pass|fail|ok)\b/.test(t[1]!)) test = t[1]!;
    const a = /^(not ok|ok) \d+ (.*)$/.exec(line);
    if (a) out.push({ test, ok: a[1] === 'ok', line: a[2]! });
  }
  return out;
}

main().catch((e: unknown) => {
  process.stderr.write(`fuse-native-tests: ${e instanceof Error ? e.message : String(e)}\n`);
  process.exit(2);
});
