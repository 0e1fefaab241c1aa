/**
 * Name checks shared by the namespace operations. Names arrive as
 * names.ts decodes them: a JavaScript string that may hold lone surrogates
 * for bytes that are not UTF-8, so lengths are measured in the bytes the
 * name really has (nameByteLength), not in UTF-16 units.
 */
import { nameByteLength } from '../../protocol';
import { FuseError } from '../../api/errors';
import { NAME_MAX } from './constants';

/** ENAMETOOLONG past NAME_MAX bytes (the kernel lets FUSE names through up to 1024). */
export function checkNameLength(name: string): void {
  // A UTF-16 unit is at most 3 bytes of UTF-8 (a surrogate pair is 4 for 2 units), so short names need no counting.
  if (name.length * 3 > NAME_MAX && nameByteLength(name) > NAME_MAX) throw new FuseError('ENAMETOOLONG');
}

/** "." and ".." are not names that can be created or removed; the kernel never sends them, other callers might. */
export function isDotName(name: string): boolean {
  return name === '.' || name === '..';
}

/** A name for a new entry: EEXIST for "." and "..", EINVAL for what no component may be. */
export function checkNewName(name: string): void {
  if (name.length === 0 || name.includes('/') || name.includes('\0')) throw new FuseError('EINVAL');
  checkNameLength(name);
  if (isDotName(name)) throw new FuseError('EEXIST');
}
