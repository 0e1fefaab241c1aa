/**
 * An in-memory channel carrying the same bytes as /dev/fuse, for the kernel
 * emulator (devfuse/testing) and tests: the session, dispatcher and codec
 * run unchanged, and whoever holds the channel plays the kernel.
 *
 * Released request buffers are overwritten with 0xdb ("poisoned"), so a
 * filesystem that keeps a WRITE payload view past its reply reads garbage
 * in tests instead of passing by luck.
 */
import { Errno } from '../../protocol';
import type { Channel, ChannelCloseReason, RequestSink } from './channel';

export class MemoryChannel implements Channel {
  readonly fd = -1;
  private sink: RequestSink | null = null;
  private onClose: ((r: ChannelCloseReason) => void) | null = null;
  private closed = false;
  private bufferSize = 0;
  /** Buffers the session kept and has not released yet. */
  readonly kept = new Set<Buffer>();

  constructor(
    /** Receives every reply and notification the server writes, as one Buffer; returns 0 or an errno for the write. */
    private readonly onWrite: (msg: Buffer) => number,
  ) {}

  start(sink: RequestSink, onClose: (reason: ChannelCloseReason) => void): void {
    this.sink = sink;
    this.onClose = onClose;
  }

  get started(): boolean {
    return this.sink !== null;
  }

  /** The read buffer size the server asked for (max_write + 4 KiB after INIT). */
  get readBufferSize(): number {
    return this.bufferSize;
  }

  setBufferSize(bytes: number): void {
    this.bufferSize = Math.max(this.bufferSize, bytes);
  }

  /** Delivers one request, as a read of the device would. The bytes are copied: the caller may reuse `request`. */
  deliver(request: Buffer): void {
    if (!this.sink || this.closed) throw new Error('MemoryChannel: not started or closed');
    const buf = Buffer.from(request);
    if (this.sink(buf, buf.length)) this.kept.add(buf);
  }

  release(buf: Buffer): void {
    if (this.kept.delete(buf)) buf.fill(0xdb);
  }

  write(data: Buffer | readonly Buffer[]): number {
    if (this.closed) return Errno.ENODEV;
    const msg = Buffer.isBuffer(data) ? Buffer.from(data) : Buffer.concat(data as Buffer[]);
    return this.onWrite(msg);
  }

  writeAsync(data: Buffer | readonly Buffer[]): Promise<number> {
    return Promise.resolve().then(() => this.write(data));
  }

  /** The kernel side ends the connection (unmount): the session sees ENODEV on its next read. */
  unmount(): void {
    this.finish({ kind: 'unmounted' });
  }

  close(): void {
    this.finish({ kind: 'closed' });
  }

  get isClosed(): boolean {
    return this.closed;
  }

  private finish(reason: ChannelCloseReason): void {
    if (this.closed) return;
    this.closed = true;
    this.onClose?.(reason);
  }
}
