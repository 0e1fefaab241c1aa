/** GETLK always answers F_UNLCK (a filesystem that implements SETLK and stubs GETLK): lockf(F_TEST) and fcntl(F_GETLK) say free when it is not. */
import { F_UNLCK } from '../../../src/linux/constants';
import { memfsWith } from './base';
export { inspect } from './base';

export const scenario = 'posix-locks';
export const make = memfsWith(() => ({ getlk: (_c, _ino, _fh, _owner, lock) => ({ ...lock, type: F_UNLCK }) }));
