/**
 * Paths as the bytes they stand for. Linux names are bytes; the path API
 * hands them to a filesystem as strings, decoded as devfuse decodes every
 * name (src/protocol/names.ts): valid UTF-8 as usual, each byte that is not
 * part of valid UTF-8 as a lone surrogate U+DC80..U+DCFF. Such a string
 * goes back to the kernel as the bytes it came from, but Node's fs would
 * encode each surrogate as U+FFFD (3 bytes): these helpers give the bytes.
 */
import { decodeName, encodeName, hasEscapedBytes, nameByteLength } from '../protocol/names';

/**
 * `path` (a path, a name, a symlink target) as Node's fs takes it: the
 * string itself when its UTF-8 is its bytes (the common case, no copy),
 * else a Buffer of exactly its bytes. fs.readdir with `encoding: 'buffer'`
 * and pathFromBytes() go the other way.
 */
export function fsPath(path: string): string | Buffer {
  return hasEscapedBytes(path) ? encodeName(path) : path;
}

/** The bytes `path` stands for. */
export function pathBytes(path: string): Buffer {
  return encodeName(path);
}

/** Bytes (a name from the host, a link target) as the path API writes them: pathBytes() gives them back. */
export function pathFromBytes(bytes: Uint8Array): string {
  const b = Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  return decodeName(b, 0, b.length);
}

/** Length of `path` in bytes: a symlink's st_size is this of its target, a name's limit (255) is in these. */
export function pathByteLength(path: string): number {
  return nameByteLength(path);
}
