/**
 * A channel carries the bytes of /dev/fuse: requests in, replies and
 * notifications out. The session and dispatcher see only this interface, so
 * the same code serves a real device (device-channel.ts), a CUSE device, and
 * the in-memory channel the kernel emulator drives (memory-channel.ts).
 *
 * Accelerations (busy-polling, splice, data workers) are not the channel's
 * business: they plug into the device channel's read loop through the hooks
 * of hooks.ts.
 *
 * Buffer ownership: the channel reads each request into a buffer and hands
 * it to the sink. If the sink returns true it has kept the buffer (a WRITE
 * whose payload is a view into it is still being served) and gives it back
 * with `release` when done; the channel reads the next request elsewhere
 * meanwhile. That is how WRITE payloads reach the filesystem uncopied.
 */
import type { SplicedData } from '../../api/spliced';

export interface RequestSink {
  /**
   * One whole request in buf[0, length). Returns true to keep `buf` until
   * release(buf). With `spliced`, a WRITE's headers are in buf and its data
   * waits elsewhere (a splice pipe: accel/splice.ts): the sink takes it
   * before returning.
   */
  (buf: Buffer, length: number, spliced?: SplicedData): boolean;
}

export interface Channel {
  /** Starts delivering requests to `sink`; `onClose` once the channel is done. */
  start(sink: RequestSink, onClose: (reason: ChannelCloseReason) => void): void;
  /** Raises the read buffer size once INIT has negotiated max_write. */
  setBufferSize(bytes: number): void;
  /**
   * Writes one reply or notification, whole, in one write (writev for
   * several buffers). Returns 0 or a positive errno: ENOENT means the kernel
   * no longer waits for that request (it was interrupted or aborted), which
   * is not an error for the server.
   */
  write(data: Buffer | readonly Buffer[]): number;
  /**
   * Writes a notification without blocking the thread that serves requests.
   * The kernel may, while taking a notification, wait for something only a
   * reply can release (invalidating pages that a READ in flight holds
   * locked); a synchronous write from the serving thread would then never
   * return. Resolves to 0 or an errno, as write() returns. Channels without
   * it (in-process test channels) get their notifications written with write().
   */
  writeAsync?(data: Buffer | readonly Buffer[]): Promise<number>;
  /** Gives back a buffer the sink kept. */
  release(buf: Buffer): void;
  /** Stops reading and closes the device (the kernel then aborts the connection). */
  close(): void;
  /** The /dev/fuse fd, for ioctls (FUSE_DEV_IOC_*); -1 for channels without one. */
  readonly fd: number;
}

export type ChannelCloseReason =
  /** ENODEV on read: the filesystem was unmounted (or the connection aborted). */
  | { kind: 'unmounted' }
  /** close() was called. */
  | { kind: 'closed' }
  /** An unexpected read error. */
  | { kind: 'error'; error: Error };

/** FUSE_MIN_READ_BUFFER, and the header room above max_write the kernel needs. */
export const MIN_BUFFER = 8192;
export const HEADER_ROOM = 4096;

export function readBufferSize(maxWrite: number): number {
  return Math.max(MIN_BUFFER, maxWrite + HEADER_ROOM);
}
