/** What any filesystem, read-only ones included, must get right about what it already holds. */
import { FopenFlags } from '../../../protocol';
import type { Scenario } from '../kit';
import { S_IFDIR, S_IFLNK, S_IFMT, S_IFREG } from './common';

export const treeWalk: Scenario = {
  name: 'tree-walk',
  description: 'the tree as it is (no writes): every listed name found by LOOKUP with the type and inode number READDIR gave, files read to their end at the size GETATTR says, symlinks read, a missing name is ENOENT',
  async run(t) {
    const v = await t.start();
    t.step('GETATTR of the root');
    const root = await v.getattr(1);
    t.check((root.mode & S_IFMT) === S_IFDIR, 'GETATTR of the root', 'a directory', `mode 0${root.mode.toString(8)}`);
    const missing = await v.lookup('/.devfuse-no-such-name').then(() => 'found', (e: unknown) => (e instanceof Error ? e.message.split(':')[0]! : String(e)));
    t.check(missing === 'ENOENT', 'LOOKUP of a name that is not there', 'ENOENT', missing);
    let files = 0;
    const queue: [string, number][] = [['/', 0]];
    while (queue.length && files < 200) {
      const [dir, depth] = queue.shift()!;
      t.step(`listing ${dir}`);
      const list = await v.readdir(dir);
      for (const e of list) {
        if (e.name === '.' || e.name === '..') continue;
        if (++files > 200) break;
        const path = dir === '/' ? `/${e.name}` : `${dir}/${e.name}`;
        const l = await t.expectOk(v.lookup(path), `LOOKUP ${path} (listed in ${dir})`);
        if (!l?.attr) continue;
        const type = l.attr.mode & S_IFMT;
        t.check(e.type === 0 || e.type === type >> 12, `READDIR ${dir}: type of ${e.name}`, `${type >> 12} (as LOOKUP's mode 0${l.attr.mode.toString(8)})`, String(e.type));
        t.check(e.ino === l.attr.ino, `READDIR ${dir}: ino of ${e.name}`, `${l.attr.ino} (as LOOKUP)`, String(e.ino));
        const g = await v.getattr(l.nodeid);
        t.check(g.mode === l.attr.mode && g.size === l.attr.size && g.ino === l.attr.ino, `GETATTR ${path}`, `as LOOKUP: mode 0${l.attr.mode.toString(8)} size ${l.attr.size}`, `mode 0${g.mode.toString(8)} size ${g.size}`);
        if (type === S_IFDIR && depth < 3) queue.push([path, depth + 1]);
        if (type === S_IFLNK) {
          const target = await t.expectOk(v.readlink(path), `READLINK ${path}`);
          if (target !== undefined) t.check(target.length > 0, `READLINK ${path}`, 'a target', 'an empty target');
        }
        if (type === S_IFREG && (g.mode & 0o444) !== 0) {
          t.step(`reading ${path}`);
          const o = await t.expectOk(v.open(l.nodeid), `OPEN ${path} read-only`);
          if (!o) continue;
          await v.release(o.nodeid, o.fh);
          const data = await t.expectOk(v.readFile(path), `READ ${path} to its end`);
          // A direct_io file may have no size of its own (like /proc files); any other reads as long as it says.
          if (data && !(o.open_flags & FopenFlags.DIRECT_IO)) t.check(data.length === g.size, `bytes read from ${path}`, `${g.size} (its size)`, String(data.length));
        }
      }
    }
  },
};
