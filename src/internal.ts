/**
 * The internals the benchmarks under scripts/ reach for, in one place.
 *
 * Not part of the package's API: package.json's "exports" does not list
 * it, so `require('devfuse/...')` cannot reach it, and any commit may
 * change it. Everything else a script needs comes from the public entry
 * points (src/index.ts, src/protocol, src/testing). A bench that needs
 * another internal adds it here, so that moving server code breaks this
 * file, not the scripts.
 */
export { readBufferSize } from './server/core/channel';
export { WriteOrder } from './server/core/write-order';
export { cloneDevice, deviceRead, errno, fileFlags, setAsyncIo, setFileFlags } from './server/device/device-io';
export { F_GETFL, F_SETFL, O_NONBLOCK } from './linux/constants';
export { fcntl } from './linux/sys';
