/**
 * devfuse filesystems behind the reordering backend, as exports the
 * serve-child can mount (it calls an export with no arguments).
 */
import { memfs } from '../../src/fs/memfs';
import { passthroughFromEnv } from '../../src/fs/passthrough';
import type { Filesystem } from '../../src/api/filesystem';
import { reorderingBackend } from '../../src/testing/reorder';

/** Writes applied 0-10 ms late, reads at once. */
const DELAY: [number, number] = [0, 10];

export function reorderedMemfs(): Filesystem {
  return reorderingBackend(memfs(), { writeDelayMs: DELAY });
}

export function reorderedPassthrough(): Filesystem {
  return reorderingBackend(passthroughFromEnv(), { writeDelayMs: DELAY });
}

/** reorderedPassthrough whose data workers (option workers) apply writes late too. */
export function reorderedPassthroughWorkers(): Filesystem {
  return { ...reorderedPassthrough(), dataPath: { module: require.resolve('./slow-data-path') } };
}
