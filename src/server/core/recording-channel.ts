/**
 * A channel wrapper that appends every message crossing it to a trace file
 * (the format is described in src/testing/trace.ts, which reads, prints and
 * replays traces). Writes are synchronous appends: tracing is for debugging
 * and conformance work, not for speed. It sees every message, so the
 * accelerations that would read or answer requests past it (splice, data
 * workers) stay off behind it (accel/index.ts).
 */
import fs from 'node:fs';
import type { Channel, ChannelCloseReason, RequestSink } from './channel';

export class RecordingChannel implements Channel {
  private readonly out: number;
  private readonly t0 = process.hrtime.bigint();

  constructor(
    private readonly inner: Channel,
    file: string,
  ) {
    this.out = fs.openSync(file, 'w');
    fs.writeSync(this.out, JSON.stringify({ devfuse_trace: 1, started: new Date().toISOString() }) + '\n');
  }

  get fd(): number {
    return this.inner.fd;
  }

  private record(dir: 'in' | 'out', data: Buffer, err?: number): void {
    const t = Number((process.hrtime.bigint() - this.t0) / 1000n);
    const line: Record<string, unknown> = { t, dir, data: data.toString('base64') };
    if (err !== undefined) line.err = err;
    fs.writeSync(this.out, JSON.stringify(line) + '\n');
  }

  start(sink: RequestSink, onClose: (reason: ChannelCloseReason) => void): void {
    this.inner.start(
      (buf, len) => {
        this.record('in', buf.subarray(0, len));
        return sink(buf, len);
      },
      (reason) => {
        fs.closeSync(this.out);
        onClose(reason);
      },
    );
  }

  setBufferSize(bytes: number): void {
    this.inner.setBufferSize(bytes);
  }

  write(data: Buffer | readonly Buffer[]): number {
    const err = this.inner.write(data);
    this.record('out', Buffer.isBuffer(data) ? data : Buffer.concat(data as Buffer[]), err);
    return err;
  }

  async writeAsync(data: Buffer | readonly Buffer[]): Promise<number> {
    const err = this.inner.writeAsync ? await this.inner.writeAsync(data) : this.inner.write(data);
    this.record('out', Buffer.isBuffer(data) ? data : Buffer.concat(data as Buffer[]), err);
    return err;
  }

  release(buf: Buffer): void {
    this.inner.release(buf);
  }

  close(): void {
    this.inner.close();
  }
}

