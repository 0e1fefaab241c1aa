/** Older protocol minors. */
import type { Scenario } from '../kit';

export const oldMinors: Scenario = {
  name: 'old-minors',
  description: 'INIT at protocol 7.26 to 7.45: the same operations work and every reply has the size that minor expects',
  needs: ['write'],
  async run(t) {
    for (const minor of [26, 28, 31, 34, 36, 38, 40, 43, 45]) {
      const v = await t.start({ init: { minor } });
      const step = (s: string): string => `7.${minor}: ${s}`;
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
