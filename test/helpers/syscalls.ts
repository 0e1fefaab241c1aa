/**
 * The processes that act on a real mount from outside the server: python3
 * for the syscalls Node's fs does not offer (xattrs, fcntl record locks,
 * flock, mknod, renameat2 flags, fallocate modes, SEEK_DATA/SEEK_HOLE,
 * O_TMPFILE (link_fd), copy_file_range, mmap, O_DIRECT), and sh() for
 * commands. Either can run as another user ({ as: { uid, gid } }, with no
 * supplementary groups).
 *
 * One contract for py(), pyAsync() and PyProcess: (code, args, options).
 * The script gets a prelude of helpers, its args as ARGS, and out(value),
 * which prints the value as JSON; py() and pyAsync() return the last value
 * passed to out() (null if none). say() collects lines as print() would and
 * out(said()) returns them as one string. An OSError the script does not
 * catch fails the call with a PyError naming its errno, and
 * `tryErr(f, ...)` turns one into a value: None on success, else the
 * errno name ("EACCES").
 */
import { execFileSync, spawn, spawnSync, type ChildProcess, type SpawnOptions } from 'node:child_process';
import fs from 'node:fs';
import { createInterface } from 'node:readline';

/** The system's python3: runnable by any uid (a pyenv shim under /root is not), and started without a shell wrapper. */
const PYTHON = fs.existsSync('/usr/bin/python3') ? '/usr/bin/python3' : 'python3';

const PRELUDE = String.raw`
import ctypes, errno, fcntl, json, mmap, os, signal, stat, struct, sys, time
ARGS = sys.argv[1:]
_libc = ctypes.CDLL(None, use_errno=True)
_libc.renameat2.argtypes = [ctypes.c_int, ctypes.c_char_p, ctypes.c_int, ctypes.c_char_p, ctypes.c_uint]
_libc.fallocate.argtypes = [ctypes.c_int, ctypes.c_int, ctypes.c_int64, ctypes.c_int64]
_libc.linkat.argtypes = [ctypes.c_int, ctypes.c_char_p, ctypes.c_int, ctypes.c_char_p, ctypes.c_int]
AT_EMPTY_PATH = 0x1000
AT_FDCWD = -100
RENAME_NOREPLACE, RENAME_EXCHANGE, RENAME_WHITEOUT = 1, 2, 4
FALLOC_FL_KEEP_SIZE, FALLOC_FL_PUNCH_HOLE, FALLOC_FL_ZERO_RANGE = 0x01, 0x02, 0x10
def _check(r):
    if r < 0:
        e = ctypes.get_errno()
        raise OSError(e, os.strerror(e))
    return r
def renameat2(old, new, flags):
    _check(_libc.renameat2(AT_FDCWD, os.fsencode(old), AT_FDCWD, os.fsencode(new), flags))
def fallocate(fd, mode, offset, length):
    _check(_libc.fallocate(fd, mode, offset, length))
def link_fd(fd, new):
    # linkat(fd, "", AT_FDCWD, new, AT_EMPTY_PATH): names an O_TMPFILE (needs CAP_DAC_READ_SEARCH)
    _check(_libc.linkat(fd, b'', AT_FDCWD, os.fsencode(new), AT_EMPTY_PATH))
# errno.errorcode picks aliases for some numbers: name them as Linux headers and Node do.
_NAMES = {errno.EDEADLK: 'EDEADLK', errno.EOPNOTSUPP: 'EOPNOTSUPP', errno.EAGAIN: 'EAGAIN'}
def errname(n):
    return _NAMES.get(n) or errno.errorcode.get(n, str(n))
def tryErr(f, *a, **k):
    try:
        f(*a, **k)
        return None
    except OSError as e:
        return errname(e.errno)
# struct flock on 64-bit Linux: short l_type, l_whence; off_t l_start, l_len; pid_t l_pid (+ padding)
_FLOCK = 'hhqqi4x'
def setlk(fd, typ, start=0, length=0, wait=False):
    fcntl.fcntl(fd, fcntl.F_SETLKW if wait else fcntl.F_SETLK, struct.pack(_FLOCK, typ, 0, start, length, 0))
def getlk(fd, typ, start=0, length=0):
    t, _, s, l, p = struct.unpack(_FLOCK, fcntl.fcntl(fd, fcntl.F_GETLK, struct.pack(_FLOCK, typ, 0, start, length, 0)))
    return {'type': t, 'start': s, 'len': l, 'pid': p}
def out(v):
    sys.stdout.write(json.dumps(v) + '\n')
    sys.stdout.flush()
def waitline():
    return sys.stdin.readline()
# say() is print() into a transcript; out(said()) hands the lines back as one string.
_said = []
def say(*a):
    _said.append(' '.join(str(x) for x in a))
def said():
    return '\n'.join(_said)
def _main(code):
    try:
        exec(code, globals())
    except OSError as e:
        sys.stderr.write('OSError %s %s\n' % (errname(e.errno), e))
        sys.exit(3)
`;

export interface RunAs {
  uid: number;
  gid: number;
}

export interface PyOptions {
  /** Working directory (default: the test's). */
  cwd?: string;
  /** Run as this user, with no supplementary groups. */
  as?: RunAs;
  /** Milliseconds before py()/pyAsync() kill the script and fail (default 60 s); PyProcess has none. */
  timeout?: number;
}

function argv(code: string, args: readonly string[]): string[] {
  return ['-c', `${PRELUDE}\n_main(${JSON.stringify(code)})`, ...args];
}

/** spawn's options for `o`: libuv drops supplementary groups when it changes uid/gid. */
function spawnOptions(o: PyOptions): SpawnOptions {
  return { cwd: o.cwd, ...(o.as ? { uid: o.as.uid, gid: o.as.gid } : {}) };
}

const TIMEOUT = 60_000;

export class PyError extends Error {
  constructor(
    message: string,
    /** The errno name of an uncaught OSError, when that is what failed. */
    readonly code: string | undefined,
  ) {
    super(message);
  }
}

function lastJson(stdout: string): unknown {
  const lines = stdout.trim().split('\n').filter((l) => l.length > 0);
  return lines.length === 0 ? null : (JSON.parse(lines[lines.length - 1]!) as unknown);
}

function failure(status: number | null, signal: NodeJS.Signals | null, stderr: string): PyError {
  const m = /OSError (E[A-Z0-9]+)/.exec(stderr);
  return new PyError(`python3 ${signal ? `killed by ${signal} (timeout?)` : `exited ${status}`}: ${stderr.trim()}`, m?.[1]);
}

/** Runs `code` in python3 and returns the last value it passed to out(). Throws PyError when the script fails. */
export function py<T = unknown>(code: string, args: readonly string[] = [], o: PyOptions = {}): T {
  const r = spawnSync(PYTHON, argv(code, args), { ...spawnOptions(o), encoding: 'utf8', timeout: o.timeout ?? TIMEOUT });
  if (r.status !== 0) throw failure(r.status, r.signal, r.stderr ?? String(r.error));
  return lastJson(r.stdout) as T;
}

/** As py(), without blocking the test process (several scripts can then run at once). */
export function pyAsync<T = unknown>(code: string, args: readonly string[] = [], o: PyOptions = {}): Promise<T> {
  return new Promise((resolve, reject) => {
    const p = spawn(PYTHON, argv(code, args), { ...spawnOptions(o), timeout: o.timeout ?? TIMEOUT, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    p.stdout!.on('data', (d: Buffer) => (stdout += d.toString()));
    p.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
    p.on('error', reject);
    p.on('close', (status, signal) => (status === 0 ? resolve(lastJson(stdout) as T) : reject(failure(status, signal, stderr))));
  });
}

/** Runs a command (in `cwd`, as `as`); its stdout. Throws with its output on failure. */
export function sh(cmd: string, args: readonly string[], o: PyOptions = {}): string {
  try {
    return execFileSync(cmd, args, { ...spawnOptions(o), encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], timeout: o.timeout ?? TIMEOUT });
  } catch (e) {
    const err = e as { stderr?: string; stdout?: string; message: string };
    throw new Error(`${cmd} ${args.join(' ')} failed: ${err.message}\n${err.stdout ?? ''}${err.stderr ?? ''}`);
  }
}

/**
 * A long-running script the test talks to line by line: each out() it
 * makes is a message (`next()` waits for one), and `send()` writes a line
 * its waitline() returns. For lock holders and waiters in other processes.
 */
const live = new Set<PyProcess>();

/** Kills every PyProcess still running (a failed test must not leave processes holding files on a mount). */
export async function killAllPyProcesses(): Promise<void> {
  const all = [...live];
  for (const p of all) p.kill('SIGKILL');
  await Promise.all(all.map((p) => p.exited));
}

export class PyProcess {
  readonly proc: ChildProcess;
  private readonly lines: string[] = [];
  private waiting: ((line: string | null) => void) | null = null;
  private stderr = '';
  readonly exited: Promise<number | null>;

  constructor(code: string, args: readonly string[] = [], o: PyOptions = {}) {
    this.proc = spawn(PYTHON, argv(code, args), { ...spawnOptions(o), stdio: ['pipe', 'pipe', 'pipe'] });
    this.proc.stderr!.on('data', (d: Buffer) => (this.stderr += d.toString()));
    createInterface({ input: this.proc.stdout! }).on('line', (l) => {
      if (this.waiting) {
        const w = this.waiting;
        this.waiting = null;
        w(l);
      } else this.lines.push(l);
    });
    live.add(this);
    this.exited = new Promise((resolve) => this.proc.on('close', (code) => {
      live.delete(this);
      this.waiting?.(null);
      resolve(code);
    }));
  }

  /** The next value the script out()s; rejects if it exits first or `ms` pass. */
  next<T = unknown>(ms = 10000): Promise<T> {
    const have = this.lines.shift();
    if (have !== undefined) return Promise.resolve(JSON.parse(have) as T);
    return new Promise((resolve, reject) => {
      const t = setTimeout(() => {
        this.waiting = null;
        reject(new Error(`no output from python within ${ms} ms; stderr: ${this.stderr}`));
      }, ms);
      this.waiting = (line) => {
        clearTimeout(t);
        if (line === null) reject(new Error(`python exited before answering; stderr: ${this.stderr}`));
        else resolve(JSON.parse(line) as T);
      };
    });
  }

  /** True if nothing has been printed yet and none arrives within `ms`. */
  async quietFor(ms: number): Promise<boolean> {
    if (this.lines.length > 0) return false;
    await new Promise((r) => setTimeout(r, ms));
    return this.lines.length === 0;
  }

  send(line = ''): void {
    this.proc.stdin!.write(line + '\n');
  }

  /** Closes stdin and waits for the exit status. */
  async end(): Promise<number | null> {
    this.proc.stdin!.end();
    return this.exited;
  }

  kill(signal: NodeJS.Signals = 'SIGTERM'): void {
    this.proc.kill(signal);
  }

  get errors(): string {
    return this.stderr;
  }
}
