/**
 * READDIR and READDIRPLUS reply bodies.
 *
 * Each record is fuse_dirent (or fuse_direntplus) + the name, padded with
 * zeros to a multiple of 8 (FUSE_DIRENT_ALIGN). The kernel asks for at most
 * `size` bytes; `add` writes an entry only if the whole padded record fits
 * and otherwise returns false and writes nothing, so a filesystem loops
 * `while (buf.add(...))` and resumes the next READDIR at the `off` of the
 * last entry that went in. Once an entry has not fit, every later one is
 * refused as well.
 */
import { InvalidReplyError } from './errors';
import { decodeName, nameByteLength, writeName } from './names';
import { Dirent, Direntplus, EntryOut } from './structs';

/** FUSE_DIRENT_ALIGN / FUSE_REC_ALIGN */
export function direntAlign(n: number): number {
  return (n + 7) & ~7;
}

export interface DirentInput {
  ino: number;
  /** Cookie for the next READDIR to start after this entry. Must be nonzero in practice: 0 means "from the start". */
  off: number;
  /** DT_* (DirentType): S_IFMT bits >> 12. */
  type: number;
  name: string;
}

function checkName(name: string): void {
  if (name.length === 0 || name.includes('/') || name.includes('\0')) {
    throw new InvalidReplyError(`directory entry name ${JSON.stringify(name)} is empty or contains '/' or NUL`);
  }
}

export class DirentBuffer {
  private readonly buf: Buffer;
  private pos = 0;
  private count = 0;
  /** An entry did not fit: later ones are refused too, so no entry is skipped. */
  private full = false;

  constructor(
    /** The `size` of the READDIR request. */
    readonly maxSize: number,
  ) {
    this.buf = Buffer.allocUnsafe(maxSize);
  }

  /** Bytes used so far. */
  get length(): number {
    return this.pos;
  }

  /** Entries added so far. */
  get entries(): number {
    return this.count;
  }

  /**
   * Adds a fuse_dirent; false (and nothing written) if it does not fit, and
   * from then on false for every entry, even a smaller one: the next READDIR
   * resumes after the last entry added, so an entry skipped here would be
   * lost to the caller that did not stop at the first false.
   */
  add(d: DirentInput): boolean {
    checkName(d.name);
    if (this.full) return false;
    const namelen = nameByteLength(d.name);
    const rec = direntAlign(Dirent.size + namelen);
    if (this.pos + rec > this.maxSize) return this.refuse();
    Dirent.write(this.buf, this.pos, { ino: d.ino, off: d.off, namelen, type: d.type });
    this.finishRecord(this.pos + Dirent.size, d.name, namelen, rec);
    return true;
  }

  /**
   * Adds a fuse_direntplus: the entry's lookup reply and its dirent. An
   * entry_out with nodeid 0 tells the kernel not to instantiate the inode
   * (and not to count a lookup); otherwise the kernel counts one lookup.
   */
  addPlus(entry: EntryOut, d: DirentInput): boolean {
    checkName(d.name);
    if (this.full) return false;
    const namelen = nameByteLength(d.name);
    const rec = direntAlign(Direntplus.size + namelen);
    if (this.pos + rec > this.maxSize) return this.refuse();
    EntryOut.write(this.buf, this.pos, entry);
    Dirent.write(this.buf, this.pos + EntryOut.size, { ino: d.ino, off: d.off, namelen, type: d.type });
    this.finishRecord(this.pos + Direntplus.size, d.name, namelen, rec);
    return true;
  }

  private refuse(): false {
    this.full = true;
    return false;
  }

  private finishRecord(nameAt: number, name: string, namelen: number, rec: number): void {
    writeName(this.buf, nameAt, name);
    this.buf.fill(0, nameAt + namelen, this.pos + rec);
    this.pos += rec;
    this.count++;
  }

  /** The records written, as a view (no copy). */
  finish(): Buffer {
    return this.buf.subarray(0, this.pos);
  }
}

export interface ParsedDirent extends DirentInput {
  /** For READDIRPLUS records. */
  entry?: EntryOut;
}

/**
 * Parses a READDIR(PLUS) reply body as the kernel does (fuse_parse_dirfile):
 * used by the emulator. Returns a message naming the first problem instead of
 * entries when the records are malformed.
 */
export function parseDirents(body: Buffer, plus: boolean): ParsedDirent[] | string {
  const out: ParsedDirent[] = [];
  const fixedSize = plus ? Direntplus.size : Dirent.size;
  let pos = 0;
  while (pos < body.length) {
    if (body.length - pos < fixedSize) return `record at ${pos}: ${body.length - pos} bytes left, a ${plus ? 'fuse_direntplus' : 'fuse_dirent'} needs ${fixedSize}`;
    const entry = plus ? EntryOut.read(body, pos) : undefined;
    const d = Dirent.read(body, pos + (plus ? EntryOut.size : 0));
    if (d.namelen === 0 || d.namelen > 1024) return `record at ${pos}: namelen ${d.namelen} (must be 1..1024, FUSE_NAME_MAX)`;
    const rec = direntAlign(fixedSize + d.namelen);
    if (pos + rec > body.length) return `record at ${pos}: needs ${rec} bytes with padding, ${body.length - pos} left`;
    const nameAt = pos + fixedSize;
    // The padding is not checked: the kernel skips it unread, and go-fuse leaves stale bytes there.
    const raw = body.subarray(nameAt, nameAt + d.namelen);
    if (raw.includes(0x2f) || raw.includes(0)) return `record at ${pos}: name contains '/' or NUL`;
    out.push({ ino: d.ino, off: d.off, type: d.type, name: decodeName(body, nameAt, nameAt + d.namelen), ...(entry ? { entry } : {}) });
    pos += rec;
  }
  return out;
}
