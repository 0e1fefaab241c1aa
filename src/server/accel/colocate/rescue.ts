/**
 * The worker thread behind -o colocate's rescue (colocate.ts): it sleeps in
 * read(2) on a timerfd the main thread keeps pushing back while it runs as
 * SCHED_IDLE. If the timer ever fires, the main thread has not run for
 * that long (a busy task took its CPU), so this thread, at normal priority,
 * puts it back to SCHED_OTHER, where it gets its fair share again. In a
 * healthy exchange it never wakes.
 */
import { workerData } from 'node:worker_threads';
import { Errno } from '../../../protocol/errno';
import { SCHED_OTHER } from '../../../linux/constants';
import { errno, libc } from '../../../linux/libc';

export interface RescueInit {
  timerFd: number;
  /** The thread to rescue (the main thread: its tid is the pid). */
  tid: number;
  /** [0]: set to 1 to stop; [1]: rescues done. */
  shared: SharedArrayBuffer;
}

function main(): void {
  const { timerFd, tid, shared } = workerData as RescueInit;
  const flags = new Int32Array(shared);
  const { read, sched_setscheduler: setscheduler } = libc();
  const expirations = Buffer.alloc(8);
  const param = Buffer.alloc(8);
  for (;;) {
    const n = read(timerFd, expirations, 8);
    if (Atomics.load(flags, 0) === 1) return;
    if (n < 0 && errno() !== Errno.EINTR) return;
    if (n === 8 && setscheduler(tid, SCHED_OTHER, param) === 0) Atomics.add(flags, 1, 1);
  }
}

main();
