/** MKNOD makes a regular file whatever type was asked (an object store with no special files): FIFOs and devices come out as files. */
import { S_IFREG } from '../../../src/linux/constants';
import { memfsWith } from './base';
export { inspect } from './base';

export const scenario = 'mknod';
export const make = memfsWith((m) => ({ mknod: (c, p, n, mode) => m.mknod!(c, p, n, S_IFREG | (mode & 0o7777), 0) }));
