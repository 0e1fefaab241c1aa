/**
 * A device with typed ioctls, in the manner of libfuse's fioc/cusexmp
 * examples: a resizable byte buffer read and written like a file (each open
 * handle keeps its own position), whose size is got and set by ioctl, and
 * whose contents can also be read and written by ioctls that pass a pointer
 * to a struct holding a further pointer — the case that needs CUSE's
 * unrestricted ioctls and the FUSE_IOCTL_RETRY dance:
 *
 *   FIOC_GET_SIZE  _IOR('E', 0, size_t)   → the size
 *   FIOC_SET_SIZE  _IOW('E', 1, size_t)   ← a new size (zero-filled growth)
 *   FIOC_READ      _IO('E', 2)            struct fioc_rw_arg *: read into ->buf
 *   FIOC_WRITE     _IO('E', 3)            struct fioc_rw_arg *: write from ->buf
 *
 * struct fioc_rw_arg { off_t offset; void *buf; size_t size; size_t prev_size; size_t new_size; }
 * (40 bytes on 64-bit Linux); prev_size/new_size report the buffer size around the call.
 */
import { FuseError } from '../../api/errors';
import type { IoctlResult } from '../../api/filesystem';
import type { CuseDeviceOptions } from '../device';

const ioc = (dir: number, nr: number, size: number): number => ((dir << 30) | (size << 16) | (0x45 << 8) | nr) >>> 0;
export const FIOC_GET_SIZE = ioc(2, 0, 8);
export const FIOC_SET_SIZE = ioc(1, 1, 8);
export const FIOC_READ = ioc(0, 2, 0);
export const FIOC_WRITE = ioc(0, 3, 0);
export const FIOC_RW_ARG_SIZE = 40;
/** The largest buffer the device grows to. */
export const FIOC_MAX_SIZE = 1 << 20;

interface RwArg {
  offset: number;
  buf: bigint;
  size: number;
}

function readRwArg(b: Buffer): RwArg {
  return { offset: Number(b.readBigInt64LE(0)), buf: b.readBigUInt64LE(8), size: Number(b.readBigUInt64LE(16)) };
}

export function fiocDevice(o: { name?: string } = {}): CuseDeviceOptions {
  let data = Buffer.alloc(0);
  const positions = new Map<number, number>();
  let nextFh = 1;

  const resize = (n: number): void => {
    if (n < 0 || n > FIOC_MAX_SIZE) throw new FuseError('EINVAL');
    const next = Buffer.alloc(n);
    data.copy(next, 0, 0, Math.min(n, data.length));
    data = next;
  };

  const rwResult = (prev: number, extra?: Buffer): Buffer => {
    const out = Buffer.alloc(FIOC_RW_ARG_SIZE);
    out.writeBigUInt64LE(BigInt(prev), 24);
    out.writeBigUInt64LE(BigInt(data.length), 32);
    return extra ? Buffer.concat([out, extra]) : out;
  };

  return {
    name: o.name ?? 'devfuse-fioc',
    open() {
      const fh = nextFh++;
      positions.set(fh, 0);
      return fh;
    },
    release(_ctx, fh) {
      positions.delete(fh);
    },
    read(_ctx, fh, size) {
      const pos = positions.get(fh) ?? 0;
      const out = Buffer.from(data.subarray(Math.min(pos, data.length), Math.min(pos + size, data.length)));
      positions.set(fh, pos + out.length);
      return out;
    },
    write(_ctx, fh, chunk) {
      const pos = positions.get(fh) ?? 0;
      if (pos + chunk.length > data.length) resize(pos + chunk.length);
      chunk.copy(data, pos);
      positions.set(fh, pos + chunk.length);
      return chunk.length;
    },
    ioctl(_ctx, _fh, cmd, arg, input, outSize, info): IoctlResult {
      switch (cmd) {
        case FIOC_GET_SIZE:
          // Unrestricted ioctls start with no buffers: ask for the 8 bytes at `arg`.
          if (outSize < 8) return info.unrestricted ? { retry: { in: [], out: [{ base: arg, len: 8 }] } } : fail('EINVAL');
          return { result: 0, data: u64(data.length) };
        case FIOC_SET_SIZE:
          if (input.length < 8) return info.unrestricted ? { retry: { in: [{ base: arg, len: 8 }], out: [] } } : fail('EINVAL');
          resize(Number(input.readBigUInt64LE(0)));
          return { result: 0 };
        case FIOC_READ:
        case FIOC_WRITE: {
          if (!info.unrestricted) return fail('ENOTTY');
          const argIov = { base: arg, len: FIOC_RW_ARG_SIZE };
          if (input.length < FIOC_RW_ARG_SIZE) return { retry: { in: [argIov], out: [] } };
          const rw = readRwArg(input);
          if (rw.offset < 0 || rw.size > FIOC_MAX_SIZE) return fail('EINVAL');
          const bufIov = { base: rw.buf, len: rw.size };
          const prev = data.length;
          if (cmd === FIOC_READ) {
            // Second round: we have the struct, now ask to write back the struct and the data.
            if (outSize < FIOC_RW_ARG_SIZE + rw.size) return { retry: { in: [argIov], out: [argIov, bufIov] } };
            const chunk = Buffer.alloc(rw.size);
            data.copy(chunk, 0, Math.min(rw.offset, data.length), Math.min(rw.offset + rw.size, data.length));
            return { result: Math.max(0, Math.min(rw.size, data.length - rw.offset)), data: rwResult(prev, chunk) };
          }
          if (input.length < FIOC_RW_ARG_SIZE + rw.size) return { retry: { in: [argIov, bufIov], out: [argIov] } };
          if (rw.offset + rw.size > data.length) resize(rw.offset + rw.size);
          input.copy(data, rw.offset, FIOC_RW_ARG_SIZE, FIOC_RW_ARG_SIZE + rw.size);
          return { result: rw.size, data: rwResult(prev) };
        }
        default:
          return fail('ENOTTY');
      }
    },
  };
}

function fail(code: 'EINVAL' | 'ENOTTY'): never {
  throw new FuseError(code);
}

function u64(n: number): Buffer {
  const b = Buffer.alloc(8);
  b.writeBigUInt64LE(BigInt(n));
  return b;
}
