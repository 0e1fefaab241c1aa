/**
 * An echo device: a FIFO in the kernel's device namespace. What is written
 * can be read back, in order. Reads block until data arrives (without
 * blocking the event loop) unless the file was opened O_NONBLOCK, in which
 * case they fail with EAGAIN; poll/select report POLLIN when data is there
 * and wake up waiting pollers when a write arrives.
 *
 *   devfuse cuse echo mydev        # creates /dev/mydev
 */
import { FuseError } from '../../api/errors';
import type { PollHandle, RequestContext } from '../../api/filesystem';
import type { CuseDeviceOptions } from '../device';

export const POLLIN = 0x1;
export const POLLOUT = 0x4;
export const POLLRDNORM = 0x40;
export const POLLWRNORM = 0x100;

export interface EchoOptions {
  name?: string;
  /** Bytes held at most; writers wait (or get EAGAIN) when it is full. */
  capacity?: number;
}

export function echoDevice(o: EchoOptions = {}): CuseDeviceOptions {
  const capacity = o.capacity ?? 65536;
  const queue: Buffer[] = [];
  let held = 0;
  let readers: (() => void)[] = [];
  let writers: (() => void)[] = [];
  const pollers = new Map<number, PollHandle>();

  const wake = (list: (() => void)[]): void => {
    for (const w of list) w();
  };
  const notifyPollers = (): void => {
    for (const h of pollers.values()) h.notify();
    pollers.clear();
  };
  /** Waits for `ready` to hold, honouring interrupts (EINTR) and O_NONBLOCK (EAGAIN). */
  const until = async (ctx: RequestContext, nonblock: boolean, ready: () => boolean, list: () => (() => void)[]): Promise<void> => {
    while (!ready()) {
      if (nonblock) throw new FuseError('EAGAIN');
      await new Promise<void>((resolve, reject) => {
        const onAbort = (): void => reject(new FuseError('EINTR'));
        list().push(() => {
          ctx.signal.removeEventListener('abort', onAbort);
          resolve();
        });
        if (ctx.signal.aborted) onAbort();
        else ctx.signal.addEventListener('abort', onAbort, { once: true });
      });
    }
  };
  const take = (size: number): Buffer => {
    const parts: Buffer[] = [];
    let n = 0;
    while (n < size && queue.length) {
      const head = queue[0]!;
      const k = Math.min(head.length, size - n);
      parts.push(head.subarray(0, k));
      n += k;
      if (k === head.length) queue.shift();
      else queue[0] = head.subarray(k);
    }
    held -= n;
    return Buffer.concat(parts, n);
  };

  return {
    name: o.name ?? 'devfuse-echo',
    async read(ctx, _fh, size, info) {
      await until(ctx, info.nonblock, () => held > 0, () => readers);
      readers = [];
      const out = take(size);
      const w = writers;
      writers = [];
      wake(w);
      notifyPollers();
      return out;
    },
    async write(ctx, _fh, data, info) {
      if (data.length === 0) return 0;
      await until(ctx, info.nonblock, () => held < capacity, () => writers);
      writers = [];
      const n = Math.min(data.length, capacity - held);
      // The payload is a view into the request buffer: keep a copy.
      queue.push(Buffer.from(data.subarray(0, n)));
      held += n;
      const r = readers;
      readers = [];
      wake(r);
      notifyPollers();
      return n;
    },
    poll(_ctx, _fh, _events, handle) {
      if (handle) pollers.set(handle.kh, handle);
      return (held > 0 ? POLLIN | POLLRDNORM : 0) | (held < capacity ? POLLOUT | POLLWRNORM : 0);
    },
  };
}
