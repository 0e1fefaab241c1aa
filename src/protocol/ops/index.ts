/** The opcode table: one module per opcode, gathered here. */
import type { Opcode } from '../constants';
import type { OpDef } from '../op';
import { ACCESS, type AccessRequest } from './access';
import { BATCH_FORGET, type BatchForgetRequest } from './batch_forget';
import { BMAP, type BmapRequest } from './bmap';
import { COPY_FILE_RANGE, type CopyFileRangeRequest } from './copy_file_range';
import { COPY_FILE_RANGE_64, type CopyFileRange64Request } from './copy_file_range_64';
import { CREATE, type CreateRequest } from './create';
import { CUSE_INIT, type CuseInitRequest } from './cuse_init';
import { DESTROY, type DestroyRequest } from './destroy';
import { FALLOCATE, type FallocateRequest } from './fallocate';
import { FLUSH, type FlushRequest } from './flush';
import { FORGET, type ForgetRequest } from './forget';
import { FSYNC, type FsyncRequest } from './fsync';
import { FSYNCDIR, type FsyncdirRequest } from './fsyncdir';
import { GETATTR, type GetattrRequest } from './getattr';
import { GETLK, type GetlkRequest } from './getlk';
import { GETXATTR, type GetxattrRequest } from './getxattr';
import { INIT, type InitRequest } from './init';
import { INTERRUPT, type InterruptRequest } from './interrupt';
import { IOCTL, type IoctlRequest } from './ioctl';
import { LINK, type LinkRequest } from './link';
import { LISTXATTR, type ListxattrRequest } from './listxattr';
import { LOOKUP, type LookupRequest } from './lookup';
import { LSEEK, type LseekRequest } from './lseek';
import { MKDIR, type MkdirRequest } from './mkdir';
import { MKNOD, type MknodRequest } from './mknod';
import { NOTIFY_REPLY, type NotifyReplyRequest } from './notify_reply';
import { OPEN, type OpenRequest } from './open';
import { OPENDIR, type OpendirRequest } from './opendir';
import { POLL, type PollRequest } from './poll';
import { READ, type ReadRequest } from './read';
import { READDIR, type ReaddirRequest } from './readdir';
import { READDIRPLUS, type ReaddirplusRequest } from './readdirplus';
import { READLINK, type ReadlinkRequest } from './readlink';
import { RELEASE, type ReleaseRequest } from './release';
import { RELEASEDIR, type ReleasedirRequest } from './releasedir';
import { REMOVEMAPPING, type RemovemappingRequest } from './removemapping';
import { REMOVEXATTR, type RemovexattrRequest } from './removexattr';
import { RENAME, type RenameRequest } from './rename';
import { RENAME2, type Rename2Request } from './rename2';
import { RMDIR, type RmdirRequest } from './rmdir';
import { SETATTR, type SetattrRequest } from './setattr';
import { SETLK, type SetlkRequest } from './setlk';
import { SETLKW, type SetlkwRequest } from './setlkw';
import { SETUPMAPPING, type SetupmappingRequest } from './setupmapping';
import { SETXATTR, type SetxattrRequest } from './setxattr';
import { STATFS, type StatfsRequest } from './statfs';
import { STATX, type StatxRequest } from './statx';
import { SYMLINK, type SymlinkRequest } from './symlink';
import { SYNCFS, type SyncfsRequest } from './syncfs';
import { TMPFILE, type TmpfileRequest } from './tmpfile';
import { UNLINK, type UnlinkRequest } from './unlink';
import { WRITE, type WriteRequest } from './write';

export {
  ACCESS,
  BATCH_FORGET,
  BMAP,
  COPY_FILE_RANGE,
  COPY_FILE_RANGE_64,
  CREATE,
  CUSE_INIT,
  DESTROY,
  FALLOCATE,
  FLUSH,
  FORGET,
  FSYNC,
  FSYNCDIR,
  GETATTR,
  GETLK,
  GETXATTR,
  INIT,
  INTERRUPT,
  IOCTL,
  LINK,
  LISTXATTR,
  LOOKUP,
  LSEEK,
  MKDIR,
  MKNOD,
  NOTIFY_REPLY,
  OPEN,
  OPENDIR,
  POLL,
  READ,
  READDIR,
  READDIRPLUS,
  READLINK,
  RELEASE,
  RELEASEDIR,
  REMOVEMAPPING,
  REMOVEXATTR,
  RENAME,
  RENAME2,
  RMDIR,
  SETATTR,
  SETLK,
  SETLKW,
  SETUPMAPPING,
  SETXATTR,
  STATFS,
  STATX,
  SYMLINK,
  SYNCFS,
  TMPFILE,
  UNLINK,
  WRITE,
};
export type {
  AccessRequest,
  BatchForgetRequest,
  BmapRequest,
  CopyFileRangeRequest,
  CopyFileRange64Request,
  CreateRequest,
  CuseInitRequest,
  DestroyRequest,
  FallocateRequest,
  FlushRequest,
  ForgetRequest,
  FsyncRequest,
  FsyncdirRequest,
  GetattrRequest,
  GetlkRequest,
  GetxattrRequest,
  InitRequest,
  InterruptRequest,
  IoctlRequest,
  LinkRequest,
  ListxattrRequest,
  LookupRequest,
  LseekRequest,
  MkdirRequest,
  MknodRequest,
  NotifyReplyRequest,
  OpenRequest,
  OpendirRequest,
  PollRequest,
  ReadRequest,
  ReaddirRequest,
  ReaddirplusRequest,
  ReadlinkRequest,
  ReleaseRequest,
  ReleasedirRequest,
  RemovemappingRequest,
  RemovexattrRequest,
  RenameRequest,
  Rename2Request,
  RmdirRequest,
  SetattrRequest,
  SetlkRequest,
  SetlkwRequest,
  SetupmappingRequest,
  SetxattrRequest,
  StatfsRequest,
  StatxRequest,
  SymlinkRequest,
  SyncfsRequest,
  TmpfileRequest,
  UnlinkRequest,
  WriteRequest,
};

/** Every opcode the codec knows, keyed by number. */
export const OPS: ReadonlyMap<number, OpDef<Opcode, object>> = new Map(
  ([
    ACCESS,
    BATCH_FORGET,
    BMAP,
    COPY_FILE_RANGE,
    COPY_FILE_RANGE_64,
    CREATE,
    CUSE_INIT,
    DESTROY,
    FALLOCATE,
    FLUSH,
    FORGET,
    FSYNC,
    FSYNCDIR,
    GETATTR,
    GETLK,
    GETXATTR,
    INIT,
    INTERRUPT,
    IOCTL,
    LINK,
    LISTXATTR,
    LOOKUP,
    LSEEK,
    MKDIR,
    MKNOD,
    NOTIFY_REPLY,
    OPEN,
    OPENDIR,
    POLL,
    READ,
    READDIR,
    READDIRPLUS,
    READLINK,
    RELEASE,
    RELEASEDIR,
    REMOVEMAPPING,
    REMOVEXATTR,
    RENAME,
    RENAME2,
    RMDIR,
    SETATTR,
    SETLK,
    SETLKW,
    SETUPMAPPING,
    SETXATTR,
    STATFS,
    STATX,
    SYMLINK,
    SYNCFS,
    TMPFILE,
    UNLINK,
    WRITE,
  ] as OpDef<Opcode, object>[]).map((d) => [d.opcode, d]),
);

/** Any decoded request: a discriminated union on `opcode`. */
export type Request =
  | AccessRequest
  | BatchForgetRequest
  | BmapRequest
  | CopyFileRangeRequest
  | CopyFileRange64Request
  | CreateRequest
  | CuseInitRequest
  | DestroyRequest
  | FallocateRequest
  | FlushRequest
  | ForgetRequest
  | FsyncRequest
  | FsyncdirRequest
  | GetattrRequest
  | GetlkRequest
  | GetxattrRequest
  | InitRequest
  | InterruptRequest
  | IoctlRequest
  | LinkRequest
  | ListxattrRequest
  | LookupRequest
  | LseekRequest
  | MkdirRequest
  | MknodRequest
  | NotifyReplyRequest
  | OpenRequest
  | OpendirRequest
  | PollRequest
  | ReadRequest
  | ReaddirRequest
  | ReaddirplusRequest
  | ReadlinkRequest
  | ReleaseRequest
  | ReleasedirRequest
  | RemovemappingRequest
  | RemovexattrRequest
  | RenameRequest
  | Rename2Request
  | RmdirRequest
  | SetattrRequest
  | SetlkRequest
  | SetlkwRequest
  | SetupmappingRequest
  | SetxattrRequest
  | StatfsRequest
  | StatxRequest
  | SymlinkRequest
  | SyncfsRequest
  | TmpfileRequest
  | UnlinkRequest
  | WriteRequest;
