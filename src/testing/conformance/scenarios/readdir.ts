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

/** The file type a dirent carries (DT_*) for a mode: the S_IFMT bits shifted down. */
function dtOf(mode: number): number {
  return (mode & 0o170000) >> 12;
}

export const readdirContents: Scenario = {
  name: 'readdir-contents',
  description: 'READDIR and READDIRPLUS list exactly the names LOOKUP finds, with their types and inode numbers, after every change; "." and ".." name the directory and its parent',
  needs: ['write', 'symlink'],
  async run(t) {
    const v = await t.start();
    t.step('a directory with a file, a directory and a symlink');
    await v.mkdir('/d');
    await v.writeFile('/d/file', 'x');
    await v.mkdir('/d/sub');
    await v.symlink('file', '/d/link');
    const check = async (when: string, want: string[]): Promise<void> => {
      const list = await v.readdir('/d');
      const names = list.map((e) => e.name).filter((n) => n !== '.' && n !== '..').sort();
      t.check(JSON.stringify(names) === JSON.stringify([...want].sort()), `READDIR /d ${when}`, JSON.stringify([...want].sort()), JSON.stringify(names));
      const dir = await v.lookup('/d');
      for (const e of list) {
        if (e.name === '.' || e.name === '..') {
          const target = e.name === '.' ? dir.attr : await v.getattr(1);
          if (target && e.ino !== 0) t.check(e.ino === target.ino, `READDIR /d: ino of "${e.name}" ${when}`, `${target.ino} (the ${e.name === '.' ? 'directory' : 'parent'})`, String(e.ino));
          continue;
        }
        const l = await t.expectOk(v.lookup(`/d/${e.name}`), `LOOKUP /d/${e.name} (listed ${when})`);
        if (!l?.attr) continue;
        t.check(e.type === 0 || e.type === dtOf(l.attr.mode), `READDIR /d: type of ${e.name} ${when}`, `${dtOf(l.attr.mode)} (mode 0${l.attr.mode.toString(8)}) or 0 (DT_UNKNOWN)`, String(e.type));
        t.check(e.ino === l.attr.ino, `READDIR /d: ino of ${e.name} ${when}`, `${l.attr.ino} (LOOKUP's)`, String(e.ino));
      }
    };
    await check('after the creates', ['file', 'sub', 'link']);
    t.step('changes: unlink, rename in, rename out, create');
    await v.unlink('/d/link');
    await v.writeFile('/other', 'o');
    await v.rename('/other', '/d/moved');
    await v.rename('/d/file', '/file2');
    await v.writeFile('/d/new', 'n');
    await check('after an unlink, two renames and a create', ['sub', 'moved', 'new']);
    t.step('READDIRPLUS /d: entries match LOOKUP and GETATTR');
    try {
      const plus = await v.readdirplus('/d');
      for (const e of plus) {
        if (e.name === '.' || e.name === '..' || !e.entry || e.entry.nodeid === 0) continue;
        const a = await v.getattr(e.entry.nodeid);
        const p = e.entry.attr;
        t.check(p.mode === a.mode && p.size === a.size && p.nlink === a.nlink && p.ino === a.ino, `READDIRPLUS /d: attributes of ${e.name}`, `as GETATTR: mode 0${a.mode.toString(8)} size ${a.size} nlink ${a.nlink} ino ${a.ino}`, `mode 0${p.mode.toString(8)} size ${p.size} nlink ${p.nlink} ino ${p.ino}`);
      }
      const names = plus.map((e) => e.name).filter((n) => n !== '.' && n !== '..').sort();
      t.check(JSON.stringify(names) === JSON.stringify(['moved', 'new', 'sub']), 'READDIRPLUS /d names', '["moved","new","sub"]', JSON.stringify(names));
    } catch (e) {
      if (!(e instanceof Error && /ENOSYS/.test(e.message))) throw e;
    }
    t.step('a directory of 300 entries read with small buffers');
    await v.mkdir('/big');
    const all = Array.from({ length: 300 }, (_, i) => `entry-${i}-${'z'.repeat(i % 40)}`);
    for (const n of all) await v.mknod(`/big/${n}`, 0o100644).catch(() => v.writeFile(`/big/${n}`, ''));
    for (const size of [128, 1024, 65536]) {
      const names = (await v.readdir('/big', size)).map((e) => e.name).filter((n) => n !== '.' && n !== '..');
      const set = new Set(names);
      t.check(names.length === all.length && set.size === all.length && all.every((n) => set.has(n)), `READDIR /big with ${size}-byte buffers`, `${all.length} names, each once`, `${names.length} names, ${set.size} distinct, ${all.filter((n) => !set.has(n)).length} missing`);
    }
  },
};
