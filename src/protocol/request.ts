/**
 * The one entry point from bytes to a typed request, and back (for the
 * emulator, which plays the kernel).
 *
 * decodeRequest(buf, length, ctx):
 *   1. checks the header: at least 40 bytes, `len` equal to the bytes read;
 *   2. splits off the request extensions (the last total_extlen × 8 bytes);
 *   3. hands the body to the opcode's decoder from the opcode table (ops/).
 * Any malformation comes back as a ProtocolError (returned, not thrown) that
 * names the problem and carries the errno to answer with and, when the
 * header was readable, the unique to answer to.
 */
import { Cursor, BodyWriter, type DecodeContext } from './body';
import { ExtType, KERNEL_MINOR_VERSION, Opcode, opcodeName } from './constants';
import { ProtocolError } from './errors';
import { IN_HEADER_SIZE, readInHeader, readUnique, writeInHeader } from './header';
import type { Extensions } from './op';
import { OPS, type Request } from './ops';
import { ExtHeader, Secctx, SecctxHeader, SuppGroups, type InHeader } from './structs';

export type { Request } from './ops';

/** Before INIT: the newest layouts. */
export const DEFAULT_DECODE_CONTEXT: DecodeContext = { minor: KERNEL_MINOR_VERSION, setxattrExt: false };

export function decodeRequest(buf: Buffer, length: number = buf.length, ctx: DecodeContext = DEFAULT_DECODE_CONTEXT): Request | ProtocolError {
  if (!(length >= 0 && length <= buf.length)) {
    return new ProtocolError('TRUNCATED', `decodeRequest: length ${length} is outside the ${buf.length}-byte buffer`);
  }
  if (length < IN_HEADER_SIZE) {
    const e = new ProtocolError('SHORT_HEADER', `request of ${length} bytes is shorter than fuse_in_header (${IN_HEADER_SIZE})`);
    // With 16 bytes the unique is there and the error can still be answered.
    if (length >= 16) e.unique = readUnique(buf, 8);
    return e;
  }
  const header = readInHeader(buf);
  try {
    const outside = ctx.payloadOutside ?? 0;
    if (header.len !== length + outside) {
      throw new ProtocolError('LENGTH_MISMATCH', `fuse_in_header.len is ${header.len} but ${length + outside} bytes were read`);
    }
    if (outside !== 0 && header.opcode !== Opcode.WRITE) throw new ProtocolError('BAD_VALUE', `${opcodeName(header.opcode)}: only a WRITE's data can be left outside the buffer`);
    const op = OPS.get(header.opcode);
    if (op === undefined) throw new ProtocolError('UNKNOWN_OPCODE', `unknown opcode ${header.opcode}`);
    let end = length;
    let ext: Extensions | null = null;
    if (header.total_extlen !== 0) {
      const extBytes = header.total_extlen * 8;
      if (extBytes > length - IN_HEADER_SIZE) {
        throw new ProtocolError('BAD_EXTENSION', `${op.name}: total_extlen says ${extBytes} bytes of extensions, the body has ${length - IN_HEADER_SIZE}`);
      }
      end = length - extBytes;
      ext = decodeExtensions(buf, end, length, op.name);
    }
    const body = op.decode(new Cursor(buf, IN_HEADER_SIZE, end, op.name), ctx);
    // The body's own fields are spread beside opcode/header/ext: one object, parsed once.
    return { opcode: header.opcode, header, ext, ...body } as Request;
  } catch (e) {
    if (!(e instanceof ProtocolError)) throw e; // a bug in the codec itself, not bad input
    e.unique = header.unique;
    e.opcode = header.opcode;
    return e;
  }
}

/** Parses the extension area [start, end): a secctx header and/or fuse_ext_header records. */
function decodeExtensions(buf: Buffer, start: number, end: number, what: string): Extensions {
  const ext: Extensions = {};
  let pos = start;
  while (pos < end) {
    if (end - pos < ExtHeader.size) throw new ProtocolError('BAD_EXTENSION', `${what}: ${end - pos} stray bytes in the extension area`);
    const h = ExtHeader.read(buf, pos);
    if (h.size < ExtHeader.size || h.size > end - pos || h.size % 8 !== 0) {
      throw new ProtocolError('BAD_EXTENSION', `${what}: extension of type ${h.type} has size ${h.size}, ${end - pos} bytes left`);
    }
    const c = new Cursor(buf, pos + ExtHeader.size, pos + h.size, `${what} extension`);
    if (h.type <= ExtType.MAX_NR_SECCTX) {
      // fuse_secctx_header: the "type" is the number of contexts.
      const { nr_secctx } = SecctxHeader.read(buf, pos);
      const list: { name: string; value: Buffer }[] = [];
      for (let i = 0; i < nr_secctx; i++) {
        const entryStart = c.pos;
        const { size } = c.struct(Secctx);
        const name = c.string('security context name');
        const value = Buffer.from(c.bytes(size, 'security context'));
        // each context is padded to 8 bytes
        c.pos = Math.min(c.end, entryStart + Math.ceil((c.pos - entryStart) / 8) * 8);
        list.push({ name, value });
      }
      ext.secctx = list;
    } else if (h.type === ExtType.GROUPS) {
      const n = c.struct(SuppGroups).nr_groups;
      if (n * 4 > c.remaining) throw new ProtocolError('BAD_EXTENSION', `${what}: fuse_supp_groups says ${n} groups, room for ${c.remaining >> 2}`);
      const groups: number[] = [];
      for (let i = 0; i < n; i++) groups.push(buf.readUInt32LE(c.pos + i * 4));
      ext.groups = groups;
    }
    // Unknown extension types are skipped: the kernel adds them only for features we negotiated.
    pos += h.size;
  }
  return ext;
}

/** Encodes extensions as the kernel would append them. */
export function encodeExtensions(ext: Extensions): Buffer {
  const w = new BodyWriter();
  if (ext.secctx) {
    const ctxs = ext.secctx.map(({ name, value }) => {
      const e = new BodyWriter().struct(Secctx, { size: value.length }).string(name).raw(value).concat();
      return Buffer.concat([e, Buffer.alloc((8 - (e.length % 8)) % 8)]);
    });
    const size = SecctxHeader.size + ctxs.reduce((n, b) => n + b.length, 0);
    w.struct(SecctxHeader, { size, nr_secctx: ctxs.length });
    for (const b of ctxs) w.raw(b);
  }
  if (ext.groups) {
    const body = Buffer.alloc(SuppGroups.size + 4 * ext.groups.length);
    SuppGroups.write(body, 0, { nr_groups: ext.groups.length });
    ext.groups.forEach((g, i) => body.writeUInt32LE(g, 4 + 4 * i));
    const padded = Buffer.concat([body, Buffer.alloc((8 - (body.length % 8)) % 8)]);
    w.struct(ExtHeader, { size: ExtHeader.size + padded.length, type: ExtType.GROUPS }).raw(padded);
  }
  return w.concat();
}

/** The fields of a request that encodeRequest needs: everything decodeRequest returns, header.len and total_extlen computed. */
export type RequestInput = Request extends infer R ? (R extends Request ? Omit<R, 'header' | 'ext'> & { header: Omit<InHeader, 'len' | 'total_extlen' | 'opcode'>; ext?: Extensions | null } : never) : never;

/** Encodes a request as the kernel would send it. Used by the emulator and the round-trip tests. */
export function encodeRequest(req: RequestInput, ctx: DecodeContext = DEFAULT_DECODE_CONTEXT): Buffer {
  const op = OPS.get(req.opcode);
  if (op === undefined) throw new Error(`encodeRequest: unknown opcode ${req.opcode}`);
  const w = new BodyWriter();
  op.encode(w, req as unknown as object, ctx);
  const ext = req.ext ? encodeExtensions(req.ext) : Buffer.alloc(0);
  const len = IN_HEADER_SIZE + w.length + ext.length;
  const out = Buffer.alloc(len);
  writeInHeader(out, 0, { ...req.header, len, opcode: req.opcode, total_extlen: ext.length / 8 });
  let pos = IN_HEADER_SIZE;
  for (const part of w.buffers()) pos += part.copy(out, pos);
  ext.copy(out, pos);
  return out;
}

/** "LOOKUP unique=12 nodeid=1": for logs. */
export function describeHeader(h: InHeader): string {
  return `${opcodeName(h.opcode)} unique=${h.unique} nodeid=${h.nodeid}`;
}
