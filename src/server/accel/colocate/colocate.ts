/**
 * `-o colocate` (off by default): in a tight exchange, let the client run
 * on the server's CPU instead of waking it on another (halted) one. The
 * server writes each reply as SCHED_IDLE, so the CPU counts as idle and the
 * client it wakes is placed here; it is back at normal priority for the
 * next request, which its poll picks up.
 *
 * Invariants, because a SCHED_IDLE thread beside a CPU-bound one barely
 * runs: SCHED_IDLE only for the reply and the poll after it, only in an
 * exchange (30% of the last 10 ms polling), never while asleep, never
 * while more tasks are runnable than CPUs, off for a while after a poll
 * was held off the CPU (a stall), only with CAP_SYS_NICE (the way back),
 * and a rescue thread on a timer puts a starved server back to SCHED_OTHER
 * within RESCUE_MS. Why each guard, and the figures: docs/design/colocate.md.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { isMainThread, Worker } from 'node:worker_threads';
import { CAP_SYS_NICE, CLOCK_MONOTONIC, SCHED_IDLE, SCHED_OTHER, TFD_CLOEXEC } from '../../../linux/constants';
import { libc, type Libc } from '../../../linux/libc';
import type { RescueInit } from './rescue';

/** What colocation asks of the system; a fake in tests. */
export interface ColocateSys {
  /** SCHED_IDLE (true) or SCHED_OTHER (false) for the calling thread; false if refused. */
  setIdle(idle: boolean): boolean;
  /** The CPU the calling thread runs on. */
  cpu(): number;
  /** The CPU thread `tid` last ran on, or -1. */
  cpuOf(tid: number): number;
  /** Moves the calling thread to `cpu` and restores its affinity mask. */
  moveTo(cpu: number): void;
  /** Tasks runnable right now, system-wide. */
  runnable(): number;
  /**
   * Arms the rescue `ms` from now, or pushes it back: if it fires, another
   * thread puts this one back to SCHED_OTHER. 0 disarms it.
   */
  rescueIn(ms: number): void;
  /** Times the rescue fired. */
  readonly rescues: number;
  /** CPUs the machine has. */
  readonly cpus: number;
  /** Releases what it holds (a descriptor). */
  close(): void;
}

/** Length of the window over which the poll share and the load are judged, ms. */
const WINDOW_MS = 10;
/** Poll share of the window above which the traffic is a tight exchange. */
const EXCHANGE_SHARE = 0.3;
/** A poll iteration held off the CPU this long (ms) means a busy task shares it. */
export const STALL_MS = 0.5;
const BACKOFF_MIN_MS = 1000;
const BACKOFF_MAX_MS = 60_000;
/** Stall-free this long (ms), the backoff starts again from its minimum. */
const BACKOFF_RESET_MS = 300_000;
/** Not run for this long (ms) while SCHED_IDLE, the rescue puts the server back to SCHED_OTHER. */
export const RESCUE_MS = 2;
/** The rescue is pushed back at most this often (ms): it then fires between RESCUE_MS - HEARTBEAT_MS and RESCUE_MS into a stall. */
export const HEARTBEAT_MS = 0.5;

export class Colocation {
  private idle = false;
  private exchange = false;
  private loadOk = true;
  private windowStart: number;
  private polledMs = 0;
  private offUntil = 0;
  private backoff = BACKOFF_MIN_MS;
  private lastStall = -Infinity;
  /** When the rescue was last pushed back; -Infinity while disarmed. */
  private armedAt = -Infinity;
  /** Times a stall turned it off (for tests and stats). */
  stalls = 0;
  /** Moves to a client's CPU. */
  moves = 0;

  constructor(
    private readonly sys: ColocateSys,
    private readonly now: () => number = () => performance.now(),
  ) {
    this.windowStart = now();
  }

  /** A request from thread `pid` is about to be handled: normal priority; each window, judge the traffic. */
  request(pid: number): void {
    this.normal();
    const t = this.now();
    if (t - this.windowStart < WINDOW_MS) return;
    this.exchange = this.polledMs / (t - this.windowStart) >= EXCHANGE_SHARE;
    this.loadOk = this.sys.runnable() <= this.sys.cpus;
    this.windowStart = t;
    this.polledMs = 0;
    if (t - this.lastStall > BACKOFF_RESET_MS) this.backoff = BACKOFF_MIN_MS;
    if (this.active(t)) {
      const cpu = this.sys.cpuOf(pid);
      if (cpu >= 0 && cpu !== this.sys.cpu()) {
        this.sys.moveTo(cpu);
        this.moves++;
      }
    } else {
      // No rescue is needed while it does not colocate (one syscall a window at most).
      this.disarm();
    }
  }

  /** A reply is about to be written: SCHED_IDLE if colocating, so the client it wakes may run here. */
  reply(): void {
    const t = this.now();
    if (this.idle || !this.active(t)) return;
    if (t - this.armedAt >= HEARTBEAT_MS) {
      this.sys.rescueIn(RESCUE_MS);
      this.armedAt = t;
    }
    this.idle = this.sys.setIdle(true);
  }

  /** Times the rescue put a starved server back to normal priority. */
  get rescues(): number {
    return this.sys.rescues;
  }

  /** A poll ran from `start` to `end` (ms); `longestGap`: the longest time between two of its reads. */
  polled(start: number, end: number, longestGap: number): void {
    this.polledMs += end - start;
    if (this.idle && longestGap > STALL_MS) {
      // Held off the CPU: something busy shares it. Off for a while, longer each time it recurs.
      this.stalls++;
      this.lastStall = end;
      this.offUntil = end + this.backoff;
      this.backoff = Math.min(BACKOFF_MAX_MS, this.backoff * 2);
      this.normal();
      this.disarm();
    }
  }

  /** Going to sleep: normal priority first, and no rescue to fire while asleep. */
  sleep(): void {
    this.normal();
    this.disarm();
  }

  close(): void {
    this.normal();
    this.disarm();
    this.sys.close();
  }

  private disarm(): void {
    if (this.armedAt === -Infinity) return;
    this.sys.rescueIn(0);
    this.armedAt = -Infinity;
  }

  private active(t: number): boolean {
    return this.exchange && this.loadOk && t >= this.offUntil;
  }

  private normal(): void {
    // If leaving SCHED_IDLE failed (it cannot, with CAP_SYS_NICE), try again at the next request.
    if (this.idle && this.sys.setIdle(false)) this.idle = false;
  }
}

/** The rescue's timer and its worker (colocate-rescue.ts), the worker started on the first arm. */
class Rescue {
  private readonly fd: number;
  private readonly spec = Buffer.alloc(32); // struct itimerspec: it_interval, it_value
  private readonly shared = new SharedArrayBuffer(8);
  private readonly flags = new Int32Array(this.shared);
  private worker: Worker | null = null;
  private stopped = false;

  constructor(private readonly L: Libc) {
    this.fd = L.timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC);
  }

  ready(): boolean {
    return this.fd >= 0;
  }

  get count(): number {
    return Atomics.load(this.flags, 1);
  }

  arm(ms: number): void {
    if (this.stopped) return;
    if (ms > 0 && !this.worker) this.start();
    this.set(Math.round(ms * 1e6));
  }

  /** One-shot expiry `ns` from now (0 disarms): it_value of the itimerspec, it_interval left 0. */
  private set(ns: number): void {
    this.spec.writeBigInt64LE(BigInt(Math.floor(ns / 1e9)), 16);
    this.spec.writeBigInt64LE(BigInt(ns % 1e9), 24);
    this.L.timerfd_settime(this.fd, 0, this.spec, null);
  }

  stop(): void {
    if (this.stopped || this.fd < 0) return;
    this.stopped = true;
    if (!this.worker) {
      fs.closeSync(this.fd);
      return;
    }
    // Wake the worker with its stop flag set; the descriptor is closed once it has gone.
    Atomics.store(this.flags, 0, 1);
    this.set(1);
    this.worker.once('exit', () => fs.closeSync(this.fd));
  }

  private start(): void {
    const init: RescueInit = { timerFd: this.fd, tid: process.pid, shared: this.shared };
    this.worker = new Worker(path.join(__dirname, 'rescue.js'), { workerData: init });
    // It must neither keep the process alive nor take it down.
    this.worker.unref();
    this.worker.on('error', () => undefined);
  }
}

function hasCapability(bit: number): boolean {
  const m = /^CapEff:\s*([0-9a-f]+)$/m.exec(fs.readFileSync('/proc/self/status', 'utf8'));
  return m !== null && ((BigInt(`0x${m[1]}`) >> BigInt(bit)) & 1n) === 1n;
}

/**
 * The real system calls, through koffi; null where colocation cannot be
 * used (see the file comment). `runnable` stands in for /proc/loadavg's
 * count (a test of the rescue on a loaded machine, where the load guard
 * would keep colocation off).
 */
export function systemColocation(o: { runnable?: () => number } = {}): Colocation | null {
  if (!isMainThread || process.platform !== 'linux') return null;
  try {
    if (!hasCapability(CAP_SYS_NICE)) return null;
    const L = libc();
    const { sched_getcpu: getcpu, sched_setscheduler: setscheduler, sched_getaffinity: getaffinity, sched_setaffinity: setaffinity } = L;
    const param = Buffer.alloc(8);
    const rescue = new Rescue(L);
    const statBuf = Buffer.alloc(1024);
    const loadFd = fs.openSync('/proc/loadavg', 'r');
    const readAt = (fd: number): string => statBuf.toString('latin1', 0, fs.readSync(fd, statBuf, 0, statBuf.length, 0));
    const sys: ColocateSys = {
      cpus: os.availableParallelism(),
      setIdle: (idle) => setscheduler(0, idle ? SCHED_IDLE : SCHED_OTHER, param) === 0,
      cpu: () => getcpu(),
      cpuOf(tid) {
        let fd = -1;
        try {
          fd = fs.openSync(`/proc/${tid}/stat`, 'r');
          const s = readAt(fd);
          // Field 39, "processor"; counted after the command name, which may hold spaces and parentheses.
          return Number(s.slice(s.lastIndexOf(')') + 2).split(' ')[36] ?? -1);
        } catch {
          return -1;
        } finally {
          if (fd >= 0) fs.closeSync(fd);
        }
      },
      moveTo(cpu) {
        const mask = Buffer.alloc(128);
        if (getaffinity(0, mask.length, mask) < 0 || !(mask[cpu >> 3]! & (1 << (cpu & 7)))) return;
        const one = Buffer.alloc(128);
        one[cpu >> 3] = 1 << (cpu & 7);
        if (setaffinity(0, one.length, one) === 0) setaffinity(0, mask.length, mask);
      },
      // "0.52 0.58 0.59 3/456 1234": runnable/total in the fourth field.
      runnable: o.runnable ?? (() => Number(readAt(loadFd).split(' ')[3]?.split('/')[0] ?? Infinity)),
      rescueIn: (ms) => rescue.arm(ms),
      get rescues() {
        return rescue.count;
      },
      close: () => {
        rescue.stop();
        fs.closeSync(loadFd);
      },
    };
    // Make sure both ways work before relying on the way back, and that the rescue has its timer.
    if (!rescue.ready() || !sys.setIdle(true)) {
      sys.close();
      return null;
    }
    if (!sys.setIdle(false)) throw new Error('colocate: could not leave SCHED_IDLE');
    return new Colocation(sys);
  } catch (e) {
    if (e instanceof Error && e.message.startsWith('colocate:')) throw e;
    return null;
  }
}
