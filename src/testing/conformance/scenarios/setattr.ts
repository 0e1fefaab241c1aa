/** SETATTR field by field, with and without a handle; truncation. */
import { Opcode, type Attr } from '../../../protocol';
import type { SetattrInput } from '../../vfs';
import type { Scenario } from '../kit';
import { firstDifference, O_CREAT, O_RDWR, pattern, show } from './common';

export const setattr: Scenario = {
  name: 'setattr',
  description: 'SETATTR: mode, owner, truncate and extend (zero-filled), times',
  needs: ['write', 'setattr'],
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

export const truncate: Scenario = {
  name: 'truncate',
  description: 'truncation down and up, at page and odd sizes: what was cut off reads as zeros after growing again, never the old bytes; the size in every reply',
  needs: ['write', 'setattr'],
  async run(t) {
    const v = await t.start();
    const f = await v.create('/t', 0o644, O_RDWR | O_CREAT);
    const data = pattern(20000, 1);
    await v.write(f.nodeid, f.fh, 0, data);
    // Each step: truncate to `size`, then the whole file must read as `expect`.
    let model = Buffer.from(data);
    const steps: [number, boolean][] = [[10000, false], [4097, true], [4096, false], [4095, true], [30000, false], [1, false], [8192, true], [0, false], [5000, true]];
    for (const [size, viaFh] of steps) {
      t.step(`truncating /t to ${size}${viaFh ? ' through its handle' : ''}`);
      const a = await t.expectOk(v.setattr(f.nodeid, viaFh ? { size, fh: f.fh } : { size }), `SETATTR size ${size}${viaFh ? ' (FATTR_FH)' : ''}`);
      if (!a) continue;
      t.check(a.size === size, `size in the SETATTR reply (truncate to ${size})`, String(size), String(a.size));
      const g = await v.getattr(f.nodeid);
      t.check(g.size === size, `GETATTR size after truncating to ${size}`, String(size), String(g.size));
      const next = Buffer.alloc(size);
      model.copy(next, 0, 0, Math.min(size, model.length));
      model = next;
      const got = await v.read(f.nodeid, f.fh, 0, size + 4096);
      const d = firstDifference(got, model);
      t.check(d === -1, `READ of /t after truncating to ${size}`, `${size} bytes: the old data up to the cut, zeros after`, `${show(got)}; first difference at ${d}${d >= 0 && got[d] !== 0 && model[d] === 0 ? ' (old bytes where zeros belong)' : ''}`);
    }
    t.step('a write past the end after a truncation leaves zeros between');
    await v.setattr(f.nodeid, { size: 100 });
    await v.write(f.nodeid, f.fh, 200, Buffer.from('tail'));
    const gap = await v.read(f.nodeid, f.fh, 0, 300);
    t.check(gap.length === 204 && gap.subarray(100, 200).every((b) => b === 0), 'READ after truncate to 100 and a write at 200', '204 bytes, zeros from 100 to 200', `${gap.length} bytes, ${gap.subarray(100, 200).filter((b) => b !== 0).length} nonzero in the gap`);
    await v.release(f.nodeid, f.fh);
  },
};

export const setattrFields: Scenario = {
  name: 'setattr-fields',
  description: 'SETATTR of each field alone, with and without a handle (fchmod, fchown, ftruncate, futimens), on an open unlinked file, ATIME_NOW/MTIME_NOW, times to the nanosecond, before 1970 and after 2038; the reply and the next GETATTR agree',
  needs: ['write', 'setattr'],
  async run(t) {
    const v = await t.start();
    const f = await v.create('/s', 0o644, O_RDWR | O_CREAT);
    await v.write(f.nodeid, f.fh, 0, Buffer.from('0123456789'));
    const cases: { what: string; set: SetattrInput; ok: (a: Attr) => boolean; want: string }[] = [
      { what: 'mode 0600', set: { mode: 0o600 }, ok: (a) => a.mode === 0o100600, want: 'mode 0100600' },
      { what: 'mode 04755 (setuid, as root)', set: { mode: 0o4755 }, ok: (a) => (a.mode & 0o7777) === 0o4755, want: 'mode 04755' },
      { what: 'uid 1001', set: { uid: 1001 }, ok: (a) => a.uid === 1001, want: 'uid 1001' },
      { what: 'gid 1002', set: { gid: 1002 }, ok: (a) => a.gid === 1002, want: 'gid 1002' },
      { what: 'size 3', set: { size: 3 }, ok: (a) => a.size === 3, want: 'size 3' },
      { what: 'atime 1000.000000001', set: { atime: { sec: 1000, nsec: 1 } }, ok: (a) => a.atime === 1000 && a.atimensec === 1, want: 'atime 1000.000000001' },
      { what: 'mtime 2000.999999999', set: { mtime: { sec: 2000, nsec: 999999999 } }, ok: (a) => a.mtime === 2000 && a.mtimensec === 999999999, want: 'mtime 2000.999999999' },
      { what: 'mtime 0 (the epoch)', set: { mtime: { sec: 0, nsec: 0 } }, ok: (a) => a.mtime === 0 && a.mtimensec === 0, want: 'mtime 0.000000000' },
      { what: 'mtime -1 (before 1970)', set: { mtime: { sec: -1, nsec: 500 } }, ok: (a) => a.mtime === -1 && a.mtimensec === 500, want: 'mtime -1.000000500' },
      { what: 'mtime 4102444800 (2100, past 2038)', set: { mtime: { sec: 4102444800, nsec: 0 } }, ok: (a) => a.mtime === 4102444800, want: 'mtime 4102444800' },
    ];
    for (const viaFh of [false, true]) {
      for (const c of cases) {
        const set = viaFh ? { ...c.set, fh: f.fh } : c.set;
        const step = `SETATTR ${c.what}${viaFh ? ' through the handle' : ''}`;
        t.step(step);
        const r = await t.expectOk(v.setattr(f.nodeid, set), step);
        if (!r) continue;
        t.check(c.ok(r), `${step}: the reply`, c.want, fmt(r));
        const g = await v.getattr(f.nodeid);
        t.check(c.ok(g), `${step}: the next GETATTR`, c.want, fmt(g));
      }
      await v.setattr(f.nodeid, { mode: 0o644, uid: 0, gid: 0, size: 10 });
    }
    t.step('ATIME_NOW and MTIME_NOW');
    const before = Math.floor(Date.now() / 1000) - 2;
    const n = await t.expectOk(v.setattr(f.nodeid, { atime: 'now', mtime: 'now' }), 'SETATTR atime and mtime to now (FATTR_ATIME_NOW, FATTR_MTIME_NOW)');
    const after = Math.ceil(Date.now() / 1000) + 2;
    if (n) t.check(n.atime >= before && n.atime <= after && n.mtime >= before && n.mtime <= after, 'times after SETATTR ..._NOW', `between ${before} and ${after} (the current time)`, `atime ${n.atime}, mtime ${n.mtime}`);
    t.step('SETATTR through the handle of an open, unlinked file');
    await v.write(f.nodeid, f.fh, 0, Buffer.from('0123456789'));
    await v.unlink('/s');
    const u = await t.expectOk(v.setattr(f.nodeid, { size: 4, fh: f.fh, mode: 0o640 }), 'SETATTR size 4 and mode 0640 through the handle of the unlinked /s');
    if (u) t.check(u.size === 4 && (u.mode & 0o7777) === 0o640 && u.nlink === 0, 'the unlinked file after SETATTR through its handle', 'size 4, mode 0640, nlink 0', fmt(u));
    const rest = await t.expectOk(v.read(f.nodeid, f.fh, 0, 100), 'READ of the unlinked file after truncating it through its handle');
    t.check(rest?.toString() === '0123', 'data of the unlinked file after truncating it to 4', '"0123"', JSON.stringify(rest?.toString()));
    await v.release(f.nodeid, f.fh);
    t.step('a directory: mode keeps the directory type');
    await v.mkdir('/d');
    const d = await t.expectOk(v.setattr('/d', { mode: 0o1777 }), 'SETATTR mode 01777 on a directory');
    if (d) t.check(d.mode === 0o041777, 'mode of /d after chmod 01777', '041777', `0${d.mode.toString(8)}`);
  },
};

function fmt(a: Attr): string {
  return `mode 0${a.mode.toString(8)} uid ${a.uid} gid ${a.gid} size ${a.size} nlink ${a.nlink} atime ${a.atime}.${String(a.atimensec).padStart(9, '0')} mtime ${a.mtime}.${String(a.mtimensec).padStart(9, '0')}`;
}
