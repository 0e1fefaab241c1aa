/**
 * devfuse/protocol: the FUSE and CUSE wire protocol up to 7.45, pure (no I/O).
 *
 *   constants.ts   opcodes, notify codes, every flag set, compat sizes, ioctls
 *   structs.ts     every struct of fuse.h, declared once (layout.ts compiles them)
 *   request.ts     decodeRequest: bytes → typed Request | ProtocolError (and back)
 *   ops/           one module per opcode: its body and its reply kind
 *   replies.ts     reply encoders; reply-decode.ts the kernel's side of them
 *   dirent.ts      READDIR/READDIRPLUS records with alignment and size limit
 *   notify.ts      notifications (and their decoding)
 *   init.ts        INIT negotiation; cuse.ts CUSE_INIT
 *   names.ts       lossless byte-string names
 */
export * from './constants';
export * from './errno';
export * from './errors';
export * from './structs';
export { struct, pad, type Struct, type StructType, type FieldInfo } from './layout';
export * from './header';
export { Cursor, BodyWriter, type DecodeContext } from './body';
export type { ReplyKind, Extensions, RequestBase, OpDef, RequestOf, BodyOf } from './op';
export * as ops from './ops';
export { OPS } from './ops';
export * from './request';
export * from './replies';
export * from './reply-decode';
export * from './dirent';
export * from './notify';
export * from './init';
export * from './cuse';
export * from './names';
