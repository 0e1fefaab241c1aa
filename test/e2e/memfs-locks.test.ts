/**
 * memfs through a real mount: fcntl record locks and flock between
 * processes (conflicts, F_GETLK, waiting, interrupted waits, deadlock,
 * release on close, OFD locks), and extended attributes.
 */
import assert from 'node:assert/strict';
import path from 'node:path';
import { after, test } from 'node:test';
import { py, PyProcess } from '../helpers/syscalls';
import { assertNothingMounted, skip, withMemfs } from '../helpers/mounted';

after(assertNothingMounted);

const F_WRLCK = 1;
const F_UNLCK = 2;

/** A process that takes a record lock (or flock) on `file`, reports, and holds it until told, then exits. */
function holder(file: string, take: string): PyProcess {
  return new PyProcess(
    `fd = os.open(ARGS[0], os.O_RDWR)
${take}
out('held')
waitline()
os.close(fd)
out('closed')
waitline()`,
    [file],
  );
}

test('memfs e2e: record locks between processes', { skip }, async () => {
  await withMemfs('memfs', {}, async ({ dir }) => {
    const file = path.join(dir, 'locked');
    py(`open(ARGS[0], 'w').write('x' * 100)`, [file]);
    const a = holder(file, 'setlk(fd, fcntl.F_WRLCK, 0, 10)');
    assert.equal(await a.next(), 'held');
    const probe = py<Record<string, unknown>>(
      `fd = os.open(ARGS[0], os.O_RDWR)
out({'conflict': tryErr(setlk, fd, fcntl.F_WRLCK, 5, 1), 'read_conflict': tryErr(setlk, fd, fcntl.F_RDLCK, 9, 1),
     'beside': tryErr(setlk, fd, fcntl.F_WRLCK, 10, 10), 'getlk': getlk(fd, fcntl.F_RDLCK, 0, 0),
     'getlk_free': getlk(fd, fcntl.F_WRLCK, 50, 10)})`,
      [file],
    );
    assert.deepEqual(probe, {
      conflict: 'EAGAIN', read_conflict: 'EAGAIN', beside: null,
      getlk: { type: F_WRLCK, start: 0, len: 10, pid: a.proc.pid },
      getlk_free: { type: F_UNLCK, start: 50, len: 10, pid: 0 },
    });

    // F_SETLKW waits for the holder, and gets the lock when the holder closes the file.
    const w = new PyProcess(
      `fd = os.open(ARGS[0], os.O_RDWR)
setlk(fd, fcntl.F_WRLCK, 0, 0, wait=True)
out('got')
waitline()`,
      [file],
    );
    assert.ok(await w.quietFor(300), 'the waiter waits');
    a.send();
    assert.equal(await a.next(), 'closed');
    assert.equal(await w.next(), 'got');
    const seen = py(`fd = os.open(ARGS[0], os.O_RDWR)\nout(getlk(fd, fcntl.F_RDLCK, 0, 0))`, [file]);
    assert.deepEqual(seen, { type: F_WRLCK, start: 0, len: 0, pid: w.proc.pid });
    w.send();
    a.send();
    await Promise.all([w.end(), a.end()]);

    // close() of any descriptor of the file drops the process's locks (POSIX), not only the one it locked through.
    const r = py<Record<string, unknown>>(
      `fd1 = os.open(ARGS[0], os.O_RDWR)
setlk(fd1, fcntl.F_WRLCK, 0, 0)
fd2 = os.open(ARGS[0], os.O_RDONLY)
os.close(fd2)
pid = os.fork()
if pid == 0:
    fd = os.open(ARGS[0], os.O_RDWR)
    os._exit(0 if getlk(fd, fcntl.F_WRLCK)['type'] == fcntl.F_UNLCK else 1)
out({'child_saw_unlocked': os.waitpid(pid, 0)[1] == 0})`,
      [file],
    );
    assert.deepEqual(r, { child_saw_unlocked: true });

    // OFD locks belong to the open file description: two opens in one process conflict.
    const ofd = py(
      `fd1 = os.open(ARGS[0], os.O_RDWR); fd2 = os.open(ARGS[0], os.O_RDWR)
fcntl.fcntl(fd1, fcntl.F_OFD_SETLK, struct.pack(_FLOCK, fcntl.F_WRLCK, 0, 0, 1, 0))
out(tryErr(fcntl.fcntl, fd2, fcntl.F_OFD_SETLK, struct.pack(_FLOCK, fcntl.F_WRLCK, 0, 0, 1, 0)))`,
      [file],
    );
    assert.equal(ofd, 'EAGAIN');
  });
});

test('memfs e2e: an interrupted F_SETLKW fails with EINTR and leaves no lock behind; deadlocks are EDEADLK', { skip }, async () => {
  await withMemfs('memfs', {}, async ({ dir }) => {
    const file = path.join(dir, 'f');
    py(`open(ARGS[0], 'w').write('x' * 10)`, [file]);
    const a = holder(file, 'setlk(fd, fcntl.F_WRLCK, 0, 1)');
    assert.equal(await a.next(), 'held');
    const interrupted = py<Record<string, unknown>>(
      `class Alarm(Exception): pass
def on_alarm(sig, frame): raise Alarm()
signal.signal(signal.SIGALRM, on_alarm)
fd = os.open(ARGS[0], os.O_RDWR)
signal.setitimer(signal.ITIMER_REAL, 0.3)
t0 = time.time()
try:
    setlk(fd, fcntl.F_WRLCK, 0, 1, wait=True)
    res = 'got the lock'
except Alarm:
    res = 'interrupted'
out({'res': res, 'waited': time.time() - t0 >= 0.25, 'after': tryErr(setlk, fd, fcntl.F_WRLCK, 0, 1)})`,
      [file],
    );
    assert.deepEqual(interrupted, { res: 'interrupted', waited: true, after: 'EAGAIN' });
    a.send();
    assert.equal(await a.next(), 'closed');
    // Nobody holds it now: the withdrawn waiter did not take it on the way out.
    assert.deepEqual(py(`fd = os.open(ARGS[0], os.O_RDWR)\nout(getlk(fd, fcntl.F_WRLCK, 0, 0)['type'])`, [file]), F_UNLCK);
    a.send();
    await a.end();

    // A holds byte 0 and waits for byte 1; B holds byte 1 and asks for byte 0: EDEADLK for B.
    const pa = new PyProcess(
      `fd = os.open(ARGS[0], os.O_RDWR)
setlk(fd, fcntl.F_WRLCK, 0, 1)
out('a0')
waitline()
setlk(fd, fcntl.F_WRLCK, 1, 1, wait=True)
out('a1')`,
      [file],
    );
    assert.equal(await pa.next(), 'a0');
    const pb = new PyProcess(
      `fd = os.open(ARGS[0], os.O_RDWR)
setlk(fd, fcntl.F_WRLCK, 1, 1)
out('b1')
waitline()
out(tryErr(setlk, fd, fcntl.F_WRLCK, 0, 1, wait=True))
waitline()`,
      [file],
    );
    assert.equal(await pb.next(), 'b1');
    pa.send();
    assert.ok(await pa.quietFor(200), 'A waits for B');
    pb.send();
    assert.equal(await pb.next(), 'EDEADLK');
    pb.send();
    await pb.end();
    assert.equal(await pa.next(), 'a1', 'B gone: A gets byte 1');
    await pa.end();
  });
});

test('memfs e2e: flock between open files', { skip }, async () => {
  await withMemfs('memfs', {}, async ({ dir }) => {
    const file = path.join(dir, 'f');
    py(`open(ARGS[0], 'w').close()`, [file]);
    const a = holder(file, 'fcntl.flock(fd, fcntl.LOCK_EX)');
    assert.equal(await a.next(), 'held');
    const nb = py(`fd = os.open(ARGS[0], os.O_RDONLY)\nout([tryErr(fcntl.flock, fd, fcntl.LOCK_EX | fcntl.LOCK_NB), tryErr(fcntl.flock, fd, fcntl.LOCK_SH | fcntl.LOCK_NB)])`, [file]);
    assert.deepEqual(nb, ['EAGAIN', 'EAGAIN']);
    // flock and fcntl locks do not interact.
    assert.equal(py(`fd = os.open(ARGS[0], os.O_RDWR)\nout(tryErr(setlk, fd, fcntl.F_WRLCK, 0, 0))`, [file]), null);
    const w = new PyProcess(`fd = os.open(ARGS[0], os.O_RDONLY)\nfcntl.flock(fd, fcntl.LOCK_SH)\nout('shared')\nwaitline()`, [file]);
    assert.ok(await w.quietFor(300));
    a.send(); // closing the file releases its flock
    assert.equal(await a.next(), 'closed');
    assert.equal(await w.next(), 'shared');
    // Shared with shared: fine; exclusive: not while w holds it.
    assert.deepEqual(py(`fd = os.open(ARGS[0], os.O_RDONLY)\nout([tryErr(fcntl.flock, fd, fcntl.LOCK_SH | fcntl.LOCK_NB), tryErr(fcntl.flock, os.open(ARGS[0], os.O_RDONLY), fcntl.LOCK_EX | fcntl.LOCK_NB)])`, [file]), [null, 'EAGAIN']);
    w.send();
    a.send();
    await Promise.all([w.end(), a.end()]);
  });
});

test('memfs e2e: extended attributes', { skip }, async () => {
  await withMemfs('memfs', {}, async ({ dir }) => {
    const r = py<Record<string, unknown>>(
      `d = ARGS[0]; f = d + '/f'
open(f, 'w').close()
os.symlink('f', d + '/l')
r = {}
os.setxattr(f, 'user.a', b'alpha')
os.setxattr(f, 'user.empty', b'')
os.setxattr(f, 'trusted.t', b'root only')
os.setxattr(f, 'security.s', b'sec')
r['get'] = os.getxattr(f, 'user.a').decode()
r['empty'] = os.getxattr(f, 'user.empty').decode()
r['list'] = sorted(os.listxattr(f))
r['create_exists'] = tryErr(os.setxattr, f, 'user.a', b'x', os.XATTR_CREATE)
r['replace_missing'] = tryErr(os.setxattr, f, 'user.b', b'x', os.XATTR_REPLACE)
os.setxattr(f, 'user.a', b'beta', os.XATTR_REPLACE)
r['replaced'] = os.getxattr(f, 'user.a').decode()
r['missing'] = tryErr(os.getxattr, f, 'user.nope')
os.removexattr(f, 'user.empty')
r['removed'] = tryErr(os.getxattr, f, 'user.empty')
r['remove_missing'] = tryErr(os.removexattr, f, 'user.empty')
r['big'] = tryErr(os.setxattr, f, 'user.big', b'v' * 65537)
os.setxattr(f, 'user.max', b'v' * 65536)
r['max'] = len(os.getxattr(f, 'user.max'))
r['long_name'] = tryErr(os.setxattr, f, 'user.' + 'n' * 251, b'v')
r['system'] = tryErr(os.setxattr, f, 'system.foo', b'v')
r['unknown_ns'] = tryErr(os.setxattr, f, 'other.foo', b'v')
r['symlink_user'] = tryErr(os.setxattr, d + '/l', 'user.x', b'v', follow_symlinks=False)
r['symlink_trusted'] = tryErr(os.setxattr, d + '/l', 'trusted.x', b'v', follow_symlinks=False)
os.mkdir(d + '/dir'); os.setxattr(d + '/dir', 'user.d', b'dir value')
r['dir'] = os.getxattr(d + '/dir', 'user.d').decode()
c0 = os.stat(f).st_ctime_ns; time.sleep(0.002); os.setxattr(f, 'user.c', b'1')
r['ctime'] = os.stat(f).st_ctime_ns > c0
out(r)`,
      [dir],
    );
    assert.deepEqual(r, {
      get: 'alpha', empty: '', list: ['security.s', 'trusted.t', 'user.a', 'user.empty'],
      create_exists: 'EEXIST', replace_missing: 'ENODATA', replaced: 'beta', missing: 'ENODATA', removed: 'ENODATA', remove_missing: 'ENODATA',
      big: 'E2BIG', max: 65536, long_name: 'ERANGE', system: 'EOPNOTSUPP', unknown_ns: 'EOPNOTSUPP',
      symlink_user: 'EPERM', symlink_trusted: null, dir: 'dir value', ctime: true,
    });
  });
});
