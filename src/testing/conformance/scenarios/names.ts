/** Names kept byte for byte. */
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
