/** INTERRUPT: every request answered once; EINTR means no effect. */
import { Errno, Opcode } from '../../../protocol';
import type { Scenario } from '../kit';

export const interrupts: Scenario = {
  name: 'interrupts',
  description: 'an INTERRUPT at any moment leaves every request answered exactly once',
  needs: ['write'],
  async run(t) {
    const v = await t.start();
    await v.writeFile('/i', 'x'.repeat(1000));
    const id = await v.nodeid('/i');
    const ps = [];
    for (let i = 0; i < 30; i++) {
      const p = i % 2 ? v.k.send(Opcode.GETATTR, id, { arg: { getattr_flags: 0, fh: 0 } }) : v.k.send(Opcode.LOOKUP, 1, { name: 'i' });
      if (i % 3 === 0) v.k.interrupt(p);
      ps.push(p);
    }
    const rs = await Promise.all(ps.map((p) => p.reply));
    rs.forEach((r, i) => t.check(r.error === 0 || r.error === -Errno.EINTR, `request ${i} after an INTERRUPT`, 'success or EINTR', String(r.error)));
    await new Promise((r) => setTimeout(r, 10));
    t.check(v.k.inFlight === 0, 'requests left unanswered', '0', String(v.k.inFlight));
  },
};
