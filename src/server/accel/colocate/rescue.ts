/**
 * The worker thread behind -o colocate's rescue (colocate.ts): it sleeps in
 * read(2) on a timerfd the main thread keeps pushing back while it runs as
 * SCHED_IDLE. If the timer ever fires, the main thread has not run for
 * that long (a busy task took its CPU), so this thread, at normal priority,
 * puts it back to SCHED_OTHER, where it gets its fair share again. In a
 * healthy exchange it never wakes.
 */
import { workerData } from 'node:worker_threads';
import koffi from 'koffi';

export interface RescueInit {
  timerFd: number;
  /** The thread to rescue (the main thread: its tid is the pid). */
  tid: number;
  /** [0]: set to 1 to stop; [1]: rescues done. */
  shared: SharedArrayBuffer;
}

const SCHED_OTHER = 0;
const EINTR = 4;

function main(): void {
  const { timerFd, tid, shared } = workerData as RescueInit;
  const flags = new Int32Array(shared);
  const libc = koffi.load('libc.so.6');
  const read = libc.func('long read(int fd, void *buf, size_t n)') as (fd: number, b: Buffer, n: number) => number;
  const setscheduler = libc.func('int sched_setscheduler(int pid, int policy, void *param)') as (pid: number, policy: number, p: Buffer) => number;
  const expirations = Buffer.alloc(8);
  const param = Buffer.alloc(8);
  for (;;) {
    const n = read(timerFd, expirations, 8);
    if (Atomics.load(flags, 0) === 1) return;
    if (n < 0 && koffi.errno() !== EINTR) return;
    if (n === 8 && setscheduler(tid, SCHED_OTHER, param) === 0) Atomics.add(flags, 1, 1);
  }
}

main();
