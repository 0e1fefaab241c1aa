/**
 * devfuse/testing: run any devfuse filesystem against the protocol without a
 * kernel.
 */
export { KernelEmulator, KERNEL_OFFER, ProtocolViolation, UserMemory, type EmulatorOptions, type InitParams, type Pending, type Caller } from './emulator';
export { Vfs, VfsError, type DirEntry } from './vfs';
export { reorderingBackend, seededRandom, type ReorderOptions } from './reorder';
export { strict, type Strict } from './strict';
