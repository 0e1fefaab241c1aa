/** Files open but unlinked: they live until the last release, and their name is free for a new file. */
import type { Scenario } from '../kit';
import { firstDifference, O_CREAT, O_RDWR, pattern, show } from './common';

export const openUnlinked: Scenario = {
  name: 'open-unlinked',
  description: 'a file unlinked while open keeps its data and attributes (nlink 0) through its handles until the last release; its name is free at once, and a new file of that name is another inode; its directory can be removed',
  needs: ['write'],
  async run(t) {
    const v = await t.start();
    const base = t.inspect?.liveInodes();
    const data = Buffer.concat([Buffer.from('precious|'), pattern(9000, 7)]);
    t.step('/u written, opened twice, then unlinked');
    const f = await v.create('/u', 0o640, O_RDWR | O_CREAT);
    await v.write(f.nodeid, f.fh, 0, data);
    const second = await v.open('/u', O_RDWR);
    await v.unlink('/u');
    const a = await t.expectOk(v.getattr(f.nodeid), `GETATTR of the unlinked, open node ${f.nodeid}`);
    if (a) t.check(a.nlink === 0 && a.size === data.length && (a.mode & 0o777) === 0o640, 'attributes of the unlinked, open file', `nlink 0, size ${data.length}, mode 0640`, `nlink ${a.nlink}, size ${a.size}, mode 0${(a.mode & 0o777).toString(8)}`);
    const af = await t.expectOk(v.getattr(f.nodeid, f.fh), 'GETATTR with fh (fstat) of the unlinked file');
    if (af) t.check(af.size === data.length, 'fstat size of the unlinked file', String(data.length), String(af.size));
    const r = await t.expectOk(v.read(f.nodeid, f.fh, 0, data.length + 100), 'READ through a handle of the unlinked file');
    t.check(!!r && r.equals(data), 'data of the unlinked, open file', `${data.length} bytes as written`, r ? `${show(r)}, first difference at ${firstDifference(r, data)}` : 'nothing');
    await t.expectError(v.lookup('/u'), 'ENOENT', 'LOOKUP /u after UNLINK');
    const listed = (await v.readdir('/')).some((e) => e.name === 'u');
    t.check(!listed, 'READDIR / after unlinking /u', 'u not listed', 'u listed');
    t.step('a new /u while the old one is open');
    const n = await t.expectOk(v.create('/u', 0o600, O_RDWR | O_CREAT), 'CREATE /u while the unlinked /u is still open');
    if (n) {
      t.check(n.nodeid !== f.nodeid, 'node id of the new /u', `not ${f.nodeid} (the unlinked file, still open)`, String(n.nodeid));
      t.check(n.entry.attr.size === 0 && n.entry.attr.nlink === 1, 'the new /u', 'size 0, nlink 1', `size ${n.entry.attr.size}, nlink ${n.entry.attr.nlink}`);
      await v.write(n.nodeid, n.fh, 0, Buffer.from('new file'));
      await v.release(n.nodeid, n.fh);
    }
    const again = await t.expectOk(v.read(second.nodeid, second.fh, 0, 9), 'READ of the unlinked file after a new /u was written');
    t.check(again?.toString() === 'precious|', 'the unlinked file after a new /u was written', '"precious|"', JSON.stringify(again?.toString()));
    const fresh = await v.readFile('/u');
    t.check(fresh.toString() === 'new file', 'content of the new /u', '"new file"', show(fresh));
    t.step('writing through the handle of the unlinked file, releasing one handle');
    await t.expectOk(v.write(f.nodeid, f.fh, data.length, Buffer.from('|more')), 'WRITE through a handle of the unlinked file');
    await v.release(f.nodeid, f.fh);
    const tail = await t.expectOk(v.read(second.nodeid, second.fh, data.length, 100), 'READ through the other handle after the first was released');
    t.check(tail?.toString() === '|more', 'data written through the first handle, read through the second after the first was released', '"|more"', JSON.stringify(tail?.toString()));
    const a2 = await t.expectOk(v.getattr(second.nodeid, second.fh), 'GETATTR of the unlinked file after one release');
    if (a2) t.check(a2.size === data.length + 5 && a2.nlink === 0, 'the unlinked file after one release', `size ${data.length + 5}, nlink 0`, `size ${a2.size}, nlink ${a2.nlink}`);
    await v.release(second.nodeid, second.fh);
    t.step('a directory whose only file is unlinked but open can be removed');
    await v.mkdir('/dd');
    const x = await v.create('/dd/x', 0o644, O_RDWR | O_CREAT);
    await v.unlink('/dd/x');
    await t.expectOk(v.rmdir('/dd'), 'RMDIR /dd while its unlinked file /dd/x is still open');
    const xd = await t.expectOk(v.write(x.nodeid, x.fh, 0, Buffer.from('orphan')), 'WRITE to the open file of the removed directory');
    if (xd !== undefined) {
      const xr = await v.read(x.nodeid, x.fh, 0, 10);
      t.check(xr.toString() === 'orphan', 'READ back from the open file of the removed directory', '"orphan"', JSON.stringify(xr.toString()));
    }
    await v.release(x.nodeid, x.fh);
    if (base !== undefined) {
      await v.unlink('/u');
      v.k.forgetAll();
      await new Promise((r) => setTimeout(r, 0));
      const after = t.inspect?.liveInodes();
      t.check(after === base, 'inodes the filesystem holds once every file is unlinked, released and forgotten', `${base} (as at the start)`, `${after}`);
    }
  },
};
