/**
 * Path-API filesystems for serve-child (it calls an export by name, with
 * no arguments): pathMemfs with READDIRPLUS, and the path passthrough of
 * the directory named by DEVFUSE_PATH_SOURCE.
 */
import { fromPathFilesystem, type PathAdapter } from '../../src/path';
import { pathMemfs } from '../../src/examples/path-memfs';
import { pathPassthrough } from '../../src/examples/path-passthrough';

export function pathMemfsFs(): PathAdapter {
  return fromPathFilesystem(pathMemfs(), { readdirplus: true });
}

export function pathPassthroughFs(): PathAdapter {
  const source = process.env.DEVFUSE_PATH_SOURCE;
  if (!source) throw new Error('DEVFUSE_PATH_SOURCE is not set');
  return fromPathFilesystem(pathPassthrough(source), { readdirplus: true });
}
