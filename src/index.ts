/**
 * devfuse: FUSE and CUSE servers in Node.js, speaking /dev/fuse directly.
 *
 *   serve(fs, mountpoint, options)     mount a Filesystem and serve it
 *   createCuseDevice({ name, ... })    a character device in userspace
 *   memfs(), passthrough(source)       the filesystems shipped with devfuse
 *
 * The wire protocol is `devfuse/protocol`; the kernel emulator and the
 * conformance kit are `devfuse/testing`.
 */
export { serve, resolveServeOptions, type ServeOptions, type Served } from './server/serve';
export { Session, type SessionEnd } from './server/core/session';
export * from './api';
export { DeviceChannel, type DeviceChannelOptions } from './server/device/device-channel';
export { MemoryChannel } from './server/core/memory-channel';
export type { Channel, RequestSink, ChannelCloseReason } from './server/core/channel';
export { mount, MountError, type MountedFuse, type MountControl } from './server/device/mount';
export { parseMountOptions, sessionOptionsFromMountOptions } from './server/options/parse';
export type { MountOptions } from './server/options/mount';
export { INIT_POLICY } from './server/options/init-policy';
export type { SessionOptions } from './server/options/session';
export { createCuseDevice, cuseFilesystem, type CuseDevice, type CuseDeviceOptions, type CuseDeviceHandlers } from './cuse/device';
export { CuseSession } from './cuse/session';
export { echoDevice } from './cuse/examples/echo';
export { fiocDevice } from './cuse/examples/fioc';
export { helloFs } from './examples/hello';
export { memfs, type Memfs, type MemfsOptions } from './fs/memfs';
export { passthrough, passthroughFromEnv, type Passthrough, type PassthroughOptions } from './fs/passthrough';
export { Errno, OFFSET_MAX, ROOT_ID } from './protocol';
