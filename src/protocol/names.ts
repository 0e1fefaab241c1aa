/**
 * File names, exactly.
 *
 * Linux names are bytes, not text: "\xff" is a valid name that no UTF-8
 * decoder can return intact. Filesystems in JavaScript want strings, so the
 * codec decodes names the way Python's "surrogateescape" does: valid UTF-8
 * becomes the usual string, and each byte that is not part of valid UTF-8
 * becomes a lone surrogate U+DC80..U+DCFF. `encodeName` reverses it, so every
 * byte string round-trips, distinct names stay distinct, and the common case
 * (ASCII or valid UTF-8) is an ordinary JavaScript string.
 */

/** Decodes bytes [start, end) of `buf`. Never throws. */
export function decodeName(buf: Buffer, start: number, end: number): string {
  let ascii = true;
  for (let i = start; i < end; i++) {
    if (buf[i]! >= 0x80) {
      ascii = false;
      break;
    }
  }
  if (ascii) return buf.toString('latin1', start, end);
  return decodeEscaped(buf, start, end);
}

/** Length of the valid UTF-8 sequence at `i`, or 0 if the byte there does not start one. */
function utf8SequenceAt(buf: Buffer, i: number, end: number): number {
  const b0 = buf[i]!;
  let n: number;
  let min: number;
  if (b0 < 0x80) return 1;
  else if (b0 >= 0xc2 && b0 <= 0xdf) (n = 2), (min = 0x80);
  else if (b0 >= 0xe0 && b0 <= 0xef) (n = 3), (min = 0x800);
  else if (b0 >= 0xf0 && b0 <= 0xf4) (n = 4), (min = 0x10000);
  else return 0;
  if (i + n > end) return 0;
  let cp = b0 & (0xff >> (n + 1));
  for (let k = 1; k < n; k++) {
    const b = buf[i + k]!;
    if ((b & 0xc0) !== 0x80) return 0;
    cp = (cp << 6) | (b & 0x3f);
  }
  // overlong forms, UTF-16 surrogates and values past U+10FFFF are not valid UTF-8
  if (cp < min || (cp >= 0xd800 && cp <= 0xdfff) || cp > 0x10ffff) return 0;
  return n;
}

function decodeEscaped(buf: Buffer, start: number, end: number): string {
  let out = '';
  let run = start; // start of the current run of valid UTF-8
  let i = start;
  while (i < end) {
    const n = utf8SequenceAt(buf, i, end);
    if (n > 0) {
      i += n;
      continue;
    }
    if (run < i) out += buf.toString('utf8', run, i);
    out += String.fromCharCode(0xdc00 + buf[i]!);
    i += 1;
    run = i;
  }
  if (run < end) out += buf.toString('utf8', run, end);
  return out;
}

/** A lone low surrogate in the escape range, i.e. a string that needs the slow path. */
const ESCAPE = /[\udc80-\udcff]/;

/** Whether `name` holds a byte that is not UTF-8 (escaped as U+DC80..U+DCFF): its bytes are not its UTF-8. */
export function hasEscapedBytes(name: string): boolean {
  return ESCAPE.test(name);
}

/** Bytes of a name as decodeName would have read them. */
export function encodeName(name: string): Buffer {
  if (!hasEscapedBytes(name)) return Buffer.from(name, 'utf8');
  const bytes: number[] = [];
  for (const ch of name) {
    const cp = ch.codePointAt(0)!;
    if (cp >= 0xdc80 && cp <= 0xdcff) {
      bytes.push(cp - 0xdc00);
    } else {
      for (const b of Buffer.from(ch, 'utf8')) bytes.push(b);
    }
  }
  return Buffer.from(bytes);
}

/** Byte length of encodeName(name), without building it in the common case. */
export function nameByteLength(name: string): number {
  if (!ESCAPE.test(name)) return Buffer.byteLength(name, 'utf8');
  return encodeName(name).length;
}

/** Writes encodeName(name) into `buf` at `offset`; returns the bytes written. */
export function writeName(buf: Buffer, offset: number, name: string): number {
  if (!ESCAPE.test(name)) return buf.write(name, offset, 'utf8');
  const bytes = encodeName(name);
  bytes.copy(buf, offset);
  return bytes.length;
}

/** Names in a NUL-separated list (listxattr's answer), each decoded as decodeName; empty ones skipped. */
export function decodeNameList(list: Buffer): string[] {
  const names: string[] = [];
  for (let s = 0; s < list.length; ) {
    let e = list.indexOf(0, s);
    if (e < 0) e = list.length;
    if (e > s) names.push(decodeName(list, s, e));
    s = e + 1;
  }
  return names;
}
