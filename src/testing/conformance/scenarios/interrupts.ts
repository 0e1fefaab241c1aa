/** INTERRUPT: every request answered once; EINTR means no effect. */
import { Errno, errnoName, Opcode } from '../../../protocol';
import type { Pending } from '../../emulator';
import type { Vfs } from '../../vfs';
import type { Scenario } from '../kit';
import { O_CREAT, O_EXCL, O_RDWR } from './common';

export const interrupts: Scenario = {
  name: 'interrupts',
  uses: ['write'],
  description: 'an INTERRUPT at any moment leaves every request answered exactly once',
  async run(t) {
    const v = await t.start();
    // A file of our own, or on a read-only filesystem the first name at the root.
    let name = 'i';
    if (t.has('write')) await v.writeFile('/i', 'x'.repeat(1000));
    else name = (await v.readdir('/')).find((e) => e.name !== '.' && e.name !== '..')?.name ?? t.skip('a read-only filesystem with nothing at its root');
    const id = await v.nodeid(`/${name}`);
    const ps = [];
    for (let i = 0; i < 30; i++) {
      const p = i % 2 ? v.k.send(Opcode.GETATTR, id, { arg: { getattr_flags: 0, fh: 0 } }) : v.k.send(Opcode.LOOKUP, 1, { name });
      if (i % 3 === 0) v.k.interrupt(p);
      ps.push(p);
    }
    const rs = await Promise.all(ps.map((p) => p.reply));
    rs.forEach((r, i) => t.check(r.error === 0 || r.error === -Errno.EINTR, `request ${i} after an INTERRUPT`, 'success or EINTR', String(r.error)));
    await new Promise((r) => setTimeout(r, 10));
    t.check(v.k.inFlight === 0, 'requests left unanswered', '0', String(v.k.inFlight));
  },
};

type When = 'at once' | 'next tick' | 'after 2 ms';

/** What one interrupted request does, and how to tell whether it took effect. */
interface Case {
  what: string;
  setup(v: Vfs, n: string): Promise<void>;
  send(v: Vfs, n: string): Promise<Pending>;
  /** true: the whole effect is there; false: none of it; a string: something in between. */
  effect(v: Vfs, n: string): Promise<boolean | string>;
  needs?: 'xattr' | 'symlink';
}

const exists = (v: Vfs, path: string): Promise<boolean> => v.lookup(path).then(() => true, () => false);

const CASES: Case[] = [
  {
    what: 'MKDIR',
    setup: async () => undefined,
    send: async (v, n) => v.k.send(Opcode.MKDIR, 1, { arg: { mode: 0o755, umask: 0o022 }, name: `m${n}` }),
    effect: (v, n) => exists(v, `/m${n}`),
  },
  {
    what: 'CREATE',
    setup: async () => undefined,
    send: async (v, n) => v.k.send(Opcode.CREATE, 1, { arg: { flags: O_RDWR | O_CREAT | O_EXCL, mode: 0o100644, umask: 0o022, open_flags: 0 }, name: `c${n}` }),
    effect: (v, n) => exists(v, `/c${n}`),
  },
  {
    what: 'UNLINK',
    setup: (v, n) => v.writeFile(`/u${n}`, 'x'),
    send: async (v, n) => v.k.send(Opcode.UNLINK, 1, { name: `u${n}` }),
    effect: async (v, n) => !(await exists(v, `/u${n}`)),
  },
  {
    what: 'RMDIR',
    setup: (v, n) => v.mkdir(`/r${n}`).then(() => undefined),
    send: async (v, n) => v.k.send(Opcode.RMDIR, 1, { name: `r${n}` }),
    effect: async (v, n) => !(await exists(v, `/r${n}`)),
  },
  {
    what: 'RENAME',
    setup: (v, n) => v.writeFile(`/from${n}`, 'x'),
    send: async (v, n) => v.k.send(Opcode.RENAME, 1, { arg: { newdir: 1 }, oldname: `from${n}`, newname: `to${n}` }),
    effect: async (v, n) => {
      const a = await exists(v, `/from${n}`);
      const b = await exists(v, `/to${n}`);
      return a && !b ? false : !a && b ? true : `/from${n} ${a ? 'exists' : 'gone'}, /to${n} ${b ? 'exists' : 'missing'}`;
    },
  },
  {
    what: 'WRITE',
    setup: (v, n) => v.writeFile(`/w${n}`, 'old data'),
    send: async (v, n) => {
      const f = await v.open(`/w${n}`, O_RDWR);
      return v.k.send(Opcode.WRITE, f.nodeid, { arg: { fh: f.fh, offset: 0, size: 8, write_flags: 0, lock_owner: 0n, flags: O_RDWR }, data: Buffer.from('NEW DATA') });
    },
    effect: async (v, n) => {
      const d = (await v.readFile(`/w${n}`)).toString();
      return d === 'NEW DATA' ? true : d === 'old data' ? false : JSON.stringify(d);
    },
  },
  {
    what: 'SETATTR size 0',
    setup: (v, n) => v.writeFile(`/s${n}`, 'data'),
    send: async (v, n) => {
      const id = await v.nodeid(`/s${n}`);
      const arg = { valid: 1 << 3, fh: 0, size: 0, lock_owner: 0n, atime: 0, mtime: 0, ctime: 0, atimensec: 0, mtimensec: 0, ctimensec: 0, mode: 0, uid: 0, gid: 0 };
      return v.k.send(Opcode.SETATTR, id, { arg });
    },
    effect: async (v, n) => {
      const size = (await v.getattr(`/s${n}`)).size;
      return size === 0 ? true : size === 4 ? false : `size ${size}`;
    },
  },
  {
    what: 'SYMLINK',
    needs: 'symlink',
    setup: async () => undefined,
    send: async (v, n) => v.k.send(Opcode.SYMLINK, 1, { name: `l${n}`, linkname: 'target' }),
    effect: (v, n) => exists(v, `/l${n}`),
  },
  {
    what: 'SETXATTR',
    needs: 'xattr',
    setup: (v, n) => v.writeFile(`/x${n}`, ''),
    send: async (v, n) => {
      const value = Buffer.from('set');
      return v.k.send(Opcode.SETXATTR, await v.nodeid(`/x${n}`), { arg: { size: value.length, flags: 0, setxattr_flags: 0 }, name: 'user.i', value });
    },
    effect: (v, n) => v.getxattr(`/x${n}`, 'user.i').then((b) => (b.toString() === 'set' ? true : JSON.stringify(b.toString())), () => false),
  },
];

export const interruptEffects: Scenario = {
  name: 'interrupt-effects',
  uses: ['symlink', 'xattr'],
  description: 'a request interrupted at once, a tick later or 2 ms later: answered EINTR it had no effect at all, answered with success it had all of it (MKDIR, CREATE, UNLINK, RMDIR, RENAME, WRITE, SETATTR, SYMLINK, SETXATTR)',
  needs: ['write'],
  async run(t) {
    const v = await t.start();
    let i = 0;
    let eintr = 0;
    for (const c of CASES) {
      if (c.needs && !t.has(c.needs)) continue;
      for (const when of ['at once', 'next tick', 'after 2 ms'] as When[]) {
        const n = String(i++);
        t.step(`${c.what} interrupted ${when}`);
        await c.setup(v, n);
        const p = await c.send(v, n);
        if (when === 'next tick') await new Promise((r) => setImmediate(r));
        if (when === 'after 2 ms') await new Promise((r) => setTimeout(r, 2));
        if (!p.answered) v.k.interrupt(p);
        const r = await p.reply;
        if (r.body?.kind === 'create') await v.release(r.body.entry.nodeid, r.body.open.fh);
        const effect = await c.effect(v, n);
        if (r.error === -Errno.EINTR) {
          eintr++;
          t.check(effect === false, `${c.what} interrupted ${when}, answered EINTR`, 'no effect', effect === true ? 'the whole effect (an EINTR must mean nothing happened: the caller will retry or give up)' : `part of it: ${effect}`);
        } else if (r.error === 0) {
          t.check(effect === true, `${c.what} interrupted ${when}, answered with success`, 'the whole effect', effect === false ? 'no effect' : `part of it: ${effect}`);
        } else {
          t.fail(`${c.what} interrupted ${when}`, 'success or EINTR', errnoName(-r.error));
        }
      }
    }
    t.step(`${eintr} requests answered EINTR`);
  },
};
