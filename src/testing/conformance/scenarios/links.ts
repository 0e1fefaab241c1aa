/** Hard links and symbolic links. */
import type { Scenario } from '../kit';
import { code, UNSUPPORTED } from './common';

export const hardLinks: Scenario = {
  name: 'hard-links',
  description: 'LINK: shared data, link counts up and down, no links to directories',
  needs: ['write', 'link'],
  async run(t) {
    const v = await t.start();
    await v.writeFile('/a', 'one');
    const e = await t.expectOk(v.link('/a', '/b'), 'LINK /a → /b');
    if (!e) return;
    const a = await v.lookup('/a');
    t.check(e.attr.nlink === 2, 'nlink in the LINK reply', '2', String(e.attr.nlink));
    t.check(a.nodeid === e.nodeid || a.attr?.ino === e.attr.ino, 'node id of /a and /b', `the same (${a.nodeid}), or at least the same inode number (${a.attr?.ino})`, `node ${e.nodeid}, ino ${e.attr.ino}`);
    const ga = await v.getattr(a.nodeid);
    t.check(ga.nlink === 2, 'GETATTR /a after LINK /a → /b', 'nlink 2', `nlink ${ga.nlink}`);
    await t.expectError(v.link('/a', '/b'), 'EEXIST', 'LINK /a → /b again (/b exists)');
    await v.writeFile('/b', 'two');
    const got = (await v.readFile('/a')).toString();
    t.check(got === 'two', 'READ /a after writing /b', '"two"', JSON.stringify(got));
    await v.unlink('/a');
    const attr = await v.getattr('/b');
    t.check(attr.nlink === 1, 'nlink of /b after unlinking /a', '1', String(attr.nlink));
    const left = await t.expectOk(v.readFile('/b'), 'READ /b after unlinking its other name /a');
    t.check(left?.toString() === 'two', 'content of /b after unlinking /a', '"two"', JSON.stringify(left?.toString()));
    await t.expectError(v.lookup('/a'), 'ENOENT', 'LOOKUP /a after UNLINK');
    t.step('three names across directories, removed one by one');
    await v.mkdir('/x');
    await v.link('/b', '/x/c');
    await v.link('/x/c', '/x/d');
    for (const [gone, left2, n] of [['/b', '/x/d', 2], ['/x/c', '/x/d', 1]] as const) {
      await v.unlink(gone);
      const la = await v.getattr(left2);
      t.check(la.nlink === n, `nlink of ${left2} after unlinking ${gone}`, String(n), String(la.nlink));
      const data = await t.expectOk(v.readFile(left2), `READ ${left2} after unlinking ${gone}`);
      t.check(data?.toString() === 'two', `content of ${left2} after unlinking ${gone}`, '"two"', JSON.stringify(data?.toString()));
    }
    await v.mkdir('/d');
    await t.expectError(v.link('/d', '/dl'), 'EPERM', 'LINK to a directory');
    const root = await v.getattr(1);
    await v.mkdir('/d/e');
    const d = await v.getattr('/d');
    t.check(d.nlink === 3, 'nlink of a directory with one subdirectory', '3', String(d.nlink));
    t.check(root.nlink >= 2, 'nlink of the root', '≥ 2', String(root.nlink));
  },
};

export const symlinks: Scenario = {
  name: 'symlinks',
  description: 'SYMLINK and READLINK: the target exactly as given (up to 4095 bytes), S_IFLNK with the size of the target, dangling targets, EEXIST on a taken name, hard links to a symlink',
  needs: ['write', 'symlink'],
  async run(t) {
    const v = await t.start();
    t.step('symlinks with short, dangling, relative, absolute and 4095-byte targets');
    const targets = ['t', 'does/not/exist', '../../../..', '/absolute/path', 'dir/', 'x'.repeat(4095)];
    for (const [i, target] of targets.entries()) {
      const e = await t.expectOk(v.symlink(target, `/s${i}`), `SYMLINK /s${i} → ${target.length > 40 ? `${target.length} bytes` : JSON.stringify(target)}`);
      if (!e) continue;
      t.check((e.attr.mode & 0o170000) === 0o120000, `mode in the SYMLINK reply for /s${i}`, 'S_IFLNK (0120000)', `0${e.attr.mode.toString(8)}`);
      const got = await t.expectOk(v.readlink(`/s${i}`), `READLINK /s${i}`);
      t.check(got === target, `READLINK /s${i}`, target.length > 40 ? `the ${target.length}-byte target` : JSON.stringify(target), got === undefined ? 'nothing' : got.length > 40 ? `${got.length} bytes` : JSON.stringify(got));
      const a = await v.getattr(`/s${i}`);
      t.check((a.mode & 0o170000) === 0o120000 && a.size === target.length, `GETATTR /s${i}`, `S_IFLNK, size ${target.length}`, `mode 0${a.mode.toString(8)}, size ${a.size}`);
    }
    t.step('errors');
    await v.writeFile('/file', 'f');
    await t.expectError(v.symlink('x', '/file'), 'EEXIST', 'SYMLINK onto an existing name');
    const f = await t.expectOk(v.readFile('/file'), 'READ /file after a refused SYMLINK onto it');
    t.check(f?.toString() === 'f', 'content of /file after a refused SYMLINK onto it', '"f"', JSON.stringify(f?.toString()));
    t.step('listing and removing a symlink');
    const e = (await v.readdir('/')).find((x) => x.name === 's0');
    t.check(!!e && (e.type === 10 || e.type === 0), 'READDIR /: type of the symlink s0', '10 (DT_LNK)', String(e?.type));
    await t.expectOk(v.unlink('/s1'), 'UNLINK of a dangling symlink');
    await t.expectError(v.lookup('/s1'), 'ENOENT', 'LOOKUP /s1 after UNLINK');
    try {
      await v.link('/s0', '/s0-hard');
      const a = await v.getattr('/s0');
      t.check(a.nlink === 2, 'nlink of /s0 after LINK /s0 → /s0-hard', '2', String(a.nlink));
      const tgt = await t.expectOk(v.readlink('/s0-hard'), 'READLINK of a hard link to a symlink');
      t.check(tgt === 't', 'READLINK /s0-hard', '"t"', JSON.stringify(tgt));
    } catch (err) {
      if (!['EPERM', ...UNSUPPORTED].includes(code(err))) throw err;
    }
  },
};
