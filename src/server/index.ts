/**
 * src/server's public surface: what the rest of devfuse (src/cuse,
 * src/testing, src/cli, the package's index) may use of it. Everything else
 * under src/server is internal (test/structure.test.ts holds the line).
 *
 *   serve()            mount a Filesystem and serve it (serve.ts)
 *   Session            one connection: INIT, dispatch, replies (core/)
 *   DeviceChannel      /dev/fuse or /dev/cuse, read without blocking (device/)
 *   MemoryChannel      the same bytes in memory, for the emulator (core/)
 *   accelerate()       plugs busy-polling, splice, data workers in (accel/)
 *   mount()            mount(2) or fusermount3 (device/)
 *   options            the -o table, its parser, INIT_POLICY (options/)
 *   releaseFreedMemory gc and malloc_trim, for filesystems that drop big buffers (memory.ts)
 *
 * How the parts fit: docs/design/server.md.
 */
export { serve, resolveServeOptions, type ServeOptions, type Served } from './serve';
export { Session, type SessionEnd } from './core/session';
export type { Channel, RequestSink, ChannelCloseReason } from './core/channel';
export { MemoryChannel } from './core/memory-channel';
export { RecordingChannel } from './core/recording-channel';
export { formatRequest, formatReply } from './core/debug';
export type { Hooks } from './core/hooks';
export { DeviceChannel, type DeviceChannelOptions } from './device/device-channel';
export { mount, MountError, type MountedFuse, type MountControl } from './device/mount';
export { accelerate, type Accelerations, type AccelStats } from './accel/index';
export { parseOptions, parseMountOptions, sessionOptionsFromMountOptions, type ParsedOptions } from './options/parse';
export { splitOptions, escapeOption } from './options/syntax';
export { defaultMountOptions, MountOptionError, type MountOptions } from './options/mount';
export { resolveOptions, type SessionOptions, type ResolvedOptions } from './options/session';
export { INIT_POLICY } from './options/init-policy';
export { releaseFreedMemory } from './memory';
