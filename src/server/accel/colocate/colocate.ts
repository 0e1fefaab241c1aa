/**
 * `-o colocate` (off by default): in a tight exchange, let the client run
 * on the server's CPU instead of waking it on another one.
 *
 * Why: busy-polling (poll-window.ts) spares the server its wake-up, but
 * each reply still wakes the client, and when the client sleeps on another
 * CPU that is an inter-processor interrupt to a halted CPU: on the 2-CPU
 * VM this was built on, most of a 38 µs statx round trip. The scheduler
 * wakes a task on its previous CPU when that CPU is idle, so the pair stays
 * apart for good. A CPU whose only runnable task is SCHED_IDLE counts as
 * idle for that choice (sched_idle_cpu), so: the server writes the reply
 * as SCHED_IDLE, the client is woken on the server's CPU, preempts it at
 * once, sends its next request and sleeps, and the server, back at normal
 * priority for the request, polls it up. Once, the server moves to the
 * client's CPU (sched_setaffinity to it, the mask restored at once: a
 * nudge, not a pin) so that the client's previous CPU is ours.
 *
 * Measured (passthrough, this VM, unpinned): statx round trip 38-45 →
 * 22 µs; fio 4 KiB O_DIRECT random reads at queue depth 1 43-44k → 68-69k
 * IOPS; `ls -l` of 10,000 entries 0.56-0.69 → 0.36-0.46 s; queue depth 16
 * 182-184k → 172-176k (-5%).
 *
 * The danger, and the guards. A SCHED_IDLE task beside a CPU-bound one
 * gets a sliver of the CPU: an earlier prototype that pinned the server
 * and polled as SCHED_IDLE took 3.2 ms per statx beside two busy loops.
 * Here:
 * - SCHED_IDLE only for the reply and the poll after it, only in an
 *   exchange (over the last 10 ms the server spent at least 30% of its
 *   time polling: at queue depth 16 it does not, and the client keeps its
 *   own CPU), and never while asleep (a SCHED_IDLE sleeper woken beside a
 *   busy task would wait for it).
 * - Not while the machine is busy: every 10 ms, /proc/loadavg's count of
 *   runnable tasks must not exceed the CPUs (two busy loops on two CPUs:
 *   23 µs per statx, as without colocation, against 2.5 ms unguarded).
 * - A poll that was held off the CPU for more than STALL_MS (a busy task
 *   arrived between checks) turns colocation off for a second, doubling
 *   up to a minute while it recurs (back to a second after five minutes
 *   without one).
 * - Only with CAP_SYS_NICE: without it a thread may enter SCHED_IDLE but
 *   not leave it (RLIMIT_NICE), and would stay starved.
 * Those guards alone: under flickering load (two busy loops on for 50 ms,
 * off for 50 ms, 100,000 statx calls) the mean was 38 against 78 µs
 * without colocation and p99.9 7.8 against 8.0 ms, but the worst call took
 * 52 ms against 12: a stall the guards notice only once it is over.
 * - Hence the rescue, a dead man's switch: while SCHED_IDLE the server
 *   keeps pushing back a timerfd RESCUE_MS ahead (at most every
 *   HEARTBEAT_MS, so not a syscall per request); a worker thread at normal
 *   priority sleeps on it (colocate-rescue.ts) and, if it ever fires, puts
 *   the starved server back to SCHED_OTHER. In a healthy exchange it never
 *   wakes. Started the first time colocation engages (a worker costs about
 *   10 MiB), stopped with the session. Under the same flicker, four runs
 *   each way: worst calls 9.5-12.0 ms against 9.1-16.2 without
 *   colocation, means alike (run-to-run noise), while quiet it keeps its
 *   gain (24-30 against 38-40 µs); it fired 3-9 times per run. Beside two
 *   constant busy loops 51 against 81 µs. A rescue is not counted as a
 *   stall: it also fires a few times per run on a quiet machine (something
 *   holds the CPU past 2 ms: a kernel worker or one of V8's threads, not
 *   pinned down), and counting those backed off enough to matter (one
 *   bench run's round trip 36.5 µs against 24-28; a statx loop 24-36 with
 *   3 stalls against 24-30 with 1 uncounted).
 * Off by default: it changes the scheduling policy of the caller's main
 * thread, and its gain is what waking a halted vCPU costs on this VM,
 * which boots with guest halt polling off. Where idle CPUs poll it loses
 * (bench --halt-poll 200000, one full run: round trip 14.3 against 11.5
 * µs, QD1 92.6k against 103.8k IOPS, metadata 0.53 against 0.48 s): for
 * VMs whose idle vCPUs halt at once.
 * Tried before it: a watchdog worker that looked every millisecond and put
 * a stalled server back to SCHED_OTHER by its tid. It bounded the worst
 * call (12 ms under the same flicker, as without colocation) but undid the
 * gain (statx 54 µs): its own wake-ups took the CPU the client should be
 * woken on, and it fired on V8's helper threads running there. Also tried:
 * SCHED_IDLE only from the reply's write until this thread runs again
 * (normal priority while polling), a stall being a return later than 2 ms:
 * worst calls under the same flicker 26 and 12 ms in two runs, not clearly
 * better, and false stalls in quiet periods kept turning it off.
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

/** The real system calls, through koffi; null where colocation cannot be used (see the file comment). */
export function systemColocation(): Colocation | null {
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
      runnable: () => Number(readAt(loadFd).split(' ')[3]?.split('/')[0] ?? Infinity),
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
