/**
 * A CUSE session: the FUSE session and dispatcher, unchanged, behind
 * /dev/cuse. Only the first request differs — CUSE_INIT instead of INIT,
 * answered with cuse_init_out and the DEVNAME=... info strings, after which
 * the kernel creates /dev/<name> — and every request is flagged `cuse`, the
 * counterpart of the kernel's FUSE_DIO_CUSE, so the writeback-ordering check
 * skips it (a character device has no FUSE inode and no page cache).
 */
import { CuseInitFlags, Errno, Opcode, encodeCuseInfo, negotiateCuseInit, replyCuseInit, replyError, type Request } from '../protocol';
import type { Filesystem } from '../api/filesystem';
import { Session, type Channel, type SessionOptions } from '../server/index';
import type { CuseParams } from '../protocol';

export class CuseSession extends Session {
  /** The CUSE flags agreed (CUSE_UNRESTRICTED_IOCTL). */
  cuseFlags = 0;

  constructor(
    fs: Filesystem,
    channel: Channel,
    readonly params: CuseParams,
    options: SessionOptions = {},
  ) {
    super(fs, channel, options, true);
  }

  get unrestrictedIoctl(): boolean {
    return (this.cuseFlags & CuseInitFlags.UNRESTRICTED_IOCTL) !== 0;
  }

  protected override cuseInit(req: Extract<Request, { opcode: Opcode.CUSE_INIT }>): void {
    const u = req.header.unique;
    let info: Buffer;
    try {
      info = encodeCuseInfo(this.params);
    } catch (e) {
      this.options.log(`CUSE_INIT: ${e instanceof Error ? e.message : String(e)}`);
      this.write(u, replyError(u, Errno.EINVAL));
      return;
    }
    if (req.arg.major !== 7 || req.arg.minor < 11) {
      this.options.log(`CUSE_INIT: kernel speaks ${req.arg.major}.${req.arg.minor}; CUSE needs 7.11 or newer`);
      this.write(u, replyError(u, Errno.EPROTO));
      return;
    }
    const { out, minor, flags } = negotiateCuseInit(req.arg, this.params);
    this.cuseFlags = flags;
    this.negotiated(minor, 0n, Math.max(out.max_read, out.max_write));
    this.options.debug?.(`CUSE_INIT: kernel ${req.arg.major}.${req.arg.minor} flags ${req.arg.flags}; device ${this.params.devname}, unrestricted ioctl ${this.unrestrictedIoctl}`);
    this.initFilesystem(u, () => replyCuseInit(u, out, info));
  }
}
