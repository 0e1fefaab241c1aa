/**
 * --debug output: every request and reply, decoded, one line each.
 *
 *   → 12 LOOKUP nodeid=1 uid=0 pid=812 name="hello"
 *   ← 12 LOOKUP OK entry nodeid=2 (34 µs)
 *   ← 14 GETATTR ENOENT (12 µs)
 *   → 20 READ nodeid=2 direct cuse fh=0 offset=0 size=4096
 */
import { errnoName, opcodeName, readOutHeader, type Request } from '../../protocol';

function show(v: unknown): string {
  if (Buffer.isBuffer(v)) return `<${v.length} bytes>`;
  if (typeof v === 'string') return JSON.stringify(v);
  if (typeof v === 'bigint') return `0x${v.toString(16)}`;
  if (Array.isArray(v)) return v.length > 8 ? `[${v.length} items]` : `[${v.map(show).join(', ')}]`;
  if (typeof v === 'object' && v !== null) {
    return Object.entries(v)
      .map(([k, x]) => `${k}=${show(x)}`)
      .join(' ');
  }
  return String(v);
}

export function formatRequest(req: Request, flags: { direct?: boolean; cuse?: boolean }): string {
  const h = req.header;
  const parts = [`→ ${h.unique} ${opcodeName(h.opcode)} nodeid=${h.nodeid} uid=${h.uid} gid=${h.gid} pid=${h.pid}`];
  if (flags.direct) parts.push('direct');
  if (flags.cuse) parts.push('cuse');
  for (const [k, v] of Object.entries(req)) {
    if (k === 'opcode' || k === 'header' || (k === 'ext' && v === null)) continue;
    parts.push(k === 'arg' ? show(v) : `${k}=${show(v)}`);
  }
  return parts.join(' ');
}

/** A reply line: the error name or OK, what the reply carried, the latency. */
export function formatReply(unique: number, opcode: number, bytes: Buffer | readonly Buffer[], startedNs: bigint): string {
  const first = Buffer.isBuffer(bytes) ? bytes : bytes[0]!;
  const { error, len } = readOutHeader(first);
  const us = Number(process.hrtime.bigint() - startedNs) / 1000;
  const status = error === 0 ? `OK ${len - 16} bytes` : errnoName(-error);
  return `← ${unique} ${opcodeName(opcode)} ${status} (${us.toFixed(0)} µs)`;
}
