/**
 * The high-level entry point: mount a filesystem and serve it.
 *
 *   const m = await serve(myFs, '/mnt/x', { fsname: 'myfs', options: { writebackCache: true } });
 *   ...
 *   await m.unmount();
 */
import fs from 'node:fs';
import koffi from 'koffi';
import { DeviceChannel } from './device-channel';
import type { Filesystem } from './filesystem';
import type { SessionOptions } from './options';
import { Session, type SessionEnd } from './session';

export interface ServeOptions {
  /** Source shown in /proc/mounts (default "devfuse"). */
  fsname?: string;
  /** Mount type "fuse.<subtype>". */
  subtype?: string;
  /** Session options (timeouts, writeback cache, debug...). */
  options?: SessionOptions;
  /** Extra mount(2) data options such as "allow_other,default_permissions". */
  mountData?: string;
}

export interface Served {
  readonly session: Session;
  readonly mountpoint: string;
  /** Resolves when the session ends (unmounted from anywhere). */
  readonly ended: Promise<SessionEnd>;
  /** Unmounts (lazily if busy) and waits for the session to end. */
  unmount(): Promise<SessionEnd>;
}

// Temporary direct mount(2) until the mount layer (mount.ts) lands.
function rawMount(mountpoint: string, o: ServeOptions): number {
  const libc = koffi.load('libc.so.6');
  const mount = libc.func('int mount(const char*, const char*, const char*, unsigned long, const char*)');
  const fd = fs.openSync('/dev/fuse', fs.constants.O_RDWR);
  const data = [`fd=${fd}`, 'rootmode=40000', `user_id=${process.getuid?.() ?? 0}`, `group_id=${process.getgid?.() ?? 0}`];
  if (o.mountData) data.push(o.mountData);
  const type = o.subtype ? `fuse.${o.subtype}` : 'fuse';
  // MS_NOSUID | MS_NODEV
  if (mount(o.fsname ?? 'devfuse', mountpoint, type, 6, data.join(',')) !== 0) {
    fs.closeSync(fd);
    throw new Error(`mount ${mountpoint}: errno ${koffi.errno()}`);
  }
  return fd;
}

function rawUnmount(mountpoint: string, lazy: boolean): number {
  const libc = koffi.load('libc.so.6');
  const umount2 = libc.func('int umount2(const char*, int)');
  return umount2(mountpoint, lazy ? 2 : 0) === 0 ? 0 : koffi.errno();
}

export async function serve(filesystem: Filesystem, mountpoint: string, o: ServeOptions = {}): Promise<Served> {
  const fd = rawMount(mountpoint, o);
  const session = new Session(filesystem, new DeviceChannel(fd), o.options).start();
  await session.whenInitialized();
  return {
    session,
    mountpoint,
    ended: session.ended,
    async unmount() {
      if (rawUnmount(mountpoint, false) !== 0) rawUnmount(mountpoint, true);
      return session.ended;
    },
  };
}
