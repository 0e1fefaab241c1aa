/** Behaviour under the kernel's page cache (writeback) and O_DIRECT. */
import { Opcode, WriteFlags } from '../../../protocol';
import { reorderingBackend } from '../../reorder';
import type { Scenario } from '../kit';
import { O_DIRECT, O_RDWR } from './common';

export const directIoOrdering: Scenario = {
  name: 'direct-io-ordering',
  description: 'with the writeback cache and a reordering backend, O_DIRECT reads never overtake cached writes',
  needs: ['write'],
  // It wraps the filesystem object (a reordering backend): devfuse filesystems only.
  internal: true,
  async run(t) {
    const v = await t.start({ session: { writebackCache: true }, wrap: (fs) => reorderingBackend(fs, { writeDelayMs: [2, 15] }) });
    const f = await v.create('/o', 0o644, O_RDWR | 0o100);
    await v.write(f.nodeid, f.fh, 0, Buffer.alloc(65536, 'A'));
    for (let i = 0; i < 10; i++) {
      const fill = Buffer.alloc(4096, String.fromCharCode(98 + i));
      const off = (i % 8) * 4096;
      const w = v.k.send(Opcode.WRITE, f.nodeid, { arg: { fh: f.fh, offset: off, size: fill.length, write_flags: WriteFlags.CACHE, lock_owner: 0n, flags: O_RDWR }, data: fill });
      const got = await v.read(f.nodeid, f.fh, off, 4096, O_RDWR | O_DIRECT);
      if (!got.equals(fill)) {
        t.fail(`O_DIRECT READ at ${off} while a cached WRITE of it is in flight (round ${i})`, `the new bytes ("${fill.toString('latin1', 0, 1)}"...)`, `"${got.toString('latin1', 0, 1)}"...`);
      }
      await w.reply;
    }
    await v.release(f.nodeid, f.fh);
  },
};
