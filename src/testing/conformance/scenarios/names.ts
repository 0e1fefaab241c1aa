/** Names kept byte for byte. */
import { nameByteLength } from '../../../protocol';
import type { Scenario } from '../kit';

export const oddNames: Scenario = {
  name: 'odd-names',
  description: 'names with spaces, newlines, UTF-8, non-UTF-8 bytes and 255 bytes round-trip exactly; 256 bytes is ENAMETOOLONG',
  needs: ['write'],
  async run(t) {
    const v = await t.start();
    const list = ['plain', 'with space', 'new\nline', 'tab\there', 'ümlaut', '😀 emoji', '\udcff\udcfe-not-utf8', 'a'.repeat(255), '-', '...'];
    for (const n of list) await t.expectOk(v.writeFile(`/${n}`, n), `CREATE ${JSON.stringify(n)}`);
    const got = (await v.readdir('/')).map((e) => e.name).filter((n) => n !== '.' && n !== '..');
    for (const n of list) t.check(got.filter((g) => g === n).length === 1, `READDIR / lists ${JSON.stringify(n)}`, 'exactly once', `${got.filter((g) => g === n).length} times`);
    t.check(got.length === list.length, 'READDIR / entry count', String(list.length), `${got.length}: ${JSON.stringify(got)}`);
    for (const n of list) {
      const data = await t.expectOk(v.readFile(`/${n}`), `LOOKUP+READ ${JSON.stringify(n)}`);
      if (data) t.check(data.toString() === Buffer.from(n).toString(), `content of ${JSON.stringify(n)}`, JSON.stringify(n), JSON.stringify(data.toString()));
    }
    await t.expectError(v.writeFile(`/${'b'.repeat(256)}`, 'x'), 'ENAMETOOLONG', 'CREATE of a 256-byte name');
  },
};

const ODD = ['with space', 'new\nline', 'ümlaut', '\udcff\udcfe-not-utf8', 'x'.repeat(255), 'back\\slash', 'quote"\'', 'ctrl\u0001\u007f'];

export const oddNamesEverywhere: Scenario = {
  name: 'odd-names-ops',
  description: 'odd names survive MKDIR, CREATE, RENAME and SYMLINK (name and target) byte for byte, and a name differing in one byte is another name',
  needs: ['write', 'rename', 'symlink'],
  async run(t) {
    const v = await t.start();
    t.step('directories and renames with odd names');
    for (const [i, n] of ODD.entries()) {
      const d = `/${n.slice(0, 200)}.d${i}`;
      if (!(await t.expectOk(v.mkdir(d), `MKDIR ${JSON.stringify(d)}`))) continue;
      await t.expectOk(v.writeFile(`${d}/${n}`, `file ${i}`), `CREATE ${JSON.stringify(n)} in ${JSON.stringify(d)}`);
      const to = `${d}/${n.slice(0, 250)}→${i}`;
      await t.expectOk(v.rename(`${d}/${n}`, to), `RENAME ${JSON.stringify(n)} → ${JSON.stringify(to)}`);
      const names = (await v.readdir(d)).map((e) => e.name).filter((x) => x !== '.' && x !== '..');
      const want = to.slice(d.length + 1);
      t.check(names.length === 1 && names[0] === want, `READDIR ${JSON.stringify(d)} after the rename`, JSON.stringify([want]), JSON.stringify(names));
      const data = await t.expectOk(v.readFile(to), `READ ${JSON.stringify(to)}`);
      t.check(data?.toString() === `file ${i}`, `content of ${JSON.stringify(to)}`, JSON.stringify(`file ${i}`), JSON.stringify(data?.toString()));
    }
    t.step('symlink targets with odd bytes');
    for (const [i, target] of [...ODD, '../up/../and/./down', 'a/'.repeat(500) + 'z', '\udcff'.repeat(4)].entries()) {
      const s = `/link${i}`;
      if (!(await t.expectOk(v.symlink(target, s), `SYMLINK ${s} → ${JSON.stringify(target.slice(0, 40))}`))) continue;
      const got = await t.expectOk(v.readlink(s), `READLINK ${s}`);
      t.check(got === target, `READLINK ${s}`, JSON.stringify(target.slice(0, 60)), JSON.stringify(got?.slice(0, 60)));
      const a = await v.getattr(s);
      const bytes = nameByteLength(target);
      t.check(a.size === bytes, `size of symlink ${s}`, `${bytes} (the target's length in bytes)`, String(a.size));
    }
    t.step('names that differ in one byte or in case');
    for (const [a, b] of [['Case', 'case'], ['ab', 'ab '], ['é', 'e\u0301'], ['x', 'x\udcff']]) {
      await v.writeFile(`/${a}`, 'A');
      await v.writeFile(`/${b}`, 'B');
      const ra = await t.expectOk(v.readFile(`/${a}`), `READ ${JSON.stringify(a)}`);
      t.check(ra?.toString() === 'A', `${JSON.stringify(a)} after creating ${JSON.stringify(b)}`, '"A" (a different name, a different file)', JSON.stringify(ra?.toString()));
    }
  },
};
