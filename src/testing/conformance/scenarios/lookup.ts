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

export const readdirplusLookups: Scenario = {
  name: 'readdirplus-lookups',
  description: 'each READDIRPLUS entry with a node id is one lookup: the inode outlives its unlink until that lookup is forgotten',
  needs: ['write', 'readdirplus'],
  async run(t) {
    const v = await t.start();
    t.step('setting up /p with five files, their CREATE lookups forgotten');
    await v.mkdir('/p');
    const names = ['f0', 'f1', 'f2', 'f3', 'f4'];
    for (const n of names) await v.writeFile(`/p/${n}`, n);
    const base = t.inspect?.liveInodes();
    for (const n of names) {
      const id = await v.nodeid(`/p/${n}`);
      v.k.forget(id, v.k.lookups.get(id) ?? 0);
    }
    t.step('READDIRPLUS /p');
    const list = await v.readdirplus('/p');
    const ids = new Map<string, number>();
    for (const e of list) if (names.includes(e.name) && e.entry && e.entry.nodeid !== 0) ids.set(e.name, e.entry.nodeid);
    for (const n of names) {
      const e = list.find((x) => x.name === n);
      t.check(!!e, `READDIRPLUS /p lists ${n}`, 'listed', 'missing');
      if (e?.entry && e.entry.nodeid !== 0) t.check(e.entry.attr.size === n.length, `READDIRPLUS /p: size of ${n}`, String(n.length), String(e.entry.attr.size));
    }
    t.step('unlinking every file while READDIRPLUS lookups are held');
    for (const n of names) await v.unlink(`/p/${n}`);
    for (const [n, id] of ids) {
      const a = await t.expectOk(v.getattr(id), `GETATTR of node ${id} (${n}, unlinked; the kernel holds the lookup its READDIRPLUS entry gave)`);
      if (a) t.check(a.nlink === 0, `nlink of unlinked ${n}`, '0', String(a.nlink));
    }
    t.step('forgetting the READDIRPLUS lookups');
    for (const id of ids.values()) v.k.forget(id, v.k.lookups.get(id) ?? 0);
    await new Promise((r) => setTimeout(r, 0));
    const after = t.inspect?.liveInodes();
    if (base !== undefined && after !== undefined) {
      t.check(after <= base - ids.size, 'live inodes after the last FORGET of five unlinked files', `at most ${base - ids.size}`, `${after} (READDIRPLUS lookups counted more than once, or not freed)`);
    }
  },
};

export const generations: Scenario = {
  name: 'generations',
  description: 'a node id used again for a new inode comes with a new generation; a held node keeps its generation',
  needs: ['write'],
  async run(t) {
    const v = await t.start();
    const seen = new Map<number, number>();
    let reused = 0;
    for (let i = 0; i < 24; i++) {
      t.step(`round ${i}: CREATE /g, then unlink and forget it`);
      const f = await v.create(i % 2 ? '/g' : '/h');
      const gen = f.entry.generation;
      const prev = seen.get(f.nodeid);
      if (prev !== undefined) {
        reused++;
        t.check(prev !== gen, `CREATE round ${i}: node id ${f.nodeid} used again after its inode was forgotten`, `a generation other than ${prev}`, `generation ${gen} again: NFS file handles and the kernel cannot tell the new inode from the old`);
      }
      seen.set(f.nodeid, gen);
      const again = await v.lookup(i % 2 ? '/g' : '/h');
      t.check(again.nodeid === f.nodeid && 'generation' in again && again.generation === gen, `LOOKUP of the file just created (round ${i})`, `node ${f.nodeid} generation ${gen}`, `node ${again.nodeid} generation ${'generation' in again ? again.generation : '?'}`);
      await v.release(f.nodeid, f.fh);
      await v.unlink(i % 2 ? '/g' : '/h');
      v.k.forget(f.nodeid, v.k.lookups.get(f.nodeid) ?? 0);
    }
    t.step(`${reused} node ids reused`);
  },
};

export const lookupBalance: Scenario = {
  name: 'lookup-balance',
  description: 'after a mixed workload and the FORGETs of an unmount, the filesystem holds no inode but the root',
  needs: ['write'],
  // It counts the filesystem's inodes through inspect(): devfuse filesystems that offer it.
  internal: true,
  async run(t) {
    const v = await t.start();
    const ins = t.inspect;
    if (!ins) return t.skip('the filesystem offers no inspect() to count its inodes');
    const base = ins.liveInodes();
    t.step('a mixed workload: creates, links, renames, listings, unlinks');
    await v.mkdir('/a');
    await v.mkdir('/a/b');
    for (let i = 0; i < 8; i++) await v.writeFile(`/a/f${i}`, `data ${i}`);
    await v.symlink('f0', '/a/s');
    await v.link('/a/f1', '/a/b/l1').catch(() => undefined);
    await v.rename('/a/f2', '/a/b/f2');
    await v.rename('/a/f3', '/a/f4');
    for (let i = 0; i < 3; i++) await v.lookup('/a/b/f2');
    await v.readdir('/a');
    await v.readdirplus('/a').catch(() => undefined);
    await v.readdirplus('/a/b').catch(() => undefined);
    const open = await v.open('/a/f5', 2);
    await v.unlink('/a/f5');
    await v.release(open.nodeid, open.fh);
    await v.unlink('/a/f6');
    await v.tmpfile('/a').then((x) => v.release(x.nodeid, x.fh)).catch(() => undefined);
    t.step('removing the tree, then the FORGETs of an unmount');
    for (const e of await v.readdir('/a/b')) if (e.name !== '.' && e.name !== '..') await v.unlink(`/a/b/${e.name}`);
    await v.rmdir('/a/b');
    for (const e of await v.readdir('/a')) if (e.name !== '.' && e.name !== '..') await v.unlink(`/a/${e.name}`);
    await v.rmdir('/a');
    v.k.forgetAll();
    await new Promise((r) => setTimeout(r, 0));
    const after = ins.liveInodes();
    t.check(after === base, 'inodes the filesystem holds after everything was removed and forgotten', `${base} (as before)`, `${after}: ${after > base ? 'a lookup leaked (forget does not give back what entries took)' : 'inodes freed that were there before'}`);
  },
};
