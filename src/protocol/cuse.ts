/**
 * CUSE_INIT negotiation and the device info strings.
 *
 * The kernel (cuse_process_init_reply) needs major 7 and minor ≥ 11,
 * max_write ≥ 4096, and an info block of "KEY=VALUE\0" strings no longer
 * than CUSE_INIT_INFO_MAX in which DEVNAME names the device node
 * (/dev/<DEVNAME>). dev_major 0 asks for a dynamic major.
 */
import { CUSE_INIT_INFO_MAX, CuseInitFlags, KERNEL_MINOR_VERSION, KERNEL_VERSION } from './constants';
import { InvalidReplyError } from './errors';
import type { CuseInitIn, CuseInitOut } from './structs';

export interface CuseParams {
  /** The device node's name under /dev (DEVNAME). */
  devname: string;
  /** Further KEY=VALUE strings (e.g. MODALIAS). */
  info?: Record<string, string>;
  /** 0 = let the kernel pick. */
  devMajor?: number;
  devMinor?: number;
  maxRead?: number;
  maxWrite?: number;
  /** Ask for CUSE_UNRESTRICTED_IOCTL (ioctls with arbitrary argument memory, via FUSE_IOCTL_RETRY). */
  unrestrictedIoctl?: boolean;
}

/** The NUL-separated info block; throws InvalidReplyError if it is not valid for the kernel. */
export function encodeCuseInfo(p: CuseParams): Buffer {
  if (!p.devname || p.devname.includes('\0') || p.devname.includes('=')) {
    throw new InvalidReplyError(`CUSE DEVNAME ${JSON.stringify(p.devname)} must be non-empty, without NUL or '='`);
  }
  const strings = [`DEVNAME=${p.devname}`];
  for (const [k, v] of Object.entries(p.info ?? {})) {
    if (!k || k.includes('=') || k.includes('\0') || v.includes('\0')) throw new InvalidReplyError(`CUSE info ${JSON.stringify(k)}=${JSON.stringify(v)} is not a valid KEY=VALUE string`);
    if (k === 'DEVNAME') continue;
    strings.push(`${k}=${v}`);
  }
  const info = Buffer.from(strings.map((s) => s + '\0').join(''), 'utf8');
  if (info.length > CUSE_INIT_INFO_MAX) throw new InvalidReplyError(`CUSE info strings are ${info.length} bytes; the kernel takes at most ${CUSE_INIT_INFO_MAX}`);
  return info;
}

/** Parses an info block back into KEY=VALUE pairs (the emulator's side). */
export function decodeCuseInfo(info: Buffer): Record<string, string> {
  const out: Record<string, string> = {};
  for (const s of info.toString('utf8').split('\0')) {
    if (!s) continue;
    const eq = s.indexOf('=');
    if (eq > 0) out[s.slice(0, eq)] = s.slice(eq + 1);
  }
  return out;
}

export function negotiateCuseInit(arg: CuseInitIn, p: CuseParams): { out: CuseInitOut; minor: number; flags: number } {
  const flags = arg.flags & (p.unrestrictedIoctl ? CuseInitFlags.UNRESTRICTED_IOCTL : 0);
  const out: CuseInitOut = {
    major: KERNEL_VERSION,
    minor: KERNEL_MINOR_VERSION,
    flags,
    max_read: p.maxRead ?? 131072,
    max_write: Math.max(4096, p.maxWrite ?? 131072),
    dev_major: p.devMajor ?? 0,
    dev_minor: p.devMinor ?? 0,
  };
  return { out, minor: Math.min(arg.minor, KERNEL_MINOR_VERSION), flags };
}
