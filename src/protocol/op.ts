/**
 * The shape of one opcode's codec. Each file in ops/ defines one opcode with
 * `defineOp`: its request body (decode for the server, encode for the
 * emulator playing the kernel) and the kind of reply it takes, which
 * replies.ts encodes and decodes.
 */
import type { BodyWriter, Cursor, DecodeContext } from './body';
import type { Opcode } from './constants';
import type { Struct } from './layout';
import type { InHeader } from './structs';

/** What a request is answered with; replies.ts has the encoder and decoder of each. */
export type ReplyKind =
  /** no reply at all (FORGET, BATCH_FORGET, NOTIFY_REPLY) */
  | 'none'
  /** only an out header: success or error */
  | 'empty'
  | 'entry'
  | 'attr'
  | 'open'
  /** fuse_entry_out followed by fuse_open_out (CREATE, TMPFILE) */
  | 'create'
  /** raw bytes (READ, READLINK) */
  | 'data'
  | 'write'
  | 'statfs'
  /** fuse_getxattr_out when the request's size is 0, else raw bytes */
  | 'xattr'
  | 'lk'
  | 'init'
  | 'bmap'
  | 'ioctl'
  | 'poll'
  | 'lseek'
  | 'statx'
  /** fuse_copy_file_range_out (COPY_FILE_RANGE_64) */
  | 'copy'
  /** fuse_dirent records */
  | 'dirents'
  /** fuse_direntplus records */
  | 'direntsplus'
  | 'cuse_init'
  /** normally none; an EAGAIN error asks the kernel to requeue the interrupt */
  | 'interrupt';

/** Request extensions (fuse_in_header.total_extlen, 7.37+). */
export interface Extensions {
  /** FUSE_SECURITY_CTX: security contexts of a new inode (name → label bytes). */
  secctx?: { name: string; value: Buffer }[];
  /** FUSE_CREATE_SUPP_GROUP: the supplementary group that matches the parent directory. */
  groups?: number[];
}

/** The parts every request has; the opcode-specific body fields are spread next to them. */
export interface RequestBase<O extends Opcode> {
  readonly opcode: O;
  readonly header: InHeader;
  /** Request extensions, or null when the kernel sent none (the usual case). */
  readonly ext: Extensions | null;
}

export interface BodyCodec<B extends object> {
  decode(c: Cursor, ctx: DecodeContext): B;
  encode(w: BodyWriter, body: B, ctx: DecodeContext): void;
}

export interface OpDef<O extends Opcode, B extends object> extends BodyCodec<B> {
  readonly opcode: O;
  /** The header's name without FUSE_: "LOOKUP". */
  readonly name: string;
  readonly reply: ReplyKind;
}

export function defineOp<O extends Opcode, B extends object>(opcode: O, name: string, reply: ReplyKind, body: BodyCodec<B>): OpDef<O, B> {
  return { opcode, name, reply, decode: body.decode, encode: body.encode };
}

type Simplify<T> = { [K in keyof T]: T[K] } & {};
/** The typed request of an opcode: header, extensions, and its body fields. */
export type RequestOf<D> = D extends OpDef<infer O, infer B> ? Simplify<RequestBase<O> & B> : never;
/** The body fields alone, as the emulator passes them to encode. */
export type BodyOf<D> = D extends OpDef<Opcode, infer B> ? B : never;

// The shapes most opcodes share.

/** No body (STATFS, READLINK, DESTROY). */
export const noBody: BodyCodec<Record<never, never>> = {
  decode: () => ({}),
  encode: () => undefined,
};

/** One fixed struct. */
export function argBody<T>(s: Struct<T>): BodyCodec<{ arg: T }> {
  return {
    decode: (c) => ({ arg: c.struct(s) }),
    encode: (w, b) => void w.struct(s, b.arg),
  };
}

/** One NUL-terminated name (UNLINK, RMDIR, REMOVEXATTR, LOOKUP). */
export const nameBody: BodyCodec<{ name: string }> = {
  decode: (c) => ({ name: c.string('name') }),
  encode: (w, b) => void w.string(b.name),
};

/** A fixed struct then a name (MKDIR, MKNOD, CREATE, LINK, GETXATTR). */
export function argNameBody<T>(s: Struct<T>): BodyCodec<{ arg: T; name: string }> {
  return {
    decode: (c) => {
      const arg = c.struct(s);
      return { arg, name: c.string('name') };
    },
    encode: (w, b) => void w.struct(s, b.arg).string(b.name),
  };
}

/** A fixed struct then two names (RENAME, RENAME2). */
export function argTwoNamesBody<T>(s: Struct<T>): BodyCodec<{ arg: T; oldname: string; newname: string }> {
  return {
    decode: (c) => {
      const arg = c.struct(s);
      const oldname = c.string('oldname');
      return { arg, oldname, newname: c.string('newname') };
    },
    encode: (w, b) => void w.struct(s, b.arg).string(b.oldname).string(b.newname),
  };
}
