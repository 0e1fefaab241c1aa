/**
 * Reading and writing request bodies: the bytes after fuse_in_header and
 * before the request extensions. Every bounds check of the decoder lives in
 * Cursor, so the per-opcode decoders in ops/ cannot read past a request.
 */
import { ProtocolError } from './errors';
import type { Struct } from './layout';
import { decodeName, nameByteLength, writeName } from './names';

/** What the decoder needs to know of the negotiated session. */
export interface DecodeContext {
  /** The negotiated minor version (KERNEL_MINOR_VERSION before INIT). */
  readonly minor: number;
  /** FUSE_SETXATTR_EXT was negotiated: fuse_setxattr_in is 16 bytes, not 8. */
  readonly setxattrExt: boolean;
  /**
   * A WRITE whose data the server left outside the buffer (spliced into a
   * pipe): this many bytes follow fuse_write_in on the wire but not in
   * the buffer, and the decoded `data` is empty.
   */
  readonly payloadOutside?: number;
}

export class Cursor {
  pos: number;
  constructor(
    readonly buf: Buffer,
    start: number,
    readonly end: number,
    /** For messages: "LOOKUP". */
    readonly what: string,
  ) {
    this.pos = start;
  }

  get remaining(): number {
    return this.end - this.pos;
  }

  /** A fixed struct; TRUNCATED if the body is shorter. */
  struct<T>(s: Struct<T>): T {
    if (this.end - this.pos < s.size) {
      throw new ProtocolError('TRUNCATED', `${this.what}: ${s.cName} needs ${s.size} bytes, ${this.end - this.pos} left`);
    }
    const v = s.read(this.buf, this.pos);
    this.pos += s.size;
    return v;
  }

  /**
   * A struct of which an older protocol sends only the first `size` bytes
   * (the FUSE_COMPAT_* sizes): the missing tail reads as zero.
   */
  structPrefix<T>(s: Struct<T>, size: number): T {
    if (size >= s.size) return this.struct(s);
    if (this.end - this.pos < size) {
      throw new ProtocolError('TRUNCATED', `${this.what}: ${s.cName} needs ${size} bytes, ${this.end - this.pos} left`);
    }
    const tmp = Buffer.alloc(s.size);
    this.buf.copy(tmp, 0, this.pos, this.pos + size);
    this.pos += size;
    return s.read(tmp, 0);
  }

  /** A NUL-terminated string (a name, a symlink target, an xattr name). */
  string(field: string): string {
    const nul = this.buf.indexOf(0, this.pos);
    if (nul < 0 || nul >= this.end) {
      throw new ProtocolError('UNTERMINATED_STRING', `${this.what}: ${field} is not NUL-terminated within the request`);
    }
    const s = decodeName(this.buf, this.pos, nul);
    this.pos = nul + 1;
    return s;
  }

  /** `n` bytes as a view into the request buffer (no copy). */
  bytes(n: number, field: string): Buffer {
    if (n > this.end - this.pos) {
      throw new ProtocolError('TRUNCATED', `${this.what}: ${field} says ${n} bytes, ${this.end - this.pos} left`);
    }
    const v = this.buf.subarray(this.pos, this.pos + n);
    this.pos += n;
    return v;
  }

  /** The rest of the body as a view (no copy). */
  rest(): Buffer {
    const v = this.buf.subarray(this.pos, this.end);
    this.pos = this.end;
    return v;
  }

  /** `count` structs in a row; the count is checked against the bytes first, so a huge count cannot allocate. */
  array<T>(s: Struct<T>, count: number, field: string): T[] {
    if (count * s.size > this.end - this.pos) {
      throw new ProtocolError('TRUNCATED', `${this.what}: ${field} says ${count} × ${s.cName}, only ${this.end - this.pos} bytes left`);
    }
    const out = new Array<T>(count);
    for (let i = 0; i < count; i++) {
      out[i] = s.read(this.buf, this.pos);
      this.pos += s.size;
    }
    return out;
  }
}

/** Builds a body by parts; used to encode requests (the emulator) and multi-part replies. */
export class BodyWriter {
  private readonly parts: Buffer[] = [];
  private bytes = 0;

  get length(): number {
    return this.bytes;
  }

  struct<T>(s: Struct<T>, value: T, size: number = s.size): this {
    const b = s.encode(value);
    return this.raw(size < s.size ? b.subarray(0, size) : b);
  }

  string(value: string): this {
    const b = Buffer.allocUnsafe(nameByteLength(value) + 1);
    const n = writeName(b, 0, value);
    b[n] = 0;
    return this.raw(b);
  }

  raw(b: Buffer): this {
    this.parts.push(b);
    this.bytes += b.length;
    return this;
  }

  array<T>(s: Struct<T>, values: readonly T[]): this {
    for (const v of values) this.struct(s, v);
    return this;
  }

  concat(): Buffer {
    return this.parts.length === 1 ? this.parts[0]! : Buffer.concat(this.parts, this.bytes);
  }

  buffers(): Buffer[] {
    return this.parts;
  }
}
