/** Reading and writing: holes, bounds, when a write is applied. */
import type { Scenario } from '../kit';
import { O_RDWR } from './common';

export const sparse: Scenario = {
  name: 'sparse',
  description: 'a write far past the end leaves a hole that reads as zeros; reads past EOF are short',
  needs: ['write'],
  async run(t) {
    const v = await t.start();
    const f = await v.create('/s', 0o644, O_RDWR | 0o100);
    await v.write(f.nodeid, f.fh, 1 << 20, Buffer.from('x'));
    const a = await v.getattr(f.nodeid);
    t.check(a.size === (1 << 20) + 1, 'size after a 1-byte write at 1 MiB', String((1 << 20) + 1), String(a.size));
    const hole = await v.read(f.nodeid, f.fh, 4096, 4096);
    t.check(hole.length === 4096 && hole.every((b) => b === 0), 'READ of the hole', '4096 zero bytes', `${hole.length} bytes`);
    const x = await v.read(f.nodeid, f.fh, 1 << 20, 10);
    t.check(x.toString() === 'x', 'READ at 1 MiB asking 10 bytes', '"x" (short: end of file)', JSON.stringify(x.toString()));
    const past = await v.read(f.nodeid, f.fh, 2 << 20, 10);
    t.check(past.length === 0, 'READ past the end', '0 bytes', String(past.length));
    await v.release(f.nodeid, f.fh);
  },
};

export const appliedWhenAnswered: Scenario = {
  name: 'write-applied',
  description: 'a WRITE is applied by the time it is answered: a read right after sees it',
  needs: ['write'],
  async run(t) {
    const v = await t.start();
    const f = await v.create('/w', 0o644, O_RDWR | 0o100);
    for (let i = 0; i < 20; i++) {
      const data = Buffer.from(`round ${i}`);
      await v.write(f.nodeid, f.fh, 0, data);
      const got = await v.read(f.nodeid, f.fh, 0, data.length);
      if (!got.equals(data)) {
        t.fail(`READ right after the WRITE of round ${i} was answered`, JSON.stringify(data.toString()), JSON.stringify(got.toString()));
        break;
      }
    }
    await v.release(f.nodeid, f.fh);
  },
};
