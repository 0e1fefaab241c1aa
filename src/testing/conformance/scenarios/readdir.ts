/** Directory listings: cookies, entries, types. */
import { Opcode } from '../../../protocol';
import type { Scenario } from '../kit';

export const readdirOffsets: Scenario = {
  name: 'readdir-offsets',
  description: 'READDIR cookies stay valid across calls and after unlinks: no entry skipped or repeated',
  needs: ['write'],
  async run(t) {
    const v = await t.start();
    await v.mkdir('/d');
    const all = Array.from({ length: 40 }, (_, i) => `n${String(i).padStart(2, '0')}`);
    for (const n of all) await v.writeFile(`/d/${n}`, '');
    const first = (await v.readdir('/d', 512)).map((e) => e.name);
    const second = (await v.readdir('/d', 4096)).map((e) => e.name);
    t.check(JSON.stringify([...first].sort()) === JSON.stringify([...second].sort()), 'two listings of /d (512-byte and 4 KiB buffers)', 'the same entries', `${first.length} vs ${second.length} entries`);
    // One listing, interrupted by unlinks of entries already returned and entries not yet returned.
    const d = await v.nodeid('/d');
    const o = await v.k.request(Opcode.OPENDIR, d, { arg: { flags: 0, open_flags: 0 } });
    const fh = o.body?.kind === 'open' ? o.body.open.fh : 0;
    const seen: string[] = [];
    let offset = 0;
    let unlinked: string[] = [];
    for (let round = 0; round < 200; round++) {
      const r = await v.k.request(Opcode.READDIR, d, { arg: { fh, offset, size: 256, read_flags: 0, lock_owner: 0n, flags: 0 } });
      if (r.error) {
        t.fail(`READDIR /d offset ${offset}`, 'success', String(r.error));
        break;
      }
      const entries = r.body?.kind === 'dirents' ? r.body.entries : [];
      if (entries.length === 0) break;
      seen.push(...entries.map((e) => e.name));
      offset = entries[entries.length - 1]!.off;
      if (round === 1) {
        const returned = seen.filter((n) => n.startsWith('n')).slice(0, 3);
        const ahead = all.filter((n) => !seen.includes(n)).slice(0, 3);
        unlinked = [...returned, ...ahead];
        for (const n of unlinked) await v.unlink(`/d/${n}`);
      }
    }
    await v.k.request(Opcode.RELEASEDIR, d, { arg: { fh, flags: 0, release_flags: 0, lock_owner: 0n } });
    const counts = new Map<string, number>();
    for (const n of seen) counts.set(n, (counts.get(n) ?? 0) + 1);
    for (const [n, c] of counts) t.check(c === 1, `entry ${n} during a listing with unlinks`, 'returned once', `${c} times`);
    for (const n of all.filter((x) => !unlinked.includes(x))) t.check(counts.has(n), `surviving entry ${n}`, 'returned', 'skipped');
  },
};
