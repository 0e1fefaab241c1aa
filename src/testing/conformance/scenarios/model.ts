/** The differential scenario: random sequences of system calls, the filesystem under test against the host's own. */
import type * as FastCheck from 'fast-check';
import { formatOp } from '../model/ops';
import { runModel } from '../model/run';
import type { Scenario } from '../kit';

export const model: Scenario = {
  name: 'model',
  uses: ['symlink', 'link', 'xattr', 'rename2'],
  description: 'seeded random sequences of system calls (create, write, truncate, mkdir, rmdir, unlink, renameat2, link, symlink, xattrs, chmod, open files...) give what they give on a directory of the host, outcome by outcome and tree by tree; the shortest failing sequence is reported with a trace (--seed reproduces, --ops goes deeper)',
  needs: ['write', 'rename', 'setattr'],
  async run(t) {
    let fc: typeof FastCheck;
    try {
      fc = require('fast-check') as typeof FastCheck;
    } catch (e) {
      return t.skip(`fast-check is not installed (${e instanceof Error ? e.message.split('\n')[0] : String(e)})`);
    }
    const r = await runModel(t, fc);
    t.step(`model: ${r.ops} operations in ${r.runs} sequences, seed ${r.seed}`);
    const f = r.failure;
    if (!f) return;
    const all = [...f.prelude, ...f.ops];
    const seq = all.map((o, i) => `${i < f.prelude.length ? 'setup' : String(i - f.prelude.length + 1).padStart(5)}  ${formatOp(o)}${i === f.difference.index ? '   ← differs' : ''}`).join('\n');
    const at = f.difference.index < f.prelude.length ? 'in the setup' : f.difference.index < all.length ? `operation ${f.difference.index - f.prelude.length + 1} of the shortest failing sequence` : 'after the shortest failing sequence';
    const replay = f.trace ? `\ntrace: ${f.trace} (devfuse trace replay ${f.trace} <module> [export])` : '';
    t.fail(
      `model, seed ${r.seed}: ${f.difference.what} (${at}, found after ${r.runs} sequences, ${f.shrinks} shrinks)`,
      `${f.difference.host} (as on the host)`,
      `${f.difference.subject}\nthe sequence, from a fresh filesystem (the setup is the same every time):\n${seq}${replay}`,
    );
  },
};
