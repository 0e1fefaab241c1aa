/**
 * The conformance scenarios. Each drives the filesystem the way the kernel
 * would for one family of behaviour and records every deviation; names and
 * descriptions are what the report shows.
 */
import { Errno, Opcode, WriteFlags } from '../../protocol';
import { reorderingBackend } from '../reorder';
import { VfsError } from '../vfs';
import { SkipScenario, type Scenario } from './kit';

const RENAME_NOREPLACE = 1;
const RENAME_EXCHANGE = 2;
const XATTR_CREATE = 1;
const XATTR_REPLACE = 2;
const O_RDWR = 2;
const O_DIRECT = 0o40000;

function code(e: unknown): string {
  return e instanceof VfsError ? e.code : String(e);
}

const lookupForget: Scenario = {
  name: 'lookup-forget',
  needs: ['write'],
  description: 'lookup counts balance with FORGET; an unlinked inode lives until its last FORGET, then goes',
  async run(t) {
    const v = await t.start();
    await v.mkdir('/d');
    await v.writeFile('/d/f', 'data');
    for (let i = 0; i < 3; i++) await v.lookup('/d/f');
    const base = t.inspect?.liveInodes();
    const x = await v.create('/x');
    await v.release(x.nodeid, x.fh);
    await v.lookup('/x');
    await v.lookup('/x');
    await v.unlink('/x');
    // The kernel still holds 3 lookups: the inode must still answer.
    await t.expectOk(v.getattr(x.nodeid), `GETATTR of unlinked node ${x.nodeid} while the kernel still holds 3 lookups`);
    v.k.forget(x.nodeid, 2);
    await t.expectOk(v.getattr(x.nodeid), `GETATTR of unlinked node ${x.nodeid} with 1 lookup left`);
    v.k.forget(x.nodeid, 1);
    await new Promise((r) => setTimeout(r, 0));
    const after = t.inspect?.liveInodes();
    if (base !== undefined && after !== undefined) {
      t.check(after === base, `live inodes after the last FORGET of unlinked node ${x.nodeid}`, `${base} (the node freed)`, `${after} (node ${x.nodeid} still held: a leaked lookup)`);
    }
    v.k.forgetAll();
  },
};

const oddNames: Scenario = {
  name: 'odd-names',
  needs: ['write'],
  description: 'names with spaces, newlines, UTF-8, non-UTF-8 bytes and 255 bytes round-trip exactly; 256 bytes is ENAMETOOLONG',
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

const readdirOffsets: Scenario = {
  name: 'readdir-offsets',
  needs: ['write'],
  description: 'READDIR cookies stay valid across calls and after unlinks: no entry skipped or repeated',
  async run(t) {
    const v = await t.start();
    await v.mkdir('/d');
    const all = Array.from({ length: 40 }, (_, i) => `n${String(i).padStart(2, '0')}`);
    for (const n of all) await v.writeFile(`/d/${n}`, '');
    const first = (await v.readdir('/d', 512)).map((e) => e.name);
    const second = (await v.readdir('/d', 4096)).map((e) => e.name);
    t.check(JSON.stringify([...first].sort()) === JSON.stringify([...second].sort()), 'two listings of /d (512-byte and 4 KiB buffers)', 'the same entries', `${first.length} vs ${second.length} entries`);
    // One listing, interrupted by unlinks of entries already returned and entries not yet returned.
    const d = await v.nodeid('/d');
    const o = await v.k.request(Opcode.OPENDIR, d, { arg: { flags: 0, open_flags: 0 } });
    const fh = o.body?.kind === 'open' ? o.body.open.fh : 0;
    const seen: string[] = [];
    let offset = 0;
    let unlinked: string[] = [];
    for (let round = 0; round < 200; round++) {
      const r = await v.k.request(Opcode.READDIR, d, { arg: { fh, offset, size: 256, read_flags: 0, lock_owner: 0n, flags: 0 } });
      if (r.error) {
        t.fail(`READDIR /d offset ${offset}`, 'success', String(r.error));
        break;
      }
      const entries = r.body?.kind === 'dirents' ? r.body.entries : [];
      if (entries.length === 0) break;
      seen.push(...entries.map((e) => e.name));
      offset = entries[entries.length - 1]!.off;
      if (round === 1) {
        const returned = seen.filter((n) => n.startsWith('n')).slice(0, 3);
        const ahead = all.filter((n) => !seen.includes(n)).slice(0, 3);
        unlinked = [...returned, ...ahead];
        for (const n of unlinked) await v.unlink(`/d/${n}`);
      }
    }
    await v.k.request(Opcode.RELEASEDIR, d, { arg: { fh, flags: 0, release_flags: 0, lock_owner: 0n } });
    const counts = new Map<string, number>();
    for (const n of seen) counts.set(n, (counts.get(n) ?? 0) + 1);
    for (const [n, c] of counts) t.check(c === 1, `entry ${n} during a listing with unlinks`, 'returned once', `${c} times`);
    for (const n of all.filter((x) => !unlinked.includes(x))) t.check(counts.has(n), `surviving entry ${n}`, 'returned', 'skipped');
  },
};

const rename: Scenario = {
  name: 'rename',
  needs: ['write', 'rename2'],
  description: 'rename and renameat2: replace, RENAME_NOREPLACE, RENAME_EXCHANGE, directory rules',
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

const hardLinks: Scenario = {
  name: 'hard-links',
  needs: ['write', 'link'],
  description: 'LINK: shared data, link counts up and down, no links to directories',
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

const xattrs: Scenario = {
  name: 'xattr-protocol',
  needs: ['write', 'xattr'],
  description: 'xattrs: the size probe (size 0, then exact), ERANGE, XATTR_CREATE/REPLACE, ENODATA',
  async run(t) {
    const v = await t.start();
    await v.writeFile('/f', '');
    try {
      await v.setxattr('/f', 'user.k', 'value');
    } catch (e) {
      if (['ENOSYS', 'EOPNOTSUPP', 'ENOTSUP'].includes(code(e))) throw new SkipScenario(`no xattr support (${code(e)})`);
      throw e;
    }
    const id = await v.nodeid('/f');
    const probe = await v.k.request(Opcode.GETXATTR, id, { arg: { size: 0 }, name: 'user.k' });
    t.check(probe.body?.kind === 'xattr_size' && probe.body.size === 5, 'GETXATTR user.k with size 0', 'fuse_getxattr_out size 5', JSON.stringify(probe.body ?? probe.error));
    const small = await v.k.request(Opcode.GETXATTR, id, { arg: { size: 4 }, name: 'user.k' });
    t.check(small.error === -Errno.ERANGE, 'GETXATTR user.k with size 4', 'ERANGE', String(small.error || 'success'));
    const got = await t.expectOk(v.getxattr('/f', 'user.k'), 'GETXATTR user.k');
    t.check(got?.toString() === 'value', 'value of user.k', '"value"', JSON.stringify(got?.toString()));
    const list = await t.expectOk(v.listxattr('/f'), 'LISTXATTR');
    t.check(!!list?.includes('user.k'), 'LISTXATTR', 'includes user.k', JSON.stringify(list));
    const lsmall = await v.k.request(Opcode.LISTXATTR, id, { arg: { size: 1 } });
    t.check(lsmall.error === -Errno.ERANGE, 'LISTXATTR with size 1', 'ERANGE', String(lsmall.error || 'success'));
    await t.expectError(v.setxattr('/f', 'user.k', 'x', XATTR_CREATE), 'EEXIST', 'SETXATTR XATTR_CREATE of an existing name');
    await t.expectError(v.setxattr('/f', 'user.none', 'x', XATTR_REPLACE), 'ENODATA', 'SETXATTR XATTR_REPLACE of a missing name');
    await t.expectError(v.getxattr('/f', 'user.none'), 'ENODATA', 'GETXATTR of a missing name');
    await t.expectOk(v.setxattr('/f', 'user.empty', ''), 'SETXATTR of an empty value');
    const empty = await t.expectOk(v.getxattr('/f', 'user.empty'), 'GETXATTR of an empty value');
    t.check(empty?.length === 0, 'an empty value', '0 bytes', String(empty?.length));
    await t.expectOk(v.removexattr('/f', 'user.k'), 'REMOVEXATTR user.k');
    await t.expectError(v.getxattr('/f', 'user.k'), 'ENODATA', 'GETXATTR after REMOVEXATTR');
  },
};

const setattr: Scenario = {
  name: 'setattr',
  needs: ['write', 'setattr'],
  description: 'SETATTR: mode, owner, truncate and extend (zero-filled), times',
  async run(t) {
    const v = await t.start();
    await v.writeFile('/f', 'hello world');
    const before = await v.getattr('/f');
    const m = await t.expectOk(v.setattr('/f', { mode: 0o100600 }), 'SETATTR mode 0600');
    t.check((m?.mode ?? 0) === 0o100600, 'mode after chmod 0600', '0100600', (m?.mode ?? 0).toString(8));
    t.check(!m || m.ctime > before.ctime || (m.ctime === before.ctime && m.ctimensec >= before.ctimensec), 'ctime after chmod', 'not earlier than before', `${m?.ctime}.${m?.ctimensec}`);
    const o = await t.expectOk(v.setattr('/f', { uid: 1234, gid: 5678 }), 'SETATTR uid/gid (as root)');
    t.check(o?.uid === 1234 && o?.gid === 5678, 'owner after chown', '1234:5678', `${o?.uid}:${o?.gid}`);
    const s = await t.expectOk(v.setattr('/f', { size: 5 }), 'SETATTR size 5');
    t.check(s?.size === 5, 'size after truncate', '5', String(s?.size));
    await v.setattr('/f', { size: 100 });
    const data = await v.readFile('/f');
    t.check(data.length === 100 && data.subarray(0, 5).toString() === 'hello' && data.subarray(5).every((b) => b === 0), 'content after truncate to 5 and extend to 100', '"hello" + 95 zero bytes', `${data.length} bytes: ${JSON.stringify(data.subarray(0, 12).toString())}...`);
    const id = await v.nodeid('/f');
    const arg = { valid: (1 << 4) | (1 << 5), fh: 0, size: 0, lock_owner: 0n, atime: 1000, mtime: 2000, ctime: 0, atimensec: 5, mtimensec: 7, ctimensec: 0, mode: 0, uid: 0, gid: 0 };
    const r = await v.k.request(Opcode.SETATTR, id, { arg });
    const a = r.body?.kind === 'attr' ? r.body.attr.attr : null;
    t.check(!!a && a.atime === 1000 && a.atimensec === 5 && a.mtime === 2000 && a.mtimensec === 7, 'SETATTR atime=1000.000000005 mtime=2000.000000007', 'those times, to the nanosecond', a ? `${a.atime}.${a.atimensec} ${a.mtime}.${a.mtimensec}` : String(r.error));
  },
};

const sparse: Scenario = {
  name: 'sparse',
  needs: ['write'],
  description: 'a write far past the end leaves a hole that reads as zeros; reads past EOF are short',
  async run(t) {
    const v = await t.start();
    const f = await v.create('/s', 0o644, O_RDWR | 0o100);
    await v.write(f.nodeid, f.fh, 1 << 20, Buffer.from('x'));
    const a = await v.getattr(f.nodeid);
    t.check(a.size === (1 << 20) + 1, 'size after a 1-byte write at 1 MiB', String((1 << 20) + 1), String(a.size));
    const hole = await v.read(f.nodeid, f.fh, 4096, 4096);
    t.check(hole.length === 4096 && hole.every((b) => b === 0), 'READ of the hole', '4096 zero bytes', `${hole.length} bytes`);
    const x = await v.read(f.nodeid, f.fh, 1 << 20, 10);
    t.check(x.toString() === 'x', 'READ at 1 MiB asking 10 bytes', '"x" (short: end of file)', JSON.stringify(x.toString()));
    const past = await v.read(f.nodeid, f.fh, 2 << 20, 10);
    t.check(past.length === 0, 'READ past the end', '0 bytes', String(past.length));
    await v.release(f.nodeid, f.fh);
  },
};

const appliedWhenAnswered: Scenario = {
  name: 'write-applied',
  needs: ['write'],
  description: 'a WRITE is applied by the time it is answered: a read right after sees it',
  async run(t) {
    const v = await t.start();
    const f = await v.create('/w', 0o644, O_RDWR | 0o100);
    for (let i = 0; i < 20; i++) {
      const data = Buffer.from(`round ${i}`);
      await v.write(f.nodeid, f.fh, 0, data);
      const got = await v.read(f.nodeid, f.fh, 0, data.length);
      if (!got.equals(data)) {
        t.fail(`READ right after the WRITE of round ${i} was answered`, JSON.stringify(data.toString()), JSON.stringify(got.toString()));
        break;
      }
    }
    await v.release(f.nodeid, f.fh);
  },
};

const directIoOrdering: Scenario = {
  name: 'direct-io-ordering',
  needs: ['write'],
  internal: true,
  description: 'with the writeback cache and a reordering backend, O_DIRECT reads never overtake cached writes',
  async run(t) {
    const v = await t.start({ session: { writebackCache: true }, wrap: (fs) => reorderingBackend(fs, { writeDelayMs: [2, 15] }) });
    const f = await v.create('/o', 0o644, O_RDWR | 0o100);
    await v.write(f.nodeid, f.fh, 0, Buffer.alloc(65536, 'A'));
    for (let i = 0; i < 10; i++) {
      const fill = Buffer.alloc(4096, String.fromCharCode(98 + i));
      const off = (i % 8) * 4096;
      const w = v.k.send(Opcode.WRITE, f.nodeid, { arg: { fh: f.fh, offset: off, size: fill.length, write_flags: WriteFlags.CACHE, lock_owner: 0n, flags: O_RDWR }, data: fill });
      const got = await v.read(f.nodeid, f.fh, off, 4096, O_RDWR | O_DIRECT);
      if (!got.equals(fill)) {
        t.fail(`O_DIRECT READ at ${off} while a cached WRITE of it is in flight (round ${i})`, `the new bytes ("${fill.toString('latin1', 0, 1)}"...)`, `"${got.toString('latin1', 0, 1)}"...`);
      }
      await w.reply;
    }
    await v.release(f.nodeid, f.fh);
  },
};

const interrupts: Scenario = {
  name: 'interrupts',
  needs: ['write'],
  description: 'an INTERRUPT at any moment leaves every request answered exactly once',
  async run(t) {
    const v = await t.start();
    await v.writeFile('/i', 'x'.repeat(1000));
    const id = await v.nodeid('/i');
    const ps = [];
    for (let i = 0; i < 30; i++) {
      const p = i % 2 ? v.k.send(Opcode.GETATTR, id, { arg: { getattr_flags: 0, fh: 0 } }) : v.k.send(Opcode.LOOKUP, 1, { name: 'i' });
      if (i % 3 === 0) v.k.interrupt(p);
      ps.push(p);
    }
    const rs = await Promise.all(ps.map((p) => p.reply));
    rs.forEach((r, i) => t.check(r.error === 0 || r.error === -Errno.EINTR, `request ${i} after an INTERRUPT`, 'success or EINTR', String(r.error)));
    await new Promise((r) => setTimeout(r, 10));
    t.check(v.k.inFlight === 0, 'requests left unanswered', '0', String(v.k.inFlight));
  },
};

const oldMinors: Scenario = {
  name: 'old-minors',
  needs: ['write'],
  description: 'INIT at protocol 7.26 to 7.45: the same operations work and every reply has the size that minor expects',
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

export const SCENARIOS: readonly Scenario[] = [
  lookupForget, oddNames, readdirOffsets, rename, hardLinks, xattrs, setattr, sparse, appliedWhenAnswered, directIoOrdering, interrupts, oldMinors,
];
