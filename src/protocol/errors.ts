/**
 * The one error the decoder reports. Malformed input from the kernel (or from
 * the emulator playing it) becomes a ProtocolError that names the problem and
 * the errno the server should answer with; nothing else escapes the codec.
 */
import { Errno } from './errno';

export type ProtocolErrorCode =
  /** fewer bytes than a fuse_in_header */
  | 'SHORT_HEADER'
  /** fuse_in_header.len disagrees with the number of bytes read */
  | 'LENGTH_MISMATCH'
  /** the body is shorter than the opcode's fixed part, or than a count or size in it says */
  | 'TRUNCATED'
  /** a name or string runs to the end of the body without its NUL */
  | 'UNTERMINATED_STRING'
  /** bytes left over after everything the opcode carries */
  | 'TRAILING_BYTES'
  /** an opcode this codec does not know */
  | 'UNKNOWN_OPCODE'
  /** total_extlen or an extension header that does not fit the request */
  | 'BAD_EXTENSION'
  /** a field holds a value the protocol forbids (e.g. WRITE size ≠ payload) */
  | 'BAD_VALUE';

export class ProtocolError extends Error {
  override readonly name = 'ProtocolError';
  /** What kind of malformation. */
  readonly code: ProtocolErrorCode;
  /** The errno to answer with (positive). */
  readonly errno: number;
  /** The request's unique, when enough of the header was there to read it; a reply needs it. */
  unique: number | undefined;
  /** The request's opcode, when known. */
  opcode: number | undefined;

  constructor(code: ProtocolErrorCode, message: string, errno: number = code === 'UNKNOWN_OPCODE' ? Errno.ENOSYS : Errno.EINVAL) {
    super(message);
    this.code = code;
    this.errno = errno;
    this.unique = undefined;
    this.opcode = undefined;
  }
}

export function isProtocolError(x: unknown): x is ProtocolError {
  return x instanceof ProtocolError;
}

/**
 * A value a filesystem handed to a reply encoder that the protocol cannot
 * carry (a name with '/', a negative size, a mode without a file type...).
 * The server logs it with the request and answers EIO; the kernel never sees
 * the bad value.
 */
export class InvalidReplyError extends Error {
  override readonly name = 'InvalidReplyError';
}
