/**
 * Traces: a session's requests and replies, recorded byte for byte, shown
 * decoded, and replayed against a filesystem in the kernel emulator with the
 * replies diffed.
 *
 * Format (JSON Lines, one message per line, so a trace of a crashed session
 * is still readable up to the crash):
 *
 *   {"devfuse_trace":1,"started":"2026-11-23T22:00:00.000Z"}
 *   {"t":1234,"dir":"in","data":"<base64 of the request>"}
 *   {"t":1301,"dir":"out","data":"<base64 of the reply or notification>","err":0}
 *
 * `t` is microseconds since the start; `err` is the errno the device gave
 * the write (ENOENT: the kernel no longer waited for that reply).
 * src/server/core/recording-channel.ts writes them (serve's `trace` option, the
 * CLI's --trace).
 */
import fs from 'node:fs';
import {
  Errno, InitFlags, KERNEL_MINOR_VERSION, OPS, Opcode, ProtocolError, decodeReply, decodeRequest, errnoName, opcodeName,
  readOutHeader, readUnique, type DecodeContext, type DecodedReply, type ReplyKind,
} from '../protocol';
import { formatRequest, type SessionOptions } from '../server/index';
import type { Filesystem } from '../api/filesystem';
import { KernelEmulator, sizeAsked } from './emulator';
import type { Limits } from './limits';

export interface TraceEvent {
  /** µs since the trace started. */
  t: number;
  dir: 'in' | 'out';
  data: Buffer;
  /** For 'out': the errno of the write, 0 when the kernel took it. */
  err?: number;
}

export function readTrace(file: string): TraceEvent[] {
  const lines = fs.readFileSync(file, 'utf8').split('\n').filter(Boolean);
  const head = JSON.parse(lines[0] ?? '{}') as { devfuse_trace?: number };
  if (head.devfuse_trace !== 1) throw new Error(`${file} is not a devfuse trace (no {"devfuse_trace":1} header)`);
  return lines.slice(1).map((l, i) => {
    const x = JSON.parse(l) as { t: number; dir: 'in' | 'out'; data: string; err?: number };
    if ((x.dir !== 'in' && x.dir !== 'out') || typeof x.data !== 'string') throw new Error(`${file}:${i + 2}: not a trace event`);
    return { t: x.t, dir: x.dir, data: Buffer.from(x.data, 'base64'), err: x.err };
  });
}

/** Tracks INIT so later requests decode with the negotiated minor and flags. */
function contextAfter(ctx: DecodeContext, initReply: Buffer | undefined): DecodeContext {
  if (!initReply || initReply.length < 16 + 24) return ctx;
  const minor = Math.min(ctx.minor, initReply.readUInt32LE(16 + 4));
  const flags = BigInt(initReply.readUInt32LE(16 + 12)) | (initReply.length >= 16 + 40 ? BigInt(initReply.readUInt32LE(16 + 36)) << 32n : 0n);
  return { minor, setxattrExt: (flags & InitFlags.SETXATTR_EXT) !== 0n };
}

/** One line per message, decoded as --debug prints them. */
export function formatTrace(events: readonly TraceEvent[]): string[] {
  const lines: string[] = [];
  let ctx: DecodeContext = { minor: KERNEL_MINOR_VERSION, setxattrExt: false };
  const opcodes = new Map<number, number>();
  let initUnique = -1;
  for (const e of events) {
    const ts = `${(e.t / 1000).toFixed(3).padStart(10)} ms`;
    if (e.dir === 'in') {
      const r = decodeRequest(e.data, e.data.length, ctx);
      if (r instanceof ProtocolError) {
        lines.push(`${ts} → malformed: ${r.message}`);
        continue;
      }
      opcodes.set(r.header.unique, r.opcode);
      if (r.opcode === Opcode.INIT) initUnique = r.header.unique;
      lines.push(`${ts} ${formatRequest(r, {})}`);
    } else {
      const h = readOutHeader(e.data);
      if (h.unique === 0) {
        lines.push(`${ts} ⇐ notification code ${h.error} (${e.data.length - 16} bytes)`);
        continue;
      }
      if (h.unique === initUnique) ctx = contextAfter(ctx, e.data);
      const op = opcodes.get(h.unique);
      const status = h.error ? errnoName(-h.error) : `OK ${e.data.length - 16} bytes`;
      const err = e.err ? ` [write: ${errnoName(e.err)}]` : '';
      lines.push(`${ts} ← ${h.unique} ${op === undefined ? '?' : opcodeName(op)} ${status}${err}`);
    }
  }
  return lines;
}

export interface ReplayDifference {
  unique: number;
  opcode: string;
  recorded: string;
  replayed: string;
}

export interface ReplayResult {
  requests: number;
  compared: number;
  differences: ReplayDifference[];
  violations: string[];
}

/** A reply's bytes decoded as the answer to its request, timestamps aside; a malformed one as its error and bytes. */
function normalized(kind: ReplyKind, bytes: Buffer, how: { minor: number; size: number | undefined }): string {
  const r = decodeReply(kind, bytes, how);
  return r instanceof ProtocolError ? JSON.stringify({ kind, malformed: r.message, bytes: bytes.toString('hex') }) : withoutTimes(kind, r);
}

/** Zeroes the timestamps of attributes in a reply body, which no replay can reproduce. */
function withoutTimes(kind: string, r: DecodedReply): string {
  const strip = (a: Record<string, unknown>): Record<string, unknown> => ({ ...a, atime: 0, mtime: 0, ctime: 0, atimensec: 0, mtimensec: 0, ctimensec: 0 });
  const b = r.body as Record<string, unknown> | undefined;
  if (!b) return JSON.stringify({ error: r.error });
  const norm = JSON.parse(JSON.stringify(b, (_k, v: unknown) => (typeof v === 'bigint' ? v.toString() : Buffer.isBuffer(v) ? v.toString('base64') : v))) as Record<string, unknown>;
  const fix = (o: unknown): unknown => {
    if (Array.isArray(o)) return o.map(fix);
    if (o && typeof o === 'object') {
      const x = o as Record<string, unknown>;
      const out: Record<string, unknown> = {};
      for (const [k, v] of Object.entries(x)) {
        if (k === 'raw') continue; // the undecoded bytes carry the timestamps again
        out[k] = fix(v);
      }
      // fuse_attr and fuse_statx times: what no replay can reproduce
      return 'atimensec' in out ? strip(out) : out;
    }
    return o;
  };
  return JSON.stringify({ kind, error: r.error, body: fix(norm) });
}

/**
 * Replays the recorded requests against `fs` in the emulator, keeping the
 * recorded causality (a request is sent only after every reply recorded
 * before it), and compares each reply with the recorded one, timestamps
 * aside (the only fields a filesystem cannot reproduce).
 */
export async function replayTrace(events: readonly TraceEvent[], filesystem: Filesystem, session: SessionOptions = {}, limits: Partial<Limits> = {}): Promise<ReplayResult> {
  // Each request has its deadline, and the deadlines hold the event loop: a filesystem that never
  // answers one is a difference ("unanswered after 5000 ms"), never a replay that ends in silence.
  const k = new KernelEmulator(filesystem, { session, limits, keepAlive: true });
  const result: ReplayResult = { requests: 0, compared: 0, differences: [], violations: k.violations };
  const recorded = new Map<number, Buffer>();
  for (const e of events) if (e.dir === 'out' && e.data.length >= 16 && e.err !== Errno.ENOENT) {
    const u = readUnique(e.data, 8);
    if (u !== 0) recorded.set(u, e.data);
  }
  const pending = new Map<number, Promise<unknown>>();
  let ctx: DecodeContext = { minor: KERNEL_MINOR_VERSION, setxattrExt: false };
  for (const e of events) {
    if (e.dir === 'out') {
      const u = e.data.length >= 16 ? readUnique(e.data, 8) : 0;
      const p = pending.get(u);
      if (p) await p;
      continue;
    }
    const req = decodeRequest(e.data, e.data.length, ctx);
    if (req instanceof ProtocolError) continue;
    result.requests++;
    if (req.opcode === Opcode.INIT) k.minor = Math.min(req.arg.minor, KERNEL_MINOR_VERSION);
    const kind = OPS.get(req.opcode)?.reply ?? 'empty';
    if (kind === 'none' || req.opcode === Opcode.INTERRUPT) {
      k.sendRaw(e.data);
      continue;
    }
    const size = sizeAsked(req.opcode, req);
    const p = k.sendRaw(e.data, { unique: req.header.unique, opcode: req.opcode, size, nodeid: req.header.nodeid, body: req })!;
    const unique = req.header.unique;
    const compare = (failure?: unknown): void => {
      if (req.opcode === Opcode.INIT) ctx = contextAfter(ctx, recorded.get(unique));
      const rec = recorded.get(unique);
      if (!rec) return;
      result.compared++;
      // Both replies decoded the same way, by the request they answer (a size-0 GETXATTR/LISTXATTR is a size probe on both sides).
      const how = { minor: k.minor, size };
      const a = normalized(kind, rec, how);
      const b = p.replyBytes ? normalized(kind, p.replyBytes, how) : `no reply: ${failure instanceof Error ? failure.message : String(failure)}`;
      if (a !== b) result.differences.push({ unique, opcode: opcodeName(req.opcode), recorded: a, replayed: b });
    };
    pending.set(unique, p.reply.then(() => compare(), compare));
  }
  await Promise.all(pending.values());
  return result;
}
