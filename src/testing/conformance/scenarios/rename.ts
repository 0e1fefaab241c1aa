/** rename and renameat2 in every shape. */
import type { Scenario } from '../kit';
import type { Vfs } from '../../vfs';
import { code, RENAME_EXCHANGE, RENAME_NOREPLACE, UNSUPPORTED } from './common';

export const rename: Scenario = {
  name: 'rename',
  description: 'rename and renameat2: replace, RENAME_NOREPLACE, RENAME_EXCHANGE, directory rules',
  needs: ['write', 'rename', 'rename2'],
  async run(t) {
    const v = await t.start();
    await v.writeFile('/a', 'A');
    await v.writeFile('/b', 'B');
    await t.expectError(v.rename('/a', '/b', RENAME_NOREPLACE), 'EEXIST', 'RENAME2 /a → /b (RENAME_NOREPLACE, /b exists)');
    const a1 = await t.expectOk(v.readFile('/a'), 'READ /a after a refused RENAME_NOREPLACE');
    t.check(a1?.toString() === 'A', '/a after a refused RENAME_NOREPLACE', '"A"', JSON.stringify(a1?.toString()));
    const b1 = await t.expectOk(v.readFile('/b'), 'READ /b after a refused RENAME_NOREPLACE');
    t.check(b1?.toString() === 'B', '/b after a refused RENAME_NOREPLACE', '"B" (untouched)', JSON.stringify(b1?.toString()));
    try {
      await v.rename('/a', '/b', RENAME_EXCHANGE);
      const a = (await v.readFile('/a')).toString();
      const b = (await v.readFile('/b')).toString();
      t.check(a === 'B' && b === 'A', 'RENAME2 /a ↔ /b (RENAME_EXCHANGE)', '/a = "B", /b = "A"', `/a = ${JSON.stringify(a)}, /b = ${JSON.stringify(b)}`);
      await t.expectError(v.rename('/a', '/missing', RENAME_EXCHANGE), 'ENOENT', 'RENAME_EXCHANGE with a missing target');
    } catch (e) {
      t.check(code(e) === 'EINVAL', 'RENAME2 (RENAME_EXCHANGE)', 'success, or EINVAL if unsupported', code(e));
    }
    await t.expectOk(v.rename('/a', '/b'), 'RENAME /a → /b replacing /b');
    await t.expectError(v.lookup('/a'), 'ENOENT', 'LOOKUP /a after it was renamed away');
    await v.mkdir('/d1');
    await v.mkdir('/d2');
    await v.writeFile('/d2/f', '');
    await t.expectError(v.rename('/d1', '/d2'), ['ENOTEMPTY', 'EEXIST'], 'RENAME directory onto a non-empty directory');
    await t.expectError(v.rename('/b', '/d1'), 'EISDIR', 'RENAME file onto a directory');
    await t.expectError(v.rename('/d1', '/b'), 'ENOTDIR', 'RENAME directory onto a file');
    await v.mkdir('/d1/sub');
    await t.expectError(v.rename('/d1', '/d1/sub/inside'), 'EINVAL', 'RENAME a directory into its own subtree');
    await t.expectOk(v.rename('/d1', '/d3'), 'RENAME a directory');
    await t.expectOk(v.lookup('/d3/sub'), 'LOOKUP below the renamed directory');
  },
};

async function nlinkOf(v: Vfs, path: string): Promise<number> {
  return (await v.getattr(path)).nlink;
}

export const renameDirectories: Scenario = {
  name: 'rename-directories',
  description: "moving directories: both parents' link counts, the moved directory's \"..\", the tree below it, exchanges of a file and a directory, a directory replacing an empty one",
  needs: ['write', 'rename'],
  async run(t) {
    const v = await t.start();
    t.step('/a with a subdirectory x (holding f), /b empty');
    await v.mkdir('/a');
    await v.mkdir('/b');
    await v.mkdir('/a/x');
    await v.writeFile('/a/x/f', 'deep');
    const counts = async (when: string, a: number, b: number): Promise<void> => {
      const na = await nlinkOf(v, '/a');
      const nb = await nlinkOf(v, '/b');
      t.check(na === a && nb === b, `nlink of /a and /b ${when}`, `${a} and ${b}`, `${na} and ${nb}`);
    };
    await counts('with /a/x', 3, 2);
    t.step('RENAME /a/x → /b/x (to another parent)');
    await v.rename('/a/x', '/b/x');
    await counts('after moving x from /a to /b', 2, 3);
    await t.expectError(v.lookup('/a/x'), 'ENOENT', 'LOOKUP /a/x after the move');
    const f = await t.expectOk(v.readFile('/b/x/f'), 'READ /b/x/f (the tree moved with its directory)');
    t.check(f?.toString() === 'deep', 'content of /b/x/f', '"deep"', JSON.stringify(f?.toString()));
    const b = await v.getattr('/b');
    const dotdot = (await v.readdir('/b/x')).find((e) => e.name === '..');
    if (dotdot && dotdot.ino !== 0) t.check(dotdot.ino === b.ino, 'READDIR /b/x: ".." after the move', `ino ${b.ino} (/b)`, `ino ${dotdot.ino}${dotdot.ino === (await v.getattr('/a')).ino ? ' (/a, the old parent)' : ''}`);
    t.step('RENAME /b/x → /b/y (same parent)');
    await v.rename('/b/x', '/b/y');
    await counts('after a rename within /b', 2, 3);
    t.step('RENAME /b/y over the empty directory /a/e');
    await v.mkdir('/a/e');
    await counts('with /a/e', 3, 3);
    const e = await v.lookup('/a/e');
    await t.expectOk(v.rename('/b/y', '/a/e'), 'RENAME /b/y → /a/e (over an empty directory)');
    await counts('after /b/y replaced /a/e', 3, 2);
    const old = await v.getattr(e.nodeid).catch(() => null);
    if (old) t.check(old.nlink === 0, `nlink of the replaced directory (node ${e.nodeid})`, '0', String(old.nlink));
    const moved = await t.expectOk(v.readFile('/a/e/f'), 'READ /a/e/f (the moved tree, under the replaced name)');
    t.check(moved?.toString() === 'deep', 'content of /a/e/f', '"deep"', JSON.stringify(moved?.toString()));
    // Without RENAME_EXCHANGE the directory stays in /a: the counts at the end follow.
    let exchanged = false;
    try {
      t.step('RENAME_EXCHANGE of a directory in /a and a file in /b');
      await v.writeFile('/b/file', 'plain');
      await v.rename('/a/e', '/b/file', RENAME_EXCHANGE);
      exchanged = true;
      await counts('after exchanging /a/e (a directory) with /b/file (a file)', 2, 3);
      const typeA = (await v.getattr('/a/e')).mode & 0o170000;
      const typeB = (await v.getattr('/b/file')).mode & 0o170000;
      t.check(typeA === 0o100000 && typeB === 0o040000, 'types after the exchange', '/a/e a file, /b/file a directory', `/a/e 0${typeA.toString(8)}, /b/file 0${typeB.toString(8)}`);
      const dd = (await v.readdir('/b/file')).find((x) => x.name === '..');
      if (dd && dd.ino !== 0) t.check(dd.ino === b.ino, 'READDIR /b/file: ".." after the exchange', `ino ${b.ino} (/b)`, `ino ${dd.ino}`);
    } catch (err) {
      if (code(err) !== 'EINVAL' && !UNSUPPORTED.includes(code(err))) throw err;
    }
    t.step('a directory cannot move below itself; a non-empty one cannot be replaced');
    await v.mkdir('/m');
    await v.mkdir('/m/n');
    await t.expectError(v.rename('/m', '/m/n/m'), 'EINVAL', 'RENAME /m → /m/n/m (into its own subtree)');
    await v.writeFile('/m/n/keep', 'k');
    await v.mkdir('/z');
    await t.expectError(v.rename('/z', '/m/n'), ['ENOTEMPTY', 'EEXIST'], 'RENAME /z over the non-empty /m/n');
    const keep = await t.expectOk(v.readFile('/m/n/keep'), 'READ /m/n/keep after the refused rename');
    t.check(keep?.toString() === 'k', '/m/n/keep after the refused rename', '"k"', JSON.stringify(keep?.toString()));
    await counts(`at the end${exchanged ? '' : ' (RENAME_EXCHANGE refused: /a keeps e)'}`, exchanged ? 2 : 3, exchanged ? 3 : 2);
  },
};

export const renameFiles: Scenario = {
  name: 'rename-files',
  description: 'renaming files: over a hard link of another file (only that name goes), over an open file (its data lives on), a hard link to a new name, symlinks, the old RENAME opcode',
  needs: ['write', 'rename', 'link'],
  async run(t) {
    const v = await t.start();
    t.step('/x over /h2, where /h1 and /h2 are links of another file');
    await v.writeFile('/h1', 'linked');
    await v.link('/h1', '/h2');
    await v.writeFile('/x', 'mover');
    const linked = await v.lookup('/h1');
    await t.expectOk(v.rename('/x', '/h2'), 'RENAME /x → /h2');
    const h1 = await t.expectOk(v.readFile('/h1'), 'READ /h1 (the other name of the replaced file)');
    t.check(h1?.toString() === 'linked', 'content of /h1', '"linked"', JSON.stringify(h1?.toString()));
    const h2 = await t.expectOk(v.readFile('/h2'), 'READ /h2');
    t.check(h2?.toString() === 'mover', 'content of /h2', '"mover"', JSON.stringify(h2?.toString()));
    const a1 = await v.getattr('/h1');
    t.check(a1.nlink === 1, 'nlink of /h1 after its other name was replaced', '1', String(a1.nlink));
    const byId = await v.getattr(linked.nodeid);
    t.check(byId.nlink === 1, `GETATTR of node ${linked.nodeid} (h1)`, 'nlink 1', String(byId.nlink));
    await t.expectError(v.lookup('/x'), 'ENOENT', 'LOOKUP /x after it moved');
    t.step('renaming one of two hard links to a new name');
    await v.link('/h1', '/h3');
    await v.rename('/h3', '/h4');
    const a4 = await v.getattr('/h4');
    t.check(a4.nlink === 2 && a4.ino === a1.ino, '/h4 (renamed from a link of /h1)', `nlink 2, ino ${a1.ino}`, `nlink ${a4.nlink}, ino ${a4.ino}`);
    const still = await t.expectOk(v.readFile('/h1'), 'READ /h1 after renaming its other link');
    t.check(still?.toString() === 'linked', 'content of /h1', '"linked"', JSON.stringify(still?.toString()));
    t.step('RENAME over a file that is open');
    await v.writeFile('/open', 'still here');
    const o = await v.open('/open');
    await v.writeFile('/new', 'replacement');
    await v.rename('/new', '/open');
    const kept = await t.expectOk(v.read(o.nodeid, o.fh, 0, 100), 'READ through a handle of the replaced file');
    t.check(kept?.toString() === 'still here', 'data of the replaced, still open file', '"still here"', JSON.stringify(kept?.toString()));
    const oa = await t.expectOk(v.getattr(o.nodeid, o.fh), 'GETATTR (with fh) of the replaced, open file');
    if (oa) t.check(oa.nlink === 0, 'nlink of the replaced, open file', '0', String(oa.nlink));
    await v.release(o.nodeid, o.fh);
    const now = await v.readFile('/open');
    t.check(now.toString() === 'replacement', 'content of /open', '"replacement"', JSON.stringify(now.toString()));
    t.step('symlinks move as links, not as their targets');
    await v.symlink('h1', '/sym');
    await v.rename('/sym', '/sym2');
    const target = await t.expectOk(v.readlink('/sym2'), 'READLINK /sym2 after the rename');
    t.check(target === 'h1', 'target of /sym2', '"h1"', JSON.stringify(target));
    t.step('the RENAME opcode (without flags)');
    await v.writeFile('/p1', 'plain');
    await t.expectOk(v.renamePlain('/p1', '/p2'), 'RENAME /p1 → /p2');
    await t.expectError(v.lookup('/p1'), 'ENOENT', 'LOOKUP /p1 after RENAME');
    const p2 = await t.expectOk(v.readFile('/p2'), 'READ /p2 after RENAME');
    t.check(p2?.toString() === 'plain', 'content of /p2', '"plain"', JSON.stringify(p2?.toString()));
    t.step('a file onto a directory and back');
    await v.mkdir('/dir');
    await t.expectError(v.rename('/p2', '/dir'), 'EISDIR', 'RENAME a file onto a directory');
    await t.expectError(v.rename('/dir', '/p2'), 'ENOTDIR', 'RENAME a directory onto a file');
    const p2b = await t.expectOk(v.readFile('/p2'), 'READ /p2 after the refused renames');
    t.check(p2b?.toString() === 'plain', 'content of /p2', '"plain"', JSON.stringify(p2b?.toString()));
    await t.expectError(v.rename('/missing', '/p3'), 'ENOENT', 'RENAME of a name that does not exist');
  },
};
