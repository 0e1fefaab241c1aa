/**
 * Notifications: messages the server sends unasked. They are written to
 * the device like replies, with unique 0 and the notify code in the `error`
 * field of fuse_out_header. decodeNotification is the kernel's side, for the
 * emulator.
 */
import { NotifyCode } from './constants';
import { Errno } from './errno';
import { ProtocolError } from './errors';
import { OUT_HEADER_SIZE, readOutHeader, writeOutHeader } from './header';
import type { Struct } from './layout';
import { decodeName, encodeName } from './names';
import {
  NotifyDeleteOut, NotifyInvalEntryOut, NotifyInvalInodeOut, NotifyPollWakeupOut, NotifyPruneOut, NotifyRetrieveOut,
  NotifyStoreOut,
} from './structs';

function notify<T>(code: NotifyCode, s: Struct<T> | null, value: T | null, tail: readonly Buffer[] = []): Buffer[] {
  const fixedSize = s ? s.size : 0;
  let len = OUT_HEADER_SIZE + fixedSize;
  for (const t of tail) len += t.length;
  const head = Buffer.allocUnsafe(OUT_HEADER_SIZE + fixedSize);
  writeOutHeader(head, len, code, 0);
  if (s) s.write(head, OUT_HEADER_SIZE, value as T);
  return [head, ...tail];
}

const NUL = Buffer.from([0]);

/** Wake up pollers of kernel poll handle `kh` (from a POLL request with FUSE_POLL_SCHEDULE_NOTIFY). */
export function notifyPoll(kh: number): Buffer[] {
  return notify(NotifyCode.POLL, NotifyPollWakeupOut, { kh });
}

/** Drop cached data of `ino` in [off, off+len) (len 0: to the end); off < 0 drops only attributes. */
export function notifyInvalInode(ino: number, off: number, len: number): Buffer[] {
  return notify(NotifyCode.INVAL_INODE, NotifyInvalInodeOut, { ino, off, len });
}

/** Drop the dentry `name` in `parent` (flags: FUSE_EXPIRE_ONLY, 7.38, to only expire it). */
export function notifyInvalEntry(parent: number, name: string, flags = 0): Buffer[] {
  const n = encodeName(name);
  return notify(NotifyCode.INVAL_ENTRY, NotifyInvalEntryOut, { parent, namelen: n.length, flags }, [n, NUL]);
}

/** Like INVAL_ENTRY, and if the dentry points to `child`, also delete it (as if unlinked). */
export function notifyDelete(parent: number, child: number, name: string): Buffer[] {
  const n = encodeName(name);
  return notify(NotifyCode.DELETE, NotifyDeleteOut, { parent, child, namelen: n.length }, [n, NUL]);
}

/** Put `data` into the page cache of `nodeid` at `offset`. */
export function notifyStore(nodeid: number, offset: number, data: Buffer): Buffer[] {
  return notify(NotifyCode.STORE, NotifyStoreOut, { nodeid, offset, size: data.length }, [data]);
}

/** Ask for the cached bytes of `nodeid`; the kernel answers with a NOTIFY_REPLY request whose unique is `notifyUnique`. */
export function notifyRetrieve(notifyUnique: number, nodeid: number, offset: number, size: number): Buffer[] {
  return notify(NotifyCode.RETRIEVE, NotifyRetrieveOut, { notify_unique: notifyUnique, nodeid, offset, size });
}

/** 7.40: ask the kernel to resend every request it has sent and not seen answered. */
export function notifyResend(): Buffer[] {
  return notify(NotifyCode.RESEND, null, null);
}

/** 7.44: bump the connection epoch, invalidating every cached dentry at once. */
export function notifyIncEpoch(): Buffer[] {
  return notify(NotifyCode.INC_EPOCH, null, null);
}

/** 7.45: ask the kernel to forget these inodes if they are unused. */
export function notifyPrune(nodeids: readonly number[]): Buffer[] {
  const ids = Buffer.alloc(8 * nodeids.length);
  nodeids.forEach((id, i) => {
    ids.writeUInt32LE(id >>> 0, 8 * i);
    ids.writeUInt32LE(Math.floor(id / 4294967296), 8 * i + 4);
  });
  return notify(NotifyCode.PRUNE, NotifyPruneOut, { count: nodeids.length }, [ids]);
}

export type Notification =
  | { code: NotifyCode.POLL; kh: number }
  | { code: NotifyCode.INVAL_INODE; ino: number; off: number; len: number }
  | { code: NotifyCode.INVAL_ENTRY; parent: number; name: string; flags: number }
  | { code: NotifyCode.DELETE; parent: number; child: number; name: string }
  | { code: NotifyCode.STORE; nodeid: number; offset: number; data: Buffer }
  | { code: NotifyCode.RETRIEVE; notify_unique: number; nodeid: number; offset: number; size: number }
  | { code: NotifyCode.RESEND }
  | { code: NotifyCode.INC_EPOCH }
  | { code: NotifyCode.PRUNE; nodeids: number[] };

/** Decodes one notification as the kernel's fuse_notify() would, with its checks. */
export function decodeNotification(msg: Buffer): Notification | ProtocolError {
  try {
    if (msg.length < OUT_HEADER_SIZE) throw new ProtocolError('SHORT_HEADER', `notification of ${msg.length} bytes`);
    const h = readOutHeader(msg);
    if (h.len !== msg.length) throw new ProtocolError('LENGTH_MISMATCH', `fuse_out_header.len is ${h.len}, ${msg.length} bytes written`);
    const body = msg.subarray(OUT_HEADER_SIZE);
    const need = (s: Struct<unknown>): void => {
      if (body.length < s.size) throw new ProtocolError('TRUNCATED', `notify ${NotifyCode[h.error] ?? h.error}: ${s.cName} needs ${s.size} bytes, got ${body.length}`);
    };
    const exact = (n: number): void => {
      if (body.length !== n) throw new ProtocolError('BAD_VALUE', `notify ${NotifyCode[h.error]}: body is ${body.length} bytes, expected ${n}`);
    };
    const nameAfter = (at: number, namelen: number): string => {
      // FUSE_NAME_MAX (fs/fuse/fuse_i.h): the kernel answers ENAMETOOLONG before looking further.
      if (namelen > 1024) throw new ProtocolError('BAD_VALUE', `notify ${NotifyCode[h.error]}: namelen ${namelen} exceeds FUSE_NAME_MAX (1024)`, Errno.ENAMETOOLONG);
      exact(at + namelen + 1);
      if (body[at + namelen] !== 0) throw new ProtocolError('UNTERMINATED_STRING', `notify ${NotifyCode[h.error]}: name is not NUL-terminated`);
      return decodeName(body, at, at + namelen);
    };
    switch (h.error) {
      case NotifyCode.POLL:
        need(NotifyPollWakeupOut);
        exact(NotifyPollWakeupOut.size); // fuse_notify_poll: size != sizeof(outarg) is EINVAL
        return { code: h.error, ...NotifyPollWakeupOut.read(body, 0) };
      case NotifyCode.INVAL_INODE:
        need(NotifyInvalInodeOut);
        exact(NotifyInvalInodeOut.size);
        return { code: h.error, ...NotifyInvalInodeOut.read(body, 0) };
      case NotifyCode.INVAL_ENTRY: {
        need(NotifyInvalEntryOut);
        const o = NotifyInvalEntryOut.read(body, 0);
        return { code: h.error, parent: o.parent, flags: o.flags, name: nameAfter(NotifyInvalEntryOut.size, o.namelen) };
      }
      case NotifyCode.DELETE: {
        need(NotifyDeleteOut);
        const o = NotifyDeleteOut.read(body, 0);
        return { code: h.error, parent: o.parent, child: o.child, name: nameAfter(NotifyDeleteOut.size, o.namelen) };
      }
      case NotifyCode.STORE: {
        need(NotifyStoreOut);
        const o = NotifyStoreOut.read(body, 0);
        exact(NotifyStoreOut.size + o.size);
        return { code: h.error, nodeid: o.nodeid, offset: o.offset, data: body.subarray(NotifyStoreOut.size) };
      }
      case NotifyCode.RETRIEVE:
        need(NotifyRetrieveOut);
        exact(NotifyRetrieveOut.size);
        return { code: h.error, ...NotifyRetrieveOut.read(body, 0) };
      case NotifyCode.RESEND:
      case NotifyCode.INC_EPOCH:
        exact(0);
        return { code: h.error };
      case NotifyCode.PRUNE: {
        need(NotifyPruneOut);
        const { count } = NotifyPruneOut.read(body, 0);
        exact(NotifyPruneOut.size + 8 * count);
        const nodeids: number[] = [];
        for (let i = 0; i < count; i++) {
          const at = NotifyPruneOut.size + 8 * i;
          nodeids.push(body.readUInt32LE(at) + body.readUInt32LE(at + 4) * 4294967296);
        }
        return { code: h.error, nodeids };
      }
      default:
        throw new ProtocolError('UNKNOWN_OPCODE', `unknown notify code ${h.error}`);
    }
  } catch (e) {
    if (e instanceof ProtocolError) return e;
    throw e;
  }
}
