/** Hard links and symbolic links. */
import type { Scenario } from '../kit';

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
    t.check(a.nodeid === e.nodeid, 'node id of /a and /b', `the same (${a.nodeid})`, String(e.nodeid));
    await v.writeFile('/b', 'two');
    const got = (await v.readFile('/a')).toString();
    t.check(got === 'two', 'READ /a after writing /b', '"two"', JSON.stringify(got));
    await v.unlink('/a');
    const attr = await v.getattr('/b');
    t.check(attr.nlink === 1, 'nlink of /b after unlinking /a', '1', String(attr.nlink));
    await v.mkdir('/d');
    await t.expectError(v.link('/d', '/dl'), 'EPERM', 'LINK to a directory');
    const root = await v.getattr(1);
    await v.mkdir('/d/e');
    const d = await v.getattr('/d');
    t.check(d.nlink === 3, 'nlink of a directory with one subdirectory', '3', String(d.nlink));
    t.check(root.nlink >= 2, 'nlink of the root', '≥ 2', String(root.nlink));
  },
};
