/**
 * Filesystems by path: libfuse's high-level API over devfuse's inode API.
 *
 *   import { serve, fromPathFilesystem } from 'devfuse';
 *   await serve(fromPathFilesystem(myPathFs, { attrTimeout: 1 }), '/mnt/x');
 *
 * types.ts    the PathFilesystem interface, PathStat, PathOptions
 * adapter.ts  fromPathFilesystem: the inode-level Filesystem in front of it
 * nodes.ts    the node table (ids, lookup counts, hard links, generations)
 * locks.ts    path locks: renames and unlinks against requests in flight
 * names.ts, attrs.ts, io.ts, dirs.ts   the operations
 * bytes.ts    paths as bytes: fsPath, pathBytes, pathFromBytes, pathByteLength
 */
export { fromPathFilesystem, type PathAdapter } from './adapter';
export { fsPath, pathBytes, pathByteLength, pathFromBytes } from './bytes';
export { F_GETLK, F_SETLK, F_SETLKW } from './types';
export type { PathFilesystem, PathOptions, PathStat, StatLike, PathOpenResult, PathDirEntry, PathDirListing, TimeInput } from './types';
