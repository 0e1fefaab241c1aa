#!/usr/bin/env node
// Runs the compiled test files with Node's built-in test runner, each file
// under a watchdog: a hang fails, naming its file and test, instead of
// holding the run forever.
//
// Usage: node scripts/run-tests.js [substring filter...]  (after npm run build:test)
//
// Every test file's process preloads scripts/test-watch.js, which records the
// tests it is running. A test running longer than its limit, or a file idle
// between tests (in a hook, at load or at exit) as long, is killed with its
// children; the runner then counts the file as failed ("ℹ fail" in its
// closing lines) and this script names the test that hung.
//
// Limits: DEVFUSE_TEST_TIMEOUT seconds (default 300: the slowest test, an
// npm pack and install, took 108-122 s on 2 CPUs shared with other work) per
// test and per idle stretch. A file whose tests legitimately take longer (the VM lane blocks
// in spawnSync for minutes) says so in a line of its own:
//   // run-tests: limit 700 s
// Node's own --test-timeout in Node 20 bounds a whole file and reports it as
// "cancelled", which CI reading "ℹ fail 0" would take for green; hence this.
'use strict';
const { spawn } = require('node:child_process');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');

// DEVFUSE_TEST_ROOT: another directory of *.test.js (the runner's own test uses one).
const root = process.env.DEVFUSE_TEST_ROOT || path.join(__dirname, '..', 'dist', 'test');
function walk(dir) {
  if (!fs.existsSync(dir)) return [];
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const p = path.join(dir, e.name);
    return e.isDirectory() ? walk(p) : e.name.endsWith('.test.js') ? [p] : [];
  });
}
const filters = process.argv.slice(2);
const files = walk(root)
  .filter((f) => filters.length === 0 || filters.some((s) => f.includes(s)))
  .sort();
if (files.length === 0) {
  console.error(`no test files under ${root}${filters.length ? ` matching ${filters.join(', ')}` : ''}: run "npm run build:test" (or npx tsc -p tsconfig.json) first`);
  process.exit(1);
}

const limitMs = Number(process.env.DEVFUSE_TEST_TIMEOUT || 300) * 1000;
if (!(limitMs > 0)) {
  console.error(`DEVFUSE_TEST_TIMEOUT=${process.env.DEVFUSE_TEST_TIMEOUT}: expected a number of seconds`);
  process.exit(2);
}
/** The limit of each file, in ms: its own "// run-tests: limit N s" line, or the default. */
const fileLimits = new Map(files.map((f) => {
  const m = /^\/\/ run-tests: limit (\d+) s$/m.exec(fs.readFileSync(f, 'utf8'));
  return [f, m ? Math.max(limitMs, Number(m[1]) * 1000) : limitMs];
}));
const stateDir = fs.mkdtempSync(path.join(os.tmpdir(), 'devfuse-test-state-'));

const runner = spawn(process.execPath, ['--require', path.join(__dirname, 'test-watch.js'), '--test', '--test-reporter=spec', ...files], {
  stdio: 'inherit',
  env: runnerEnv(),
});

/** This runner is a top-level one even when a test runs it: NODE_TEST_CONTEXT would make it report as a test file. */
function runnerEnv() {
  const env = { ...process.env, DEVFUSE_TEST_STATE: stateDir };
  delete env.NODE_TEST_CONTEXT;
  return env;
}

const hung = [];
const watch = setInterval(check, 1000);

function check() {
  let names;
  try {
    names = fs.readdirSync(stateDir).filter((n) => /^\d+\.json$/.test(n));
  } catch {
    return;
  }
  const now = Date.now();
  for (const n of names) {
    const pid = Number(n.slice(0, -5));
    let state;
    try {
      state = JSON.parse(fs.readFileSync(path.join(stateDir, n), 'utf8'));
    } catch {
      continue;
    }
    if (!alive(pid)) {
      fs.rmSync(path.join(stateDir, n), { force: true });
      continue;
    }
    const file = path.relative(process.cwd(), state.file);
    const limit = fileLimits.get(state.file) ?? limitMs;
    let what;
    for (const t of state.running) {
      if (now - t.since > limit) what = `test "${t.name}" still running after ${Math.round((now - t.since) / 1000)} s`;
    }
    if (!what && state.running.length === 0 && now - state.idleSince > limit) {
      const where = state.last === undefined ? 'before its first test ended (loading, or in a hook)' : `after its test "${state.last}" (in a hook, or not exiting)`;
      what = `stuck for ${Math.round((now - state.idleSince) / 1000)} s ${where}`;
    }
    if (!what) continue;
    const line = `✖ hung: ${file}: ${what}; killed (pid ${pid}) and counted as failed`;
    hung.push(line);
    process.stdout.write(`${line}\n`);
    killTree(pid);
    fs.rmSync(path.join(stateDir, n), { force: true });
  }
}

function alive(pid) {
  try {
    return !/^\d+ \(.*\) [ZX]/.test(fs.readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return false;
  }
}

/** The process and its descendants, except mount watchdogs: killed, they would leave dead mounts. */
function killTree(pid) {
  const children = new Map();
  for (const d of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(d)) continue;
    try {
      const stat = fs.readFileSync(`/proc/${d}/stat`, 'utf8');
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      if (!children.has(ppid)) children.set(ppid, []);
      children.get(ppid).push(Number(d));
    } catch { /* gone */ }
  }
  const spare = (p) => {
    try {
      const cmd = fs.readFileSync(`/proc/${p}/cmdline`, 'utf8');
      return cmd.includes('devfuse-watchdog') || cmd.includes('fusermount3');
    } catch {
      return true;
    }
  };
  const all = [];
  const visit = (p) => {
    all.push(p);
    for (const c of children.get(p) ?? []) visit(c);
  };
  visit(pid);
  for (const p of all.reverse()) {
    if (p !== pid && spare(p)) continue;
    try { process.kill(p, 'SIGKILL'); } catch { /* gone */ }
  }
}

for (const sig of ['SIGINT', 'SIGTERM']) process.on(sig, () => runner.kill(sig));

runner.on('exit', (code, signal) => {
  clearInterval(watch);
  fs.rmSync(stateDir, { recursive: true, force: true });
  if (hung.length > 0) process.stdout.write(`\n${hung.join('\n')}\n`);
  process.exit(hung.length > 0 ? 1 : code ?? (signal ? 1 : 0));
});
