/**
 * The accelerations a session's options ask for, plugged into its device
 * channel and into the session through the hooks of core/hooks.ts. serve()
 * and createCuseDevice() call accelerate(); nothing in core/ or device/
 * knows these modules, so removing one is removing it here.
 *
 *   polling     -o busy_poll=, stream_poll= (on by default)    polling.ts
 *   colocation  -o colocate (off), rides on polling            colocate/
 *   splice      big WRITEs through a pipe (on, -o no_splice)   splicing.ts
 *   workers     -o workers=N (off)                             workers/
 *
 * Splice and data workers exclude each other (both read the device their
 * own way); neither runs behind a wrapping channel (a trace's recorder
 * sees every message and could carry neither a spliced WRITE's data nor
 * requests read by another thread), nor for CUSE, nor with --debug (the
 * trace shows WRITE data, and every request would have to be traced from
 * several threads).
 */
import { plugHooks, type Hooks } from '../core/hooks';
import type { Session } from '../core/session';
import type { DeviceChannel } from '../device/device-channel';
import { systemColocation } from './colocate/colocate';
import { Polling } from './polling';
import { Splicing } from './splicing';
import { Workers } from './workers/workers';

/** Counters of the accelerations that keep some (null: off, or not started). */
export interface AccelStats {
  /** Requests read through the splice pipe, and WRITEs whose data stayed in it. */
  readonly splice: { readonly reads: number; readonly writes: number } | null;
  /** Requests the data workers served, and handed over to the main thread. */
  readonly workers: { readonly started: boolean; readonly served: number; readonly forwarded: number } | null;
  /** -o colocate: moves to a client's CPU, stalls that turned it off for a while, rescues from a starved SCHED_IDLE. */
  readonly colocate: { readonly moves: number; readonly stalls: number; readonly rescues: number } | null;
}

export interface Accelerations {
  readonly stats: AccelStats;
}

/** Plugs the accelerations `session`'s options ask for into it and `device` (its channel, or the one a wrapper wraps). */
export function accelerate(session: Session, device: DeviceChannel): Accelerations {
  const o = session.options;
  const fs = session.fs;
  const parts: Hooks[] = [];
  const sigio = device.mode === 'sigio';
  // Only a channel the session talks to directly may have requests read or answered past it.
  const direct = (session.channel as unknown) === device && sigio && !session.cuse && o.debug === null;

  const coloc = o.colocate && !session.cuse && o.busyPoll > 0 && sigio ? systemColocation() : null;
  if (o.colocate && !session.cuse && !coloc) o.log('-o colocate is off: it needs CAP_SYS_NICE and busy polling (busy_poll > 0)');
  if (o.busyPoll > 0) parts.push(new Polling(o, () => session.inFlightCount > 0, device, coloc).hooks);

  let workers: Workers | null = null;
  let splicing: Splicing | null = null;
  if (direct && o.workers > 0 && fs.dataPath !== undefined) {
    workers = new Workers(session, device, fs.dataPath, o.workers);
    parts.push(workers.hooks);
  } else if (direct && o.splice && fs.writeSpliced !== undefined && fs.write !== undefined) {
    splicing = new Splicing(device);
    parts.push(splicing.hooks);
  }

  const hooks = plugHooks(parts);
  device.plug(hooks);
  session.plug(hooks, workers?.order ?? undefined);
  return {
    get stats(): AccelStats {
      return {
        splice: splicing?.stats ?? null,
        workers: workers?.stats ?? null,
        colocate: coloc ? { moves: coloc.moves, stalls: coloc.stalls, rescues: coloc.rescues } : null,
      };
    },
  };
}
