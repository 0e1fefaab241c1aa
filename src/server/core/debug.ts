/**
 * --debug output: every request and reply, decoded, one line each (a line
 * longer than DEBUG_WIDTH continues on indented lines: see wrapDebugLine).
 *
 *   → 12 LOOKUP nodeid=1 uid=0 gid=0 pid=812 name="hello"
 *   ← 12 LOOKUP OK nodeid=2 generation=1 entry_valid=1 attr_valid=1 attr={ino=2 size=14 mode=0100444 ...} (34 µs)
 *   → 20 OPEN nodeid=2 uid=0 gid=0 pid=812 flags=O_RDONLY|O_LARGEFILE open_flags=0
 *   ← 20 OPEN OK fh=1 open_flags=KEEP_CACHE (12 µs)
 *   ← 22 READ OK 14 bytes "Hello, world!\n" (9 µs)
 *
 * Modes are octal, flags are named (open(2) flags, FATTR_*, FOPEN_*, INIT
 * flags...), unknown bits in hex.
 */
import {
  decodeReply, errnoName, FattrFlags, FopenFlags, FsyncFlags, GetattrFlags, initFlagNames, IoctlFlags, KERNEL_MINOR_VERSION, LkFlags,
  Opcode, opcodeName, OpenInFlags, OPS, PollFlags, ProtocolError, ReadFlags, readOutHeader, ReleaseFlags, SetxattrFlags, WriteFlags,
  type ReplyBody, type Request,
} from '../../protocol';
import {
  FALLOC_FL_KEEP_SIZE, FALLOC_FL_PUNCH_HOLE, FALLOC_FL_ZERO_RANGE, O_APPEND, O_ASYNC, O_CLOEXEC, O_CREAT, O_DIRECT, O_DIRECTORY, O_EXCL,
  O_NOATIME, O_NOCTTY, O_NOFOLLOW, O_NONBLOCK, O_PATH, O_TMPFILE, O_TRUNC, R_OK, RENAME_EXCHANGE, RENAME_NOREPLACE, RENAME_WHITEOUT, W_OK,
  X_OK, XATTR_CREATE, XATTR_REPLACE,
} from '../../linux/constants';

/** Lines longer than this continue on the next line, indented. */
export const DEBUG_WIDTH = 160;

type Names = Readonly<Record<string, number>>;

/** open(2) flags as x86-64/arm64 Linux number them (the kernel passes them through unchanged). */
const OPEN_FLAGS: Names = {
  O_CREAT, O_EXCL, O_NOCTTY, O_TRUNC, O_APPEND, O_NONBLOCK, O_DSYNC: 0o10000, O_ASYNC, O_DIRECT, O_LARGEFILE: 0o100000,
  O_DIRECTORY, O_NOFOLLOW, O_NOATIME, O_CLOEXEC, __O_SYNC: 0o4000000, O_PATH, __O_TMPFILE: O_TMPFILE & ~O_DIRECTORY,
  // The kernel's __FMODE_EXEC, which FUSE passes on in the OPEN flags of an execve().
  FMODE_EXEC: 0x20,
};
const ACCESS_MODES = ['O_RDONLY', 'O_WRONLY', 'O_RDWR', 'O_ACCMODE'];
const FALLOC_MODES: Names = {
  KEEP_SIZE: FALLOC_FL_KEEP_SIZE, PUNCH_HOLE: FALLOC_FL_PUNCH_HOLE, COLLAPSE_RANGE: 8, ZERO_RANGE: FALLOC_FL_ZERO_RANGE, INSERT_RANGE: 0x20,
  UNSHARE_RANGE: 0x40,
};
const ACCESS_MASK: Names = { R_OK, W_OK, X_OK };
const XATTR_FLAGS: Names = { XATTR_CREATE, XATTR_REPLACE };
const RENAME_FLAGS: Names = { RENAME_NOREPLACE, RENAME_EXCHANGE, RENAME_WHITEOUT };

function bitNames(v: number, names: Names): string {
  const out: string[] = [];
  let rest = v;
  for (const [n, bit] of Object.entries(names)) {
    if (bit !== 0 && (v & bit) === bit) {
      out.push(n);
      rest &= ~bit;
    }
  }
  if (rest) out.push(`0x${rest.toString(16)}`);
  return out.join('|') || '0';
}

function openFlags(v: number): string {
  const rest = bitNames(v & ~3, OPEN_FLAGS);
  return `${ACCESS_MODES[v & 3]}${rest === '0' ? '' : `|${rest}`}`;
}

const octal = (v: number): string => `0${v.toString(8)}`;

/** Opcodes whose `flags` are open(2) flags. */
const OPEN_FLAG_OPS = new Set<number>([
  Opcode.OPEN, Opcode.CREATE, Opcode.OPENDIR, Opcode.READ, Opcode.WRITE, Opcode.RELEASE, Opcode.RELEASEDIR,
  Opcode.READDIR, Opcode.READDIRPLUS, Opcode.TMPFILE,
]);

/** How a field reads best, by its name (as in fuse.h) and the request it is in. */
function formatField(key: string, v: number, opcode: number): string | undefined {
  switch (key) {
    case 'mode':
      return opcode === Opcode.FALLOCATE ? bitNames(v, FALLOC_MODES) : octal(v);
    case 'rootmode':
    case 'umask':
      return octal(v);
    case 'flags':
      if (OPEN_FLAG_OPS.has(opcode)) return openFlags(v);
      if (opcode === Opcode.IOCTL) return bitNames(v, IoctlFlags);
      if (opcode === Opcode.POLL) return bitNames(v, PollFlags);
      if (opcode === Opcode.SETXATTR) return bitNames(v, XATTR_FLAGS);
      if (opcode === Opcode.RENAME2) return bitNames(v, RENAME_FLAGS);
      return undefined;
    case 'open_flags':
      // In a request: FUSE_OPEN_*; in a reply (opcode < 0 marks one): FOPEN_*.
      return opcode < 0 ? bitNames(v, FopenFlags) : bitNames(v, OpenInFlags);
    case 'valid':
      return opcode === Opcode.SETATTR ? bitNames(v, FattrFlags) : undefined;
    case 'write_flags':
      return bitNames(v, WriteFlags);
    case 'read_flags':
      return bitNames(v, ReadFlags);
    case 'release_flags':
      return bitNames(v, ReleaseFlags);
    case 'getattr_flags':
      return bitNames(v, GetattrFlags);
    case 'lk_flags':
      return bitNames(v, LkFlags);
    case 'fsync_flags':
      return bitNames(v, FsyncFlags);
    case 'setxattr_flags':
      return bitNames(v, SetxattrFlags);
    case 'mask':
      return opcode === Opcode.ACCESS ? bitNames(v, ACCESS_MASK).replace(/^0$/, 'F_OK') : undefined;
    default:
      return undefined;
  }
}

function show(v: unknown, key: string, opcode: number): string {
  if (Buffer.isBuffer(v)) return `<${v.length} bytes>`;
  if (typeof v === 'string') return JSON.stringify(v);
  if (typeof v === 'bigint') return `0x${v.toString(16)}`;
  if (typeof v === 'number') return formatField(key, v, opcode) ?? String(v);
  if (Array.isArray(v)) return v.length > 8 ? `[${v.length} items]` : `[${v.map((x) => show(x, key, opcode)).join(', ')}]`;
  if (typeof v === 'object' && v !== null) return fields(v, opcode);
  return String(v);
}

/** SETATTR fields by the FATTR_* bit that says they are set; the others are noise. */
const SETATTR_FIELDS: Record<string, number> = {
  mode: FattrFlags.MODE, uid: FattrFlags.UID, gid: FattrFlags.GID, size: FattrFlags.SIZE, atime: FattrFlags.ATIME,
  mtime: FattrFlags.MTIME, ctime: FattrFlags.CTIME, fh: FattrFlags.FH, lock_owner: FattrFlags.LOCKOWNER,
};

/**
 * key=value for each field, nested structs in braces. A seconds field and
 * its nanoseconds (atime + atimensec, entry_valid + entry_valid_nsec) read
 * as one number; padding is left out, and so are SETATTR fields its
 * `valid` does not mark.
 */
function fields(o: object, opcode: number): string {
  const rec = o as Record<string, unknown>;
  const valid = opcode === Opcode.SETATTR && typeof rec['valid'] === 'number' ? rec['valid'] : undefined;
  const out: string[] = [];
  for (const [k, x] of Object.entries(rec)) {
    if (/^(padding|unused|dummy)\d*$/.test(k) || x === undefined) continue;
    const base = /^(.*?)_?nsec$/.exec(k)?.[1];
    if (base !== undefined && base in rec) continue;
    if (valid !== undefined && k in SETATTR_FIELDS && !(valid & SETATTR_FIELDS[k]!)) continue;
    const ns = rec[`${k}nsec`] ?? rec[`${k}_nsec`];
    if (typeof x === 'number' && typeof ns === 'number') {
      out.push(`${k}=${x}${ns ? `.${String(ns).padStart(9, '0').replace(/0+$/, '')}` : ''}`);
    } else if (typeof x === 'object' && x !== null && !Buffer.isBuffer(x) && !Array.isArray(x)) {
      out.push(`${k}={${fields(x, opcode)}}`);
    } else {
      out.push(`${k}=${show(x, k, opcode)}`);
    }
  }
  return out.join(' ');
}

export function formatRequest(req: Request, flags: { direct?: boolean; cuse?: boolean }): string {
  const h = req.header;
  const parts = [`→ ${h.unique} ${opcodeName(h.opcode)} nodeid=${h.nodeid} uid=${h.uid} gid=${h.gid} pid=${h.pid}`];
  if (flags.direct) parts.push('direct');
  if (flags.cuse) parts.push('cuse');
  for (const [k, v] of Object.entries(req)) {
    if (k === 'opcode' || k === 'header' || (k === 'ext' && v === null)) continue;
    if (req.opcode === Opcode.INIT && k === 'arg') {
      const { flags: f, flags2, ...rest } = v as { flags: number; flags2?: number };
      parts.push(`${fields(rest, req.opcode)} flags=${initFlagNames(BigInt(f) | (BigInt(flags2 ?? 0) << 32n))}`);
      continue;
    }
    parts.push(k === 'arg' ? show(v, k, req.opcode) : `${k}=${show(v, k, req.opcode)}`);
  }
  return parts.join(' ');
}

/** A few bytes of data, as text when they read as text. */
function preview(data: Buffer): string {
  const head = data.subarray(0, 32);
  const text = head.toString('latin1');
  const more = data.length > head.length ? '…' : '';
  return /^[\x20-\x7e\t\n\r]*$/.test(text) ? `${JSON.stringify(text)}${more}` : `<${head.toString('hex')}${more}>`;
}

/** What a successful reply carried, decoded. Reply fields are formatted with opcode -1 (FOPEN_* flags). */
function formatBody(b: ReplyBody): string {
  switch (b.kind) {
    case 'empty':
      return '';
    case 'entry':
      return fields(b.entry, -1);
    case 'attr':
      return fields(b.attr, -1);
    case 'open':
      return fields(b.open, -1);
    case 'create':
      return `${fields(b.entry, -1)} ${fields(b.open, -1)}`;
    case 'data':
      return `${b.data.length} bytes ${preview(b.data)}`;
    case 'write':
    case 'xattr_size':
      return `size=${b.size}`;
    case 'statfs':
      return fields(b.statfs, -1);
    case 'lk':
      return fields(b.lk, -1);
    case 'init': {
      const { flags: f, flags2, ...rest } = b.init as typeof b.init & { flags2?: number };
      return `${fields(rest, -1)} flags=${initFlagNames(BigInt(f) | (BigInt(flags2 ?? 0) << 32n))}`;
    }
    case 'bmap':
      return `block=${b.block}`;
    case 'ioctl':
      return `${fields(b.out, Opcode.IOCTL)}${b.iovs ? ` retry in=${b.iovs.in.length} out=${b.iovs.out.length}` : ` ${b.data.length} bytes`}`;
    case 'poll':
      return `revents=0x${b.revents.toString(16)}`;
    case 'lseek':
      return `offset=${b.offset}`;
    case 'statx':
      return fields(b.statx, -1);
    case 'copy':
      return `bytes=${b.bytes}`;
    case 'dirents': {
      const names = b.entries.slice(0, 16).map((e) => JSON.stringify(e.name)).join(' ');
      return `${b.entries.length} entr${b.entries.length === 1 ? 'y' : 'ies'}${names ? `: ${names}` : ''}${b.entries.length > 16 ? ' …' : ''}`;
    }
    case 'cuse_init':
      return `${fields(b.init, -1)} ${JSON.stringify(b.info.toString('latin1').replace(/\0+$/, '').split('\0').join(' '))}`;
  }
}

/**
 * A reply line: the error name, or OK and what the reply carried, and the
 * latency. `minor` is the negotiated protocol minor (the newest by default:
 * the sizes it decodes by are the same for every kernel since 7.23).
 */
export function formatReply(unique: number, opcode: number, bytes: Buffer | readonly Buffer[], startedNs: bigint, minor = KERNEL_MINOR_VERSION): string {
  const msg = Buffer.isBuffer(bytes) ? bytes : Buffer.concat(bytes as Buffer[]);
  const us = Number(process.hrtime.bigint() - startedNs) / 1000;
  const { error } = readOutHeader(msg);
  let status: string;
  if (error !== 0) {
    status = errnoName(-error);
  } else {
    const kind = OPS.get(opcode)?.reply ?? 'empty';
    const d = decodeReply(kind, msg, { minor });
    status = d instanceof ProtocolError || !d.body ? `OK ${msg.length - 16} bytes (undecodable: ${d instanceof ProtocolError ? d.message : 'no body'})` : `OK ${formatBody(d.body)}`.trimEnd();
  }
  return `← ${unique} ${opcodeName(opcode)} ${status} (${us.toFixed(0)} µs)`;
}

/**
 * Splits a line longer than `width` at spaces (and a long A|B|C list before
 * its bars) into a first line and continuation lines indented by four
 * spaces; unwrapDebug joins them back.
 */
export function wrapDebugLine(line: string, width = DEBUG_WIDTH): string {
  if (line.length <= width) return line;
  const tokens = line.split(' ').flatMap((t) => (t.length > width / 2 ? t.split(/(?=\|)/) : [t]));
  const lines: string[] = [];
  let cur = '';
  for (const t of tokens) {
    const sep = cur === '' || t.startsWith('|') ? '' : ' ';
    if (cur !== '' && cur.length + sep.length + t.length > width) {
      lines.push(cur);
      cur = `    ${t}`;
    } else {
      cur += sep + t;
    }
  }
  if (cur !== '') lines.push(cur);
  return lines.join('\n');
}

/** Debug output with its wrapped lines joined back: one line per request, reply or message. */
export function unwrapDebug(text: string): string {
  return text.replace(/\n {4}(?=\|)/g, '').replace(/\n {4}/g, ' ');
}

/** The `debug: true` sink: stderr, long lines wrapped. */
export function debugToStderr(line: string): void {
  process.stderr.write(`${wrapDebugLine(line)}\n`);
}
