/**
 * devfuse: FUSE and CUSE servers in Node.js, speaking /dev/fuse directly.
 *
 *   serve(fs, mountpoint, options)     mount a Filesystem and serve it
 *   createCuseDevice({ name, ... })    a character device in userspace
 *   memfs(), passthrough(source)       the filesystems shipped with devfuse
 *   fromPathFilesystem(pathFs)         a filesystem written by path (libfuse's high-level API)
 *
 * The wire protocol is `devfuse/protocol`; the kernel emulator and the
 * conformance kit are `devfuse/testing`.
 */
export {
  serve, resolveServeOptions, Session, DeviceChannel, MemoryChannel, mount, MountError, parseMountOptions, sessionOptionsFromMountOptions, INIT_POLICY, releaseFreedMemory,
  type ServeOptions, type Served, type SessionEnd, type DeviceChannelOptions, type Channel, type RequestSink, type ChannelCloseReason,
  type MountedFuse, type MountControl, type MountOptions, type SessionOptions,
} from './server/index';
export * from './api';
export { createCuseDevice, cuseFilesystem, type CuseDevice, type CuseDeviceOptions, type CuseDeviceHandlers } from './cuse/device';
export { CuseSession } from './cuse/session';
export { echoDevice } from './cuse/examples/echo';
export { fiocDevice } from './cuse/examples/fioc';
export { helloFs } from './examples/hello';
export { memfs, type Memfs, type MemfsOptions } from './fs/memfs';
export * from './path';
export { pathMemfs, type PathMemfs, type PathMemfsOptions } from './examples/path-memfs';
export { pathPassthrough } from './examples/path-passthrough';
export { passthrough, passthroughFromEnv, type Passthrough, type PassthroughOptions } from './fs/passthrough';
export { Errno, OFFSET_MAX, ROOT_ID } from './protocol';
