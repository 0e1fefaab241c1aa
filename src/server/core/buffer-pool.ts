/**
 * Reply buffers lent to handlers and taken back once the reply is written.
 *
 * A READ of 1 MiB answered from a fresh Buffer.allocUnsafe costs a
 * malloc and 256 page faults before a byte is read; a handler that asks the
 * request context for its buffer (`ctx.buffer(size)`) gets one the session
 * wrote out earlier, sized to a power of two. The session owns the lifetime:
 * the buffer is the handler's until its reply is written, then back in the
 * pool, so a handler must not keep it. What it was measured to save:
 * docs/design/device-channel.md, "Reply buffers".
 *
 * Each pooled buffer has HEADROOM bytes in front of the part lent out, room
 * for the fuse_out_header: a READ answered with its lent buffer goes out as
 * one contiguous reply and one write(2) (withHeader), no header Buffer, no
 * iovec list, no writev.
 */
const MIN_CLASS = 4096;
/** fuse_out_header's size. */
export const HEADROOM = 16;
/** Buffers kept per size class: enough for the requests in flight at once on a busy mount. */
const KEEP = 16;

export class BufferPool {
  private readonly free = new Map<number, Buffer[]>();

  /** A buffer of exactly `size` bytes (a view of a pooled one); its contents are garbage. */
  take(size: number): { view: Buffer; whole: Buffer } {
    const cls = size <= MIN_CLASS ? MIN_CLASS : 2 ** Math.ceil(Math.log2(size));
    const whole = this.free.get(cls)?.pop() ?? Buffer.allocUnsafeSlow(HEADROOM + cls);
    return { view: whole.subarray(HEADROOM, HEADROOM + size), whole };
  }

  give(whole: Buffer): void {
    const cls = whole.length - HEADROOM;
    let list = this.free.get(cls);
    if (!list) this.free.set(cls, (list = []));
    if (list.length < KEEP) list.push(whole);
  }
}
