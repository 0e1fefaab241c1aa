/**
 * INIT negotiation (the version rules at the top of fuse.h).
 *
 * - Same major: both sides use the smaller minor.
 * - Kernel major newer than ours: answer with our major and wait for the
 *   kernel to send a new INIT in our major.
 * - Kernel major older, or a minor older than MIN_KERNEL_MINOR_VERSION:
 *   refuse with EPROTO.
 *
 * Flags: the kernel offers a 64-bit set (flags, plus flags2 when it offers
 * FUSE_INIT_EXT); the reply carries the subset the server wants, and that
 * subset is what the session then runs with. A flag the kernel did not offer
 * is never sent back.
 */
import { InitFlags, KERNEL_MINOR_VERSION, KERNEL_VERSION, MIN_KERNEL_MINOR_VERSION } from './constants';
import { Errno } from './errno';
import type { InitIn, InitOut } from './structs';

/** What the server asks for. Limits are clamped to what the protocol can express. */
export interface InitParams {
  /** Flags the server would like (InitFlags values or-ed together). */
  want: bigint;
  /** Largest WRITE payload, bytes. */
  maxWrite: number;
  /** Largest readahead, bytes; clamped to the kernel's offer. */
  maxReadahead: number;
  /** Background requests (async reads, writeback) in flight at once. */
  maxBackground: number;
  congestionThreshold: number;
  /** Timestamp granularity in ns (1 = nanoseconds). */
  timeGran: number;
  /** 7.40 passthrough: how deep backing files may stack. */
  maxStackDepth?: number;
  /** 7.43: seconds after which the kernel aborts an unanswered request (0 = never). */
  requestTimeout?: number;
}

export const PAGE_SIZE = 4096;
/** FUSE_MAX_MAX_PAGES: the kernel's default cap on max_pages (sysctl fs.fuse.max_pages_limit). */
export const MAX_MAX_PAGES = 256;

export type InitOutcome =
  /** Reply with `out`; the session runs with `minor` and `flags`. */
  | { kind: 'ok'; out: InitOut; minor: number; flags: bigint; offered: bigint; maxWrite: number; maxPages: number }
  /** The kernel's major is newer: reply with `out` (our major) and expect another INIT. */
  | { kind: 'major'; out: InitOut }
  /** Refuse: reply with this errno and end the session. */
  | { kind: 'error'; errno: number; message: string };

/** The 64-bit flag set a fuse_init_in offers. */
export function offeredFlags(arg: InitIn): bigint {
  let flags = BigInt(arg.flags >>> 0);
  if (flags & InitFlags.INIT_EXT) flags |= BigInt(arg.flags2 >>> 0) << 32n;
  return flags;
}

function emptyOut(): InitOut {
  return {
    major: KERNEL_VERSION, minor: KERNEL_MINOR_VERSION, max_readahead: 0, flags: 0, max_background: 0,
    congestion_threshold: 0, max_write: 0, time_gran: 0, max_pages: 0, map_alignment: 0, flags2: 0,
    max_stack_depth: 0, request_timeout: 0,
  };
}

export function negotiateInit(arg: InitIn, p: InitParams): InitOutcome {
  if (arg.major > KERNEL_VERSION) return { kind: 'major', out: emptyOut() };
  if (arg.major < KERNEL_VERSION || arg.minor < MIN_KERNEL_MINOR_VERSION) {
    return { kind: 'error', errno: Errno.EPROTO, message: `kernel speaks FUSE ${arg.major}.${arg.minor}; devfuse needs ${KERNEL_VERSION}.${MIN_KERNEL_MINOR_VERSION} or newer` };
  }
  const minor = Math.min(arg.minor, KERNEL_MINOR_VERSION);
  const offered = offeredFlags(arg);
  let flags = offered & p.want;
  // flags2 only exists for a kernel that offered INIT_EXT; answering with it tells the kernel to read flags2.
  if (flags >> 32n) flags |= InitFlags.INIT_EXT;
  flags &= offered;

  let maxWrite = Math.max(PAGE_SIZE, Math.floor(p.maxWrite));
  let maxPages = 0;
  if (flags & InitFlags.MAX_PAGES) {
    maxPages = Math.min(MAX_MAX_PAGES, Math.max(1, Math.ceil(maxWrite / PAGE_SIZE)));
  } else {
    // Without MAX_PAGES the kernel caps requests at 32 pages (FUSE_DEFAULT_MAX_PAGES_PER_REQ).
    maxWrite = Math.min(maxWrite, 32 * PAGE_SIZE);
  }
  maxWrite = Math.min(maxWrite, (maxPages || 32) * PAGE_SIZE);

  const out: InitOut = {
    major: KERNEL_VERSION,
    minor: KERNEL_MINOR_VERSION,
    max_readahead: Math.min(arg.max_readahead, p.maxReadahead),
    flags: Number(flags & 0xffffffffn),
    max_background: Math.min(0xffff, p.maxBackground),
    congestion_threshold: Math.min(0xffff, p.congestionThreshold),
    max_write: maxWrite,
    time_gran: p.timeGran,
    max_pages: maxPages,
    map_alignment: 0,
    flags2: Number(flags >> 32n),
    max_stack_depth: flags & InitFlags.PASSTHROUGH ? (p.maxStackDepth ?? 1) : 0,
    request_timeout: flags & InitFlags.REQUEST_TIMEOUT ? Math.min(0xffff, p.requestTimeout ?? 0) : 0,
  };
  return { kind: 'ok', out, minor, flags, offered, maxWrite, maxPages };
}

/** Names of the flags set in `flags`, for logs: "ASYNC_READ|POSIX_LOCKS|...". */
export function initFlagNames(flags: bigint): string {
  const names: string[] = [];
  for (const [name, bit] of Object.entries(InitFlags)) if (flags & bit) names.push(name);
  const known = Object.values(InitFlags).reduce((a, b) => a | b, 0n);
  const unknown = flags & ~known;
  if (unknown) names.push(`0x${unknown.toString(16)}`);
  return names.join('|') || '0';
}
