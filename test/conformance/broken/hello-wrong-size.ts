/** A read-only filesystem whose sizes do not match the content (a size from a template, without direct_io): readers stop early or read zeros. */
import type { AttrReplyInput, Filesystem } from '../../../src/api/filesystem';
import { helloFs } from '../../../src/examples/hello';

export const scenario = 'tree-walk';
export function make(): Filesystem {
  const h = helloFs();
  return {
    ...h,
    getattr: (ctx, ino, fh) => {
      const a = h.getattr!(ctx, ino, fh) as AttrReplyInput & { size?: number };
      return ino === 1 ? a : { ...a, size: 4096 };
    },
    lookup: (ctx, parent, name) => {
      const e = h.lookup!(ctx, parent, name) as { ino: number; attr: { mode: number } };
      return { ...e, attr: { ...e.attr, size: 4096 } };
    },
  };
}
