/** The opcode table: one module per opcode (see all.ts), gathered here. */
import type { Opcode } from '../constants';
import type { OpDef } from '../op';
import * as all from './all';
import type { AccessRequest, BatchForgetRequest, BmapRequest, CopyFileRangeRequest, CopyFileRange64Request, CreateRequest, CuseInitRequest, DestroyRequest, FallocateRequest, FlushRequest, ForgetRequest, FsyncRequest, FsyncdirRequest, GetattrRequest, GetlkRequest, GetxattrRequest, InitRequest, InterruptRequest, IoctlRequest, LinkRequest, ListxattrRequest, LookupRequest, LseekRequest, MkdirRequest, MknodRequest, NotifyReplyRequest, OpenRequest, OpendirRequest, PollRequest, ReadRequest, ReaddirRequest, ReaddirplusRequest, ReadlinkRequest, ReleaseRequest, ReleasedirRequest, RemovemappingRequest, RemovexattrRequest, RenameRequest, Rename2Request, RmdirRequest, SetattrRequest, SetlkRequest, SetlkwRequest, SetupmappingRequest, SetxattrRequest, StatfsRequest, StatxRequest, SymlinkRequest, SyncfsRequest, TmpfileRequest, UnlinkRequest, WriteRequest } from './all';

export * from './all';

function isOpDef(x: unknown): x is OpDef<Opcode, object> {
  return typeof x === 'object' && x !== null && 'opcode' in x && 'decode' in x;
}

/** Every opcode the codec knows, keyed by number. */
export const OPS: ReadonlyMap<number, OpDef<Opcode, object>> = new Map(Object.values(all).filter(isOpDef).map((d) => [d.opcode, d]));

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
