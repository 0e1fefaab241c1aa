/**
 * Character devices in userspace, written like a driver:
 *
 *   const dev = await createCuseDevice({
 *     name: 'mydev',
 *     read: (ctx, fh, size) => Buffer.from('hi\n'),
 *     write: (ctx, fh, data) => data.length,
 *   });
 *   // /dev/mydev now exists; dev.close() removes it.
 *
 * The device runs on the same session, dispatcher and codec as a FUSE
 * filesystem (CuseSession), through an adapter from device handlers to the
 * Filesystem interface. CUSE has no inodes: every request names node 0, and
 * the kernel sends every READ and WRITE at offset 0 (cuse_read_iter passes
 * a zero position), so a device that has a position keeps it per handle.
 */
import fs from 'node:fs';
import { O_NONBLOCK } from '../linux/constants';
import type { CuseParams } from '../protocol';
import { accelerate, DeviceChannel, type SessionEnd, type SessionOptions } from '../server/index';
import { FuseError } from '../api/errors';
import type { Filesystem, IoctlResult, OpenResult, PollHandle, RequestContext } from '../api/filesystem';
import { CuseSession } from './session';

/** O_NONBLOCK in the open flags the kernel passes along. */
export { O_NONBLOCK };

export interface CuseIoInfo {
  /** The file was opened O_NONBLOCK: answer EAGAIN instead of waiting. */
  nonblock: boolean;
  /** open(2) flags of the file. */
  flags: number;
}

export interface CuseIoctlInfo {
  /** FUSE_IOCTL_* flags of the request. */
  flags: number;
  /** CUSE_UNRESTRICTED_IOCTL was negotiated: `{ retry }` answers are allowed. */
  unrestricted: boolean;
}

export interface CuseDeviceHandlers {
  /** Returns a handle (number), an OpenResult, or nothing (handle 0). */
  open?(ctx: RequestContext, flags: number): number | OpenResult | void | Promise<number | OpenResult | void>;
  read?(ctx: RequestContext, fh: number, size: number, info: CuseIoInfo): Buffer | Promise<Buffer>;
  write?(ctx: RequestContext, fh: number, data: Buffer, info: CuseIoInfo): number | Promise<number>;
  ioctl?(ctx: RequestContext, fh: number, cmd: number, arg: bigint, input: Buffer, outSize: number, info: CuseIoctlInfo): IoctlResult | Promise<IoctlResult>;
  /** Returns the ready events (POLLIN...); keep `handle` and call handle.notify() when readiness changes. */
  poll?(ctx: RequestContext, fh: number, events: number, handle: PollHandle | null): number | Promise<number>;
  flush?(ctx: RequestContext, fh: number): void | Promise<void>;
  release?(ctx: RequestContext, fh: number, flags: number): void | Promise<void>;
  fsync?(ctx: RequestContext, fh: number, datasync: boolean): void | Promise<void>;
}

export interface CuseDeviceOptions extends CuseDeviceHandlers {
  /** /dev/<name> */
  name: string;
  /** Device numbers; 0 or absent lets the kernel choose the major. */
  major?: number;
  minor?: number;
  /** More KEY=VALUE info strings for the kernel. */
  info?: Record<string, string>;
  /** Ask for CUSE_UNRESTRICTED_IOCTL (default true): ioctls whose argument points to more user memory. */
  unrestrictedIoctl?: boolean;
  maxRead?: number;
  maxWrite?: number;
  session?: SessionOptions;
  /** The CUSE control device (default /dev/cuse). */
  cuseDevice?: string;
}

/** The Filesystem a CUSE session serves: device handlers behind the FUSE opcodes CUSE uses. */
export function cuseFilesystem(dev: CuseDeviceHandlers, unrestricted: () => boolean): Filesystem {
  const missing = (name: string): never => {
    throw new FuseError('ENOSYS', `device has no ${name} handler`);
  };
  const io = (flags: number): CuseIoInfo => ({ nonblock: (flags & O_NONBLOCK) !== 0, flags });
  return {
    open(ctx, _ino, flags) {
      if (!dev.open) return { directIo: true };
      return Promise.resolve(dev.open(ctx, flags)).then((r) => {
        const o: OpenResult = typeof r === 'number' ? { fh: r } : (r ?? {});
        // All CUSE I/O is direct: there is no page cache behind a character device.
        return { ...o, directIo: true };
      });
    },
    read: (ctx, _ino, fh, _off, size, info) => (dev.read ? dev.read(ctx, fh, size, io(info.flags)) : missing('read')),
    write: (ctx, _ino, fh, _off, data, info) => (dev.write ? dev.write(ctx, fh, data, io(info.flags)) : missing('write')),
    ioctl: (ctx, _ino, fh, cmd, arg, input, outSize, flags) =>
      dev.ioctl ? dev.ioctl(ctx, fh, cmd, arg, input, outSize, { flags, unrestricted: unrestricted() }) : missing('ioctl'),
    poll: (ctx, _ino, fh, events, handle) => (dev.poll ? dev.poll(ctx, fh, events, handle) : missing('poll')),
    flush: (ctx, _ino, fh) => dev.flush?.(ctx, fh),
    release: (ctx, _ino, fh, info) => dev.release?.(ctx, fh, info.flags),
    fsync: (ctx, _ino, fh, datasync) => dev.fsync?.(ctx, fh, datasync),
  };
}

export function cuseParams(o: CuseDeviceOptions): CuseParams {
  return {
    devname: o.name,
    info: o.info,
    devMajor: o.major ?? 0,
    devMinor: o.minor ?? 0,
    maxRead: o.maxRead,
    maxWrite: o.maxWrite,
    unrestrictedIoctl: o.unrestrictedIoctl ?? true,
  };
}

export interface CuseDevice {
  readonly session: CuseSession;
  /** /dev/<name> */
  readonly path: string;
  readonly ended: Promise<SessionEnd>;
  /** Closes /dev/cuse: the kernel removes the device node. */
  close(): Promise<SessionEnd>;
}

/** Opens /dev/cuse, answers CUSE_INIT, and resolves once the kernel has the device. */
export async function createCuseDevice(o: CuseDeviceOptions): Promise<CuseDevice> {
  const control = o.cuseDevice ?? '/dev/cuse';
  let fd: number;
  try {
    fd = fs.openSync(control, fs.constants.O_RDWR);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    const hint = code === 'ENOENT' ? ' (is the cuse module loaded? modprobe cuse)' : code === 'EACCES' ? ' (CUSE needs root)' : '';
    throw new Error(`cannot open ${control}: ${code ?? String(e)}${hint}`);
  }
  let session!: CuseSession;
  const filesystem = cuseFilesystem(o, () => session.unrestrictedIoctl);
  const device = new DeviceChannel(fd);
  session = new CuseSession(filesystem, device, cuseParams(o), o.session);
  // Busy-polling only: splice, data workers and colocation are FUSE's (accel/index.ts).
  accelerate(session, device);
  session.start();
  await session.whenInitialized();
  return {
    session,
    path: `/dev/${o.name}`,
    ended: session.ended,
    close: () => {
      session.close();
      return session.ended;
    },
  };
}
