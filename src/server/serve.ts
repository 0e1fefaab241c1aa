/**
 * The high-level entry point: mount a filesystem and serve it.
 *
 *   const m = await serve(myFs, '/mnt/x', { options: 'allow_other,writeback_cache' });
 *   ...
 *   await m.unmount();
 *
 * `options` takes `-o` strings (mount-level and session-level names mixed,
 * as on the command line) or objects; serve() splits them, mounts
 * (mount(2) as root, fusermount3 otherwise: mount.ts), starts a Session on
 * the device with the accelerations its options ask for (accel/index.ts)
 * and resolves once the kernel's INIT has been answered, so the mount is
 * usable by other processes. The session ends when the filesystem
 * is unmounted from anywhere (umount, fusermount3 -u, unmount()).
 */
import { accelerate, type AccelStats } from './accel/index';
import { DeviceChannel } from './device/device-channel';
import { RecordingChannel } from './core/recording-channel';
import type { Filesystem } from '../api/filesystem';
import { mount, type MountControl, type MountedFuse } from './device/mount';
import type { MountOptions } from './options/mount';
import { parseMountOptions, sessionOptionsFromMountOptions } from './options/parse';
import type { SessionOptions } from './options/session';
import { Session, type SessionEnd } from './core/session';

export interface ServeOptions {
  /** `-o` style options ("allow_other,attr_timeout=0"), mount- and session-level mixed. */
  options?: string | readonly string[];
  /** Mount-level options as an object (override `options`). */
  mount?: Partial<MountOptions>;
  /** Session options as an object (override `options`). */
  session?: SessionOptions;
  /** How to mount: mount(2), fusermount3, or auto (default). */
  control?: MountControl;
  /** Record every request and reply to this file (a devfuse trace: `devfuse trace show|replay`). */
  trace?: string;
}

export interface Served {
  readonly session: Session;
  readonly mountpoint: string;
  /** The mount: method taken, fstype, connection number... */
  readonly mounted: MountedFuse;
  /** The accelerations' counters (splice, data workers, colocation), for tests and benchmarks. */
  readonly accelerations: AccelStats;
  /** Resolves when the session ends (unmounted from anywhere). */
  readonly ended: Promise<SessionEnd>;
  /** Unmounts (lazily if the mount is busy) and waits for the session to end. */
  unmount(): Promise<SessionEnd>;
  /**
   * Forces the end: detaches the mount lazily if it is still there and
   * closes the connection, which the kernel then aborts (requests waiting
   * on it fail with ECONNABORTED, later access to a file still open with
   * ENOTCONN). For a mount that unmount() left busy.
   */
  abort(): Promise<SessionEnd>;
}

/** Splits `-o` strings into mount options and session options; unknown names are an error. */
export function resolveServeOptions(o: ServeOptions): { mount: MountOptions; session: SessionOptions } {
  const parsed = parseMountOptions(o.options === undefined ? [] : typeof o.options === 'string' ? [o.options] : o.options);
  const session = { ...sessionOptionsFromMountOptions(parsed.rest), ...o.session };
  return { mount: { ...parsed.mount, ...o.mount }, session };
}

export async function serve(filesystem: Filesystem, mountpoint: string, o: ServeOptions = {}): Promise<Served> {
  const { mount: mountOptions, session: sessionOptions } = resolveServeOptions(o);
  if (mountOptions.allow_root) sessionOptions.allowUids ??= [0, process.getuid?.() ?? 0];
  const m = mount(mountpoint, mountOptions, o.control);
  // The mount layer owns the fd: it must unmount (and dismiss its watchdog) before closing it.
  const device = new DeviceChannel(m.fd, { ownsFd: false });
  const channel = o.trace ? new RecordingChannel(device, o.trace) : device;
  const session = new Session(filesystem, channel, sessionOptions);
  const accel = accelerate(session, device);
  session.start();
  const ended = session.ended.then((end) => {
    m.close();
    return end;
  });
  try {
    await session.whenInitialized();
  } catch (e) {
    m.close();
    throw e;
  }
  return {
    session,
    mountpoint: m.mountpoint,
    mounted: m,
    get accelerations() {
      return accel.stats;
    },
    ended,
    async unmount() {
      try {
        m.unmount();
      } catch {
        // busy: detach now, the kernel finishes when the last user leaves
        m.unmount({ lazy: true });
      }
      return ended;
    },
    abort() {
      try {
        m.unmount({ lazy: true });
      } catch {
        // gone already, or someone mounted over it: closing the connection is what matters
      }
      session.close();
      return ended;
    },
  };
}
