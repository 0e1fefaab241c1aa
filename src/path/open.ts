/**
 * What open, create and opendir answer, made into the kernel's open reply,
 * with the cache options applied (direct_io, kernel_cache, auto_cache as
 * libfuse's open_auto_cache does it).
 */
import type { OpenResult, RequestContext } from '../api/filesystem';
import { InvalidReplyError } from '../protocol/errors';
import type { PathCore } from './core';
import type { PathNode } from './nodes';
import type { PathOpenResult } from './types';

/** A PathOpenResult as an OpenResult with a checked handle. */
export function openResult(r: PathOpenResult): OpenResult {
  if (r === undefined || r === null) return { fh: 0 };
  if (typeof r === 'number') return { fh: checkFh(r) };
  if (typeof r !== 'object') throw new InvalidReplyError(`open answered ${typeof r}, not a handle number or an object`);
  return { ...r, fh: r.fh === undefined ? 0 : checkFh(r.fh) };
}

function checkFh(fh: number): number {
  if (!Number.isSafeInteger(fh) || fh < 0) throw new InvalidReplyError(`open answered the handle ${String(fh)}; handles are integers from 0 to 2^53`);
  return fh;
}

/** Records the open on its node and sets the per-open cache flags the options ask for. */
export function opened(c: PathCore, node: PathNode, o: OpenResult): OpenResult {
  const { opts } = c;
  if (opts.directIo) o.directIo = true;
  if (opts.kernelCache) o.keepCache = true;
  else if (opts.autoCache && !o.directIo) {
    if (node.cacheValid) o.keepCache = true;
    node.cacheValid = true;
  }
  c.table.opened(node, o.fh ?? 0);
  return o;
}

/** auto_cache: attributes older than ac_attr_timeout are fetched again before the open decides. */
export function staleForAutoCache(c: PathCore, node: PathNode): boolean {
  return c.opts.autoCache && !c.opts.kernelCache && performance.now() - node.cacheStamp > c.opts.acAttrTimeout;
}

/** A release nobody waits for (a create that failed after the file was made, mknod by create). */
export function releaseQuietly(c: PathCore, path: string, fh: number, flags: number, ctx: RequestContext): void {
  const release = c.fs.release;
  if (!release) return;
  void Promise.resolve()
    .then(() => release.call(c.fs, path, fh, flags, ctx))
    .catch(() => undefined);
}
