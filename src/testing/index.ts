/**
 * devfuse/testing: run any devfuse filesystem against the protocol without a
 * kernel: the emulator, the Vfs helpers, and the conformance kit.
 */
export { KernelEmulator, KERNEL_OFFER, ProtocolViolation, RequestTimeout, EmulatorClosed, UserMemory, type EmulatorOptions, type InitParams, type Pending, type Caller } from './emulator';
export { InProcessTransport, type ServerTransport } from './transport';
export { DEFAULT_LIMITS, LimitExceeded, type Limits } from './limits';
export { Vfs, VfsError, type DirEntry } from './vfs';
export { reorderingBackend, seededRandom, type ReorderOptions } from './reorder';
export { strict, type Strict } from './strict';
export {
  runConformance, formatReport, ScenarioContext, ConformanceFailure, SkipScenario, UsageError,
  type Scenario, type Capability, type ConformanceTarget, type ModuleTarget, type RunOptions, type Report, type ScenarioResult, type Failure, type Inspect,
} from './conformance/kit';
export { SCENARIOS } from './conformance/scenarios';
export { CAPABILITIES } from './conformance/capabilities';
export { formatTrace, readTrace, replayTrace, type TraceEvent, type ReplayResult, type ReplayDifference } from './trace';
