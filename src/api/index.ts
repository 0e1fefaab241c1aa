/**
 * The contract a filesystem author codes against: the Filesystem interface
 * and its request context, the errors handlers throw or return, and the
 * types of the optional data paths (spliced WRITE data, data workers).
 * src/server implements it, src/fs and src/path build on it; nothing here
 * depends on either.
 */
export type * from './filesystem';
export { FuseError, fuseError, errnoOf } from './errors';
export type { SplicedData } from './spliced';
export type { DataPath, DataPathFactory, DataPathSpec } from './data-path';
export { attrFromStats } from './attr';
