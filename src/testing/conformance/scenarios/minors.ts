/** Older protocol minors. */
import type { Scenario } from '../kit';

export const oldMinors: Scenario = {
  name: 'old-minors',
  uses: ['write'],
  description: 'INIT at protocol 7.26 to 7.45: the same operations work and every reply has the size that minor expects',
  async run(t) {
    for (const minor of [26, 28, 31, 34, 36, 38, 40, 43, 45]) {
      const v = await t.start({ init: { minor } });
      const step = (s: string): string => `7.${minor}: ${s}`;
      t.step(step('the same operations'));
      if (!t.has('write')) {
        // Read-only: what is there, listed, looked up, read.
        const root = await t.expectOk(v.readdir('/'), step('READDIR /'));
        const first = root?.find((e) => e.name !== '.' && e.name !== '..');
        if (first) {
          const e = await t.expectOk(v.lookup(`/${first.name}`), step(`LOOKUP /${first.name}`));
          if (e) await t.expectOk(v.getattr(e.nodeid), step(`GETATTR /${first.name}`));
          if (e?.attr && (e.attr.mode & 0o170000) === 0o100000) await t.expectOk(v.readFile(`/${first.name}`), step(`READ /${first.name}`));
        }
        await t.expectOk(v.statfs(), step('STATFS'));
        t.finish();
        continue;
      }
      await t.expectOk(v.mkdir('/d'), step('MKDIR /d'));
      await t.expectOk(v.writeFile('/d/f', 'abc'), step('CREATE+WRITE /d/f'));
      const got = await t.expectOk(v.readFile('/d/f'), step('READ /d/f'));
      t.check(got?.toString() === 'abc', step('content of /d/f'), '"abc"', JSON.stringify(got?.toString()));
      const list = await t.expectOk(v.readdir('/d'), step('READDIR /d'));
      t.check(!!list?.some((e) => e.name === 'f'), step('READDIR /d lists f'), 'f', JSON.stringify(list?.map((e) => e.name)));
      await t.expectOk(v.statfs(), step('STATFS'));
      t.finish();
    }
  },
};
