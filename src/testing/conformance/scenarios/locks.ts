/** POSIX record locks (GETLK, SETLK, SETLKW) and BSD flock, for filesystems that keep their own. */
import { Errno, errnoName, Opcode } from '../../../protocol';
import type { Scenario } from '../kit';
import { code, F_RDLCK, F_UNLCK, F_WRLCK, firstUse, O_RDWR } from './common';

const EAGAIN = 'EAGAIN';

export const posixLocks: Scenario = {
  name: 'posix-locks',
  description: 'POSIX locks between two owners: GETLK reports the conflicting lock, SETLK refuses it (EAGAIN), ranges that do not overlap coexist, unlocking and FLUSH release, SETLKW waits for the release and answers EINTR when interrupted',
  needs: ['write', 'locks'],
  async run(t) {
    const v = await t.start();
    await v.writeFile('/l', 'x'.repeat(1000));
    const a = await v.open('/l', O_RDWR);
    const b = await v.open('/l', O_RDWR);
    const A = 1n;
    const B = 2n;
    const lk = (start: number, end: number, type: number, pid = 4242) => ({ start, end, type, pid });
    await firstUse(t, v.setlk(a.nodeid, a.fh, A, lk(0, 99, F_WRLCK)), 'SETLK');
    t.step('a conflicting lock');
    const g = await t.expectOk(v.getlk(b.nodeid, b.fh, B, lk(50, 60, F_RDLCK)), 'GETLK by B of 50-60 (A holds a write lock on 0-99)');
    if (g) t.check(g.type === F_WRLCK && g.start === 0 && g.end === 99, 'GETLK by B of 50-60', 'the write lock on 0-99', `type ${g.type} ${g.start}-${g.end}`);
    await t.expectError(v.setlk(b.nodeid, b.fh, B, lk(50, 60, F_WRLCK)), EAGAIN, 'SETLK by B of 50-60 (conflicts)');
    await t.expectOk(v.setlk(b.nodeid, b.fh, B, lk(100, 199, F_WRLCK)), 'SETLK by B of 100-199 (no overlap)');
    const own = await t.expectOk(v.getlk(a.nodeid, a.fh, A, lk(0, 99, F_WRLCK)), 'GETLK by A of its own range');
    if (own) t.check(own.type === F_UNLCK, 'GETLK by A of the range it holds', 'F_UNLCK (own locks never conflict)', `type ${own.type}`);
    t.step('unlocking');
    await t.expectOk(v.setlk(a.nodeid, a.fh, A, lk(0, 99, F_UNLCK)), 'SETLK F_UNLCK by A of 0-99');
    await t.expectOk(v.setlk(b.nodeid, b.fh, B, lk(50, 60, F_WRLCK)), 'SETLK by B of 50-60 after A unlocked');
    t.step('FLUSH drops the owner\'s locks (close)');
    await v.flush(b.nodeid, b.fh, B).catch(() => undefined);
    const free = await t.expectOk(v.getlk(a.nodeid, a.fh, A, lk(0, 199, F_WRLCK)), 'GETLK by A of 0-199 after B\'s FLUSH');
    if (free) t.check(free.type === F_UNLCK, 'GETLK by A after B\'s FLUSH (close drops all of B\'s locks)', 'F_UNLCK', `type ${free.type} ${free.start}-${free.end}`);
    t.step('SETLKW waits for the release');
    await v.setlk(b.nodeid, b.fh, B, lk(0, 9, F_WRLCK));
    const wait = v.k.send(Opcode.SETLKW, a.nodeid, { arg: { fh: a.fh, owner: A, lk: lk(0, 9, F_WRLCK), lk_flags: 0 } });
    await new Promise((r) => setTimeout(r, 20));
    t.check(!wait.answered, 'SETLKW by A of a range B holds', 'still waiting', 'answered before B released');
    await v.setlk(b.nodeid, b.fh, B, lk(0, 9, F_UNLCK));
    const w = await wait.reply;
    t.check(w.error === 0, 'SETLKW by A after B released', 'success', errnoName(-w.error));
    t.step('an interrupted SETLKW');
    const blocked = v.k.send(Opcode.SETLKW, b.nodeid, { arg: { fh: b.fh, owner: B, lk: lk(0, 9, F_WRLCK), lk_flags: 0 } });
    await new Promise((r) => setTimeout(r, 10));
    v.k.interrupt(blocked);
    const bi = await blocked.reply;
    t.check(bi.error === -Errno.EINTR, 'SETLKW by B, waiting on A, then interrupted', 'EINTR', bi.error ? errnoName(-bi.error) : 'success (it got a lock A still holds)');
    for (const h of [a, b]) await v.release(h.nodeid, h.fh);
  },
};

export const flock: Scenario = {
  name: 'flock',
  description: 'flock between two open files: LOCK_EX excludes (EAGAIN without waiting), LOCK_SH shares, unlock and release free it',
  needs: ['write', 'flock'],
  async run(t) {
    const v = await t.start();
    await v.writeFile('/f', 'x');
    const a = await v.open('/f', O_RDWR);
    const b = await v.open('/f', O_RDWR);
    await firstUse(t, v.flock(a.nodeid, a.fh, 1n, F_WRLCK), 'flock');
    await t.expectError(v.flock(b.nodeid, b.fh, 2n, F_WRLCK), EAGAIN, 'LOCK_EX|LOCK_NB by the second open file (the first holds LOCK_EX)');
    await t.expectError(v.flock(b.nodeid, b.fh, 2n, F_RDLCK), EAGAIN, 'LOCK_SH|LOCK_NB by the second open file (the first holds LOCK_EX)');
    await t.expectOk(v.flock(a.nodeid, a.fh, 1n, F_UNLCK), 'LOCK_UN by the first');
    await t.expectOk(v.flock(b.nodeid, b.fh, 2n, F_RDLCK), 'LOCK_SH by the second after LOCK_UN');
    await t.expectOk(v.flock(a.nodeid, a.fh, 1n, F_RDLCK), 'LOCK_SH by the first (shared)');
    await t.expectError(v.flock(a.nodeid, a.fh, 1n, F_WRLCK), EAGAIN, 'LOCK_EX|LOCK_NB by the first while the second shares');
    await v.release(b.nodeid, b.fh);
    try {
      await v.flock(a.nodeid, a.fh, 1n, F_WRLCK);
    } catch (e) {
      t.fail('LOCK_EX by the first after the second was released', 'success (a release drops its flock)', code(e));
    }
    await v.release(a.nodeid, a.fh);
  },
};
