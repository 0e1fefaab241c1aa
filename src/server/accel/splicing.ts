/**
 * Big WRITEs by splice (on by default for a filesystem with writeSpliced;
 * -o no_splice): while big page-cache WRITEs stream, the device channel
 * splices requests into a pipe (splice.ts) and a WRITE's data reaches the
 * filesystem still in it, so it is copied once instead of twice. What it
 * gains and costs: docs/design/splice.md.
 *
 * Plugs into the read loop's `read` (through the pipe, or an ordinary read
 * that may switch splicing on), `outside` (the data left in the pipe, for
 * the sink), `delivered` (data the sink left behind leaves the pipe before
 * the next request), `closed`, and the session's `initialized` (the pipe is
 * sized for the max_write INIT agreed).
 */
import { HEADER_ROOM } from '../core/channel';
import type { Hooks } from '../core/hooks';
import type { SplicedData } from '../../api/spliced';
import { deviceRead } from '../device/device-io';
import type { DeviceChannel } from '../device/device-channel';
import { SplicePipe, SpliceReader, splicePipeSize } from './splice';

export class Splicing {
  /** Once INIT was answered and the pipe could be made. */
  private reader: SpliceReader | null = null;
  /** The data of the WRITE just read through the pipe, until the loop takes it. */
  private pending: (SplicedData & { discard(): void }) | null = null;
  /** The data handed with the request the sink has now. */
  private handed: (SplicedData & { discard(): void }) | null = null;
  private closed = false;
  readonly hooks: Hooks;

  constructor(channel: DeviceChannel) {
    this.hooks = {
      initialized: (agreed) => {
        // The layouts before 7.9 differ (fuse_write_in was shorter); nor once the channel is gone.
        if (agreed.minor < 9 || this.closed) return;
        try {
          this.reader = new SpliceReader(new SplicePipe(splicePipeSize(channel.readBufferSize - HEADER_ROOM)));
        } catch {
          // No pipe that size (past pipe-max-size without CAP_SYS_RESOURCE): read as before.
        }
      },
      read: (fd, buf) => {
        const r = this.reader;
        if (r === null || !r.active) {
          const n = deviceRead(fd, buf);
          // A big page-cache WRITE read the ordinary way: the ones after it come through the pipe.
          if (n >= 0 && r !== null) r.seen(buf, n);
          return n;
        }
        const n = r.read(fd, buf, buf.length);
        this.pending = r.take();
        return n;
      },
      outside: () => {
        const p = this.pending;
        this.pending = null;
        this.handed = p;
        return p ?? undefined;
      },
      delivered: () => {
        // The sink must have taken spliced data; if not, it leaves the pipe here, before the next request.
        const h = this.handed;
        this.handed = null;
        h?.discard();
      },
      closed: () => {
        this.closed = true;
        // Kept (closed) for its counters.
        this.reader?.close();
      },
    };
  }

  /** Requests read through the pipe, and WRITEs whose data stayed in it; null until splicing could start. */
  get stats(): { readonly reads: number; readonly writes: number } | null {
    return this.reader?.stats ?? null;
  }
}
