/** Lookup counting: what the kernel holds, what FORGET gives back, when an inode may go. */
import type { Scenario } from '../kit';

export const lookupForget: Scenario = {
  name: 'lookup-forget',
  description: 'lookup counts balance with FORGET; an unlinked inode lives until its last FORGET, then goes',
  needs: ['write'],
  async run(t) {
    const v = await t.start();
    await v.mkdir('/d');
    await v.writeFile('/d/f', 'data');
    for (let i = 0; i < 3; i++) await v.lookup('/d/f');
    const base = t.inspect?.liveInodes();
    const x = await v.create('/x');
    await v.release(x.nodeid, x.fh);
    await v.lookup('/x');
    await v.lookup('/x');
    await v.unlink('/x');
    // The kernel still holds 3 lookups: the inode must still answer.
    await t.expectOk(v.getattr(x.nodeid), `GETATTR of unlinked node ${x.nodeid} while the kernel still holds 3 lookups`);
    v.k.forget(x.nodeid, 2);
    await t.expectOk(v.getattr(x.nodeid), `GETATTR of unlinked node ${x.nodeid} with 1 lookup left`);
    v.k.forget(x.nodeid, 1);
    await new Promise((r) => setTimeout(r, 0));
    const after = t.inspect?.liveInodes();
    if (base !== undefined && after !== undefined) {
      t.check(after === base, `live inodes after the last FORGET of unlinked node ${x.nodeid}`, `${base} (the node freed)`, `${after} (node ${x.nodeid} still held: a leaked lookup)`);
    }
    v.k.forgetAll();
  },
};
