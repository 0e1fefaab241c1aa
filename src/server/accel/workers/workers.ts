/**
 * Data workers (-o workers=N, off by default): READ and WRITE also served
 * on other threads, each reading its own clone of the session's fd, for a
 * filesystem with a data path (data-workers.ts runs them, data-worker.ts is
 * one; what they gain and cost: docs/design/workers.md).
 *
 * Plugs into the read loop's `read` and `delivered` (the read fence: the
 * ordering rule must know when a WRITE this thread read is recorded),
 * `queued` (a queue wakes the workers), `closed` (they stop), and the
 * session's `initialized` (they get what INIT agreed) and `highestUnique`
 * (an INTERRUPT for a request a worker read is no early one). The session's
 * writes in flight move into the table every thread maps
 * (shared-write-order.ts); requests a worker cannot serve come back to the
 * session through Session.receive, answered on the worker's fd.
 */
import { Opcode } from '../../../protocol/constants';
import { peekOpcode } from '../../../protocol/header';
import type { DataPathSpec } from '../../../api/data-path';
import { readBufferSize } from '../../core/channel';
import type { ReplyWriter } from '../../core/context';
import type { Hooks } from '../../core/hooks';
import type { Session } from '../../core/session';
import { deviceRead } from '../../device/device-io';
import type { DeviceChannel } from '../../device/device-channel';
import { DataWorkers } from './data-workers';
import { SharedWriteOrder } from './shared-write-order';

export class Workers {
  /** The ordering table shared with the workers; null when the rule is off. */
  readonly order: SharedWriteOrder | null;
  private workers: DataWorkers | null = null;
  /** This thread's read window is open for a WRITE until the sink has recorded it. */
  private writeOpen = false;
  private closed = false;
  /** A writer per worker fd, for the requests each hands over. */
  private readonly writers = new Map<number, ReplyWriter>();
  readonly hooks: Hooks;

  constructor(session: Session, channel: DeviceChannel, spec: DataPathSpec, count: number) {
    const o = session.options;
    const order = (this.order = o.writeOrdering ? SharedWriteOrder.create() : null);
    const writer = (fd: number): ReplyWriter => {
      let w = this.writers.get(fd);
      if (!w) this.writers.set(fd, (w = (data) => channel.writeTo(fd, data)));
      return w;
    };
    this.hooks = {
      initialized: (agreed) => {
        if (this.closed || channel.fd < 0) return;
        this.workers = new DataWorkers({
          count, spec, device: channel.fd, order, minor: agreed.minor, setxattrExt: agreed.setxattrExt,
          bufferSize: readBufferSize(agreed.maxWrite), idle: o.busyPoll > 0 ? o.busyPoll : 50,
          forward: (buf, fd) => session.receive(buf, writer(fd)), log: o.log,
        });
      },
      // A request read here is not recorded yet: the read window says so to the workers' direct requests.
      read: (fd, buf) => {
        if (this.workers === null || order === null) return deviceRead(fd, buf);
        order.openWindow();
        const n = deviceRead(fd, buf);
        // A WRITE is recorded by the sink's synchronous dispatch: its window closes after it, any other now.
        if (n >= 0 && peekOpcode(buf) === Opcode.WRITE) this.writeOpen = true;
        else order.closeWindow();
        return n;
      },
      delivered: () => {
        if (!this.writeOpen) return;
        this.writeOpen = false;
        order!.closeWindow();
      },
      // A queue of several: worth another thread.
      queued: () => this.workers?.wake(),
      highestUnique: () => this.workers?.highestUnique() ?? 0,
      // The channel refuses writes from now on, so the workers' fds may close.
      closed: () => {
        this.closed = true;
        void this.workers?.stop();
      },
    };
  }

  /** The workers' counters; null until INIT started them. */
  get stats(): { started: boolean; served: number; forwarded: number } | null {
    return this.workers?.stats() ?? null;
  }
}
