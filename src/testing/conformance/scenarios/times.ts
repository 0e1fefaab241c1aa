/** Attributes fresh after every change: sizes, link counts and modes at once; mtime and ctime where POSIX moves them. */
import type { Attr } from '../../../protocol';
import type { Vfs } from '../../vfs';
import type { Scenario, ScenarioContext } from '../kit';
import { clockTick, cmpTime, ctimeOf, fmtTime, mtimeOf, O_CREAT, O_RDWR, O_WRONLY, type Time } from './common';

type Which = 'mtime' | 'ctime';

/**
 * Runs `change` and checks, for each path, that the times named advanced
 * (and, for 'same', that mtime did not move).
 */
async function expectTimes(t: ScenarioContext, v: Vfs, what: string, change: () => Promise<unknown>, targets: { path: string | number; advance: Which[]; same?: Which[] }[]): Promise<void> {
  const before = new Map<string | number, Attr>();
  for (const x of targets) before.set(x.path, await v.getattr(x.path));
  await clockTick();
  t.step(what);
  try {
    await change();
  } catch (e) {
    t.fail(what, 'success', e instanceof Error ? e.message : String(e));
    return;
  }
  for (const x of targets) {
    const b = before.get(x.path)!;
    const a = await v.getattr(x.path);
    const pick = (at: Attr, w: Which): Time => (w === 'mtime' ? mtimeOf(at) : ctimeOf(at));
    for (const w of x.advance) {
      t.check(cmpTime(pick(a, w), pick(b, w)) > 0, `${w} of ${String(x.path)} after ${what}`, `later than ${fmtTime(pick(b, w))}`, fmtTime(pick(a, w)));
    }
    for (const w of x.same ?? []) {
      t.check(cmpTime(pick(a, w), pick(b, w)) === 0, `${w} of ${String(x.path)} after ${what}`, `unchanged (${fmtTime(pick(b, w))})`, fmtTime(pick(a, w)));
    }
  }
}

export const times: Scenario = {
  name: 'times',
  description: "mtime and ctime advance on write and truncate; ctime alone on chmod, chown, utimes and setxattr; a file's ctime and its directory's mtime and ctime on link and unlink; a directory's on create, mkdir, rmdir, symlink and rename in it; a READ moves neither",
  needs: ['write', 'setattr'],
  async run(t) {
    const v = await t.start();
    await v.mkdir('/d');
    await v.mkdir('/e');
    await v.writeFile('/d/f', 'first');
    const f = await v.nodeid('/d/f');
    const h = await v.open(f, O_RDWR);
    await expectTimes(t, v, 'a WRITE to /d/f', () => v.write(f, h.fh, 0, Buffer.from('second')), [{ path: f, advance: ['mtime', 'ctime'] }]);
    await expectTimes(t, v, 'a truncate of /d/f', () => v.setattr(f, { size: 2 }), [{ path: f, advance: ['mtime', 'ctime'] }]);
    await expectTimes(t, v, 'chmod of /d/f', () => v.setattr(f, { mode: 0o600 }), [{ path: f, advance: ['ctime'], same: ['mtime'] }]);
    await expectTimes(t, v, 'chown of /d/f', () => v.setattr(f, { uid: 7 }), [{ path: f, advance: ['ctime'], same: ['mtime'] }]);
    await expectTimes(t, v, 'utimes of /d/f', () => v.setattr(f, { mtime: { sec: 1e9, nsec: 0 } }), [{ path: f, advance: ['ctime'] }]);
    await expectTimes(t, v, 'a READ of /d/f', () => v.read(f, h.fh, 0, 10), [{ path: f, advance: [], same: ['mtime', 'ctime'] }]);
    if (await v.setxattr(f, 'user.t', 'x').then(() => true, () => false)) {
      await expectTimes(t, v, 'setxattr of /d/f', () => v.setxattr(f, 'user.t', 'y'), [{ path: f, advance: ['ctime'], same: ['mtime'] }]);
    }
    await v.release(f, h.fh);
    if (await v.link('/d/f', '/d/probe').then(() => true, () => false)) {
      await v.unlink('/d/probe');
      await expectTimes(t, v, 'LINK /d/f → /e/l', () => v.link('/d/f', '/e/l'), [{ path: f, advance: ['ctime'] }, { path: '/e', advance: ['mtime', 'ctime'] }]);
      await expectTimes(t, v, 'UNLINK /e/l', () => v.unlink('/e/l'), [{ path: f, advance: ['ctime'] }, { path: '/e', advance: ['mtime', 'ctime'] }]);
    }
    await expectTimes(t, v, 'CREATE /d/n', () => v.create('/d/n', 0o644, O_WRONLY | O_CREAT).then((c) => v.release(c.nodeid, c.fh)), [{ path: '/d', advance: ['mtime', 'ctime'] }]);
    await expectTimes(t, v, 'MKDIR /d/s', () => v.mkdir('/d/s'), [{ path: '/d', advance: ['mtime', 'ctime'] }]);
    await expectTimes(t, v, 'RMDIR /d/s', () => v.rmdir('/d/s'), [{ path: '/d', advance: ['mtime', 'ctime'] }]);
    await expectTimes(t, v, 'UNLINK /d/n', () => v.unlink('/d/n'), [{ path: '/d', advance: ['mtime', 'ctime'] }]);
    if (await v.symlink('x', '/e/probe').then(() => true, () => false)) {
      await expectTimes(t, v, 'SYMLINK /d/sl', () => v.symlink('f', '/d/sl'), [{ path: '/d', advance: ['mtime', 'ctime'] }]);
    }
    await expectTimes(t, v, 'RENAME /d/f → /e/f', () => v.rename('/d/f', '/e/f'), [{ path: '/d', advance: ['mtime', 'ctime'] }, { path: '/e', advance: ['mtime', 'ctime'] }]);
    await expectTimes(t, v, 'RENAME /e/f → /e/g (same directory)', () => v.rename('/e/f', '/e/g'), [{ path: '/e', advance: ['mtime', 'ctime'] }]);
  },
};

export const attrsFresh: Scenario = {
  name: 'attrs-fresh',
  description: 'sizes, link counts and modes are current in GETATTR and LOOKUP right after each change: a write that extends, a write through another handle, links, subdirectories, chmod',
  needs: ['write'],
  async run(t) {
    const v = await t.start();
    t.step('sizes after writes through two handles');
    const c = await v.create('/s', 0o644, O_RDWR | O_CREAT);
    const other = await v.open('/s', O_RDWR);
    let size = 0;
    for (let i = 1; i <= 6; i++) {
      const h = i % 2 ? c : other;
      const chunk = Buffer.alloc(1000 * i, 48 + i);
      await v.write(h.nodeid, h.fh, size, chunk);
      size += chunk.length;
      const viaOther = i % 2 ? other : c;
      const a = await v.getattr(viaOther.nodeid, viaOther.fh);
      t.check(a.size === size, `GETATTR (through the other handle) after write ${i} extended /s`, `size ${size}`, `size ${a.size}`);
      const l = await v.lookup('/s');
      t.check(l.attr?.size === size, `LOOKUP /s after write ${i}`, `size ${size}`, `size ${l.attr?.size}`);
    }
    await v.write(c.nodeid, c.fh, 10, Buffer.from('inside'));
    const inside = await v.getattr('/s');
    t.check(inside.size === size, 'size after a write inside the file', String(size), String(inside.size));
    for (const h of [c, other]) await v.release(h.nodeid, h.fh);
    const final = await v.getattr('/s');
    t.check(final.size === size, 'size after both handles were released', String(size), String(final.size));
    t.step('link counts of directories as subdirectories come and go');
    await v.mkdir('/d');
    for (let i = 0; i < 4; i++) {
      await v.mkdir(`/d/sub${i}`);
      const l = await v.lookup('/d');
      t.check(l.attr?.nlink === 3 + i, `LOOKUP /d after MKDIR /d/sub${i}`, `nlink ${3 + i}`, `nlink ${l.attr?.nlink}`);
    }
    await v.writeFile('/d/file', '');
    const withFile = await v.getattr('/d');
    t.check(withFile.nlink === 6, 'nlink of /d after adding a file (files do not count)', '6', String(withFile.nlink));
    for (let i = 3; i >= 0; i--) {
      await v.rmdir(`/d/sub${i}`);
      const g = await v.getattr('/d');
      t.check(g.nlink === 2 + i, `GETATTR /d after RMDIR /d/sub${i}`, `nlink ${2 + i}`, `nlink ${g.nlink}`);
    }
    t.step('modes after chmod, seen by LOOKUP');
    for (const mode of [0o600, 0o755, 0o4711, 0o000]) {
      await v.setattr('/d/file', { mode });
      const l = await v.lookup('/d/file');
      t.check(((l.attr?.mode ?? 0) & 0o7777) === mode && ((l.attr?.mode ?? 0) & 0o170000) === 0o100000, `LOOKUP /d/file after chmod 0${mode.toString(8)}`, `mode 0100${mode.toString(8).padStart(3, '0')}`, `0${(l.attr?.mode ?? 0).toString(8)}`);
    }
  },
};
