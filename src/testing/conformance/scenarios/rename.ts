/** rename and renameat2 in every shape. */
import type { Scenario } from '../kit';
import { code, RENAME_EXCHANGE, RENAME_NOREPLACE } from './common';

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
