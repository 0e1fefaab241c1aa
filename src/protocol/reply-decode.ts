/**
 * Reply decoding: the kernel's side of each reply kind, with the checks the
 * kernel makes (fuse_dev_do_write, copy_out_args): the length in the header
 * equals the bytes written, an error reply is a bare header with an errno
 * in range, a fixed-size reply has exactly its struct's size for the
 * negotiated minor, and a variable reply is no longer than was asked for.
 * The emulator and the round-trip tests use it.
 */
import { CompatSize, CUSE_INIT_INFO_MAX, IoctlFlags } from './constants';
import { MAX_ERRNO } from './errno';
import { ProtocolError } from './errors';
import { OUT_HEADER_SIZE, readOutHeader } from './header';
import type { Struct } from './layout';
import { parseDirents, type ParsedDirent } from './dirent';
import type { ReplyKind } from './op';
import { initOutSize } from './replies';
import {
  AttrOut, BmapOut, CopyFileRangeOut, CuseInitOut, EntryOut, GetxattrOut, InitOut, IoctlIovec, IoctlOut, LkOut,
  LseekOut, OpenOut, PollOut, StatfsOut, StatxOut, WriteOut,
  type IoctlIovec as IoctlIovecT,
} from './structs';

export interface ReplyExpectation {
  /** Negotiated minor (for the FUSE_COMPAT_* sizes). */
  minor: number;
  /** For data, xattr and dirent replies: the `size` the request asked for. */
  size?: number;
}

export type ReplyBody =
  | { kind: 'empty' }
  | { kind: 'entry'; entry: EntryOut }
  | { kind: 'attr'; attr: AttrOut }
  | { kind: 'open'; open: OpenOut }
  | { kind: 'create'; entry: EntryOut; open: OpenOut }
  | { kind: 'data'; data: Buffer }
  | { kind: 'write'; size: number }
  | { kind: 'statfs'; statfs: StatfsOut }
  | { kind: 'xattr_size'; size: number }
  | { kind: 'lk'; lk: LkOut }
  | { kind: 'init'; init: InitOut }
  | { kind: 'bmap'; block: number }
  | { kind: 'ioctl'; out: IoctlOut; data: Buffer; iovs?: { in: IoctlIovecT[]; out: IoctlIovecT[] } }
  | { kind: 'poll'; revents: number }
  | { kind: 'lseek'; offset: number }
  | { kind: 'statx'; statx: StatxOut }
  | { kind: 'copy'; bytes: number }
  | { kind: 'dirents'; entries: ParsedDirent[]; raw: Buffer }
  | { kind: 'cuse_init'; init: CuseInitOut; info: Buffer };

export interface DecodedReply {
  unique: number;
  /** 0 or a negative errno. */
  error: number;
  /** Present on success. */
  body?: ReplyBody;
}

function bad(message: string): never {
  throw new ProtocolError('BAD_VALUE', message);
}

function exactly<T>(body: Buffer, s: Struct<T>, size: number, what: string): T {
  if (body.length !== size) bad(`${what} reply body is ${body.length} bytes, ${s.cName} is ${size}`);
  if (size === s.size) return s.read(body, 0);
  const full = Buffer.alloc(s.size);
  body.copy(full);
  return s.read(full, 0);
}

function atMost(body: Buffer, size: number | undefined, what: string): void {
  if (size !== undefined && body.length > size) bad(`${what} reply carries ${body.length} bytes, the request asked for at most ${size}`);
}

export function decodeReply(kind: ReplyKind, msg: Buffer, x: ReplyExpectation): DecodedReply | ProtocolError {
  try {
    if (msg.length < OUT_HEADER_SIZE) throw new ProtocolError('SHORT_HEADER', `reply of ${msg.length} bytes is shorter than fuse_out_header`);
    const h = readOutHeader(msg);
    if (h.len !== msg.length) throw new ProtocolError('LENGTH_MISMATCH', `fuse_out_header.len is ${h.len} but ${msg.length} bytes were written`);
    if (h.error > 0 || h.error < -MAX_ERRNO) bad(`error ${h.error} is not 0 or a negative errno above -${MAX_ERRNO + 1}`);
    if (h.error !== 0) {
      if (msg.length !== OUT_HEADER_SIZE) bad(`error reply (${h.error}) carries ${msg.length - OUT_HEADER_SIZE} bytes of body`);
      return { unique: h.unique, error: h.error };
    }
    const body = msg.subarray(OUT_HEADER_SIZE);
    return { unique: h.unique, error: 0, body: decodeBody(kind, body, x) };
  } catch (e) {
    if (e instanceof ProtocolError) return e;
    throw e;
  }
}

function decodeBody(kind: ReplyKind, body: Buffer, x: ReplyExpectation): ReplyBody {
  switch (kind) {
    case 'none':
      return bad('this request takes no reply');
    case 'interrupt':
      return bad('INTERRUPT is answered only with an error (EAGAIN), never with success');
    case 'empty':
      if (body.length !== 0) bad(`reply should be a bare header, carries ${body.length} bytes`);
      return { kind: 'empty' };
    case 'entry':
      return { kind: 'entry', entry: exactly(body, EntryOut, x.minor < 9 ? CompatSize.ENTRY_OUT : EntryOut.size, 'entry') };
    case 'attr':
      return { kind: 'attr', attr: exactly(body, AttrOut, x.minor < 9 ? CompatSize.ATTR_OUT : AttrOut.size, 'attr') };
    case 'open':
      return { kind: 'open', open: exactly(body, OpenOut, OpenOut.size, 'open') };
    case 'create':
      if (body.length !== EntryOut.size + OpenOut.size) bad(`create reply body is ${body.length} bytes, expected ${EntryOut.size + OpenOut.size}`);
      return { kind: 'create', entry: EntryOut.read(body, 0), open: OpenOut.read(body, EntryOut.size) };
    case 'data':
      atMost(body, x.size, 'data');
      return { kind: 'data', data: body };
    case 'write':
      return { kind: 'write', size: exactly(body, WriteOut, WriteOut.size, 'write').size };
    case 'statfs':
      return { kind: 'statfs', statfs: exactly(body, StatfsOut, x.minor < 4 ? CompatSize.STATFS : StatfsOut.size, 'statfs') };
    case 'xattr':
      if (x.size === 0) return { kind: 'xattr_size', size: exactly(body, GetxattrOut, GetxattrOut.size, 'xattr size').size };
      atMost(body, x.size, 'xattr');
      return { kind: 'data', data: body };
    case 'lk':
      return { kind: 'lk', lk: exactly(body, LkOut, LkOut.size, 'lk') };
    case 'init':
      return { kind: 'init', init: exactly(body, InitOut, initOutSize(x.minor), 'init') };
    case 'bmap':
      return { kind: 'bmap', block: exactly(body, BmapOut, BmapOut.size, 'bmap').block };
    case 'ioctl': {
      if (body.length < IoctlOut.size) bad(`ioctl reply body is ${body.length} bytes, fuse_ioctl_out is ${IoctlOut.size}`);
      const out = IoctlOut.read(body, 0);
      const rest = body.subarray(IoctlOut.size);
      if (out.flags & IoctlFlags.RETRY) {
        const n = out.in_iovs + out.out_iovs;
        if (rest.length !== n * IoctlIovec.size) bad(`ioctl retry lists ${n} iovecs but carries ${rest.length} bytes`);
        const all = Array.from({ length: n }, (_, i) => IoctlIovec.read(rest, i * IoctlIovec.size));
        return { kind: 'ioctl', out, data: Buffer.alloc(0), iovs: { in: all.slice(0, out.in_iovs), out: all.slice(out.in_iovs) } };
      }
      atMost(rest, x.size, 'ioctl output');
      return { kind: 'ioctl', out, data: rest };
    }
    case 'poll':
      return { kind: 'poll', revents: exactly(body, PollOut, PollOut.size, 'poll').revents };
    case 'lseek':
      return { kind: 'lseek', offset: exactly(body, LseekOut, LseekOut.size, 'lseek').offset };
    case 'statx':
      return { kind: 'statx', statx: exactly(body, StatxOut, StatxOut.size, 'statx') };
    case 'copy':
      return { kind: 'copy', bytes: exactly(body, CopyFileRangeOut, CopyFileRangeOut.size, 'copy_file_range').bytes_copied };
    case 'dirents':
    case 'direntsplus': {
      atMost(body, x.size, kind);
      const entries = parseDirents(body, kind === 'direntsplus');
      if (typeof entries === 'string') bad(`${kind}: ${entries}`);
      return { kind: 'dirents', entries, raw: body };
    }
    case 'cuse_init':
      if (body.length < CuseInitOut.size) bad(`cuse_init reply body is ${body.length} bytes, cuse_init_out is ${CuseInitOut.size}`);
      // cuse_send_init asks for at most CUSE_INIT_INFO_MAX bytes of info strings.
      atMost(body.subarray(CuseInitOut.size), CUSE_INIT_INFO_MAX, 'cuse_init info');
      return { kind: 'cuse_init', init: CuseInitOut.read(body, 0), info: body.subarray(CuseInitOut.size) };
  }
}
