/** Reading and writing: holes, bounds, when a write is applied. */
import { InitFlags, Opcode } from '../../../protocol';
import type { Scenario } from '../kit';
import { firstDifference, O_APPEND, O_CREAT, O_EXCL, O_RDWR, O_TRUNC, O_WRONLY, pattern, show } from './common';

export const sparse: Scenario = {
  name: 'sparse',
  description: 'a write far past the end leaves a hole that reads as zeros; reads past EOF are short',
  needs: ['write'],
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

export const appliedWhenAnswered: Scenario = {
  name: 'write-applied',
  description: 'a WRITE is applied by the time it is answered: a read right after sees it',
  needs: ['write'],
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

export const openFlags: Scenario = {
  name: 'open-flags',
  description: 'O_EXCL refuses an existing name and changes nothing; CREATE of an existing name without O_EXCL opens it as it is; O_TRUNC empties the file (by OPEN under atomic_o_trunc, by SETATTR otherwise, as the kernel does)',
  needs: ['write'],
  async run(t) {
    for (const atomic of [false, true]) {
      const v = await t.start({ session: { atomicOTrunc: atomic } });
      const negotiated = (v.initFlags & InitFlags.ATOMIC_O_TRUNC) !== 0n;
      if (atomic && !negotiated) break;
      const how = negotiated ? ' (atomic_o_trunc)' : '';
      t.step(`O_CREAT|O_EXCL on an existing name${how}`);
      await v.writeFile('/x', 'keep me');
      const before = await v.lookup('/x');
      await t.expectError(v.create('/x', 0o600, O_WRONLY | O_CREAT | O_EXCL), 'EEXIST', `CREATE /x with O_EXCL (it exists)${how}`);
      const kept = await t.expectOk(v.readFile('/x'), 'READ /x after a refused O_EXCL create');
      t.check(kept?.toString() === 'keep me', `content of /x after a refused O_EXCL create${how}`, '"keep me"', JSON.stringify(kept?.toString()));
      t.step(`CREATE of an existing name without O_EXCL (another client made it between LOOKUP and CREATE)${how}`);
      const c = await t.expectOk(v.create('/x', 0o600, O_RDWR | O_CREAT), `CREATE /x without O_EXCL (it exists)${how}`);
      if (c) {
        t.check(c.nodeid === before.nodeid || c.entry.attr.ino === before.attr?.ino, 'node of CREATE on an existing name', `the existing file (node ${before.nodeid})`, `node ${c.nodeid}`);
        const d = await v.read(c.nodeid, c.fh, 0, 100);
        t.check(d.toString() === 'keep me', 'data read through a CREATE of an existing name', '"keep me" (opened, not truncated)', JSON.stringify(d.toString()));
        t.check((c.entry.attr.mode & 0o777) === 0o644, 'mode of an existing file after CREATE with mode 0600', '0644 (unchanged)', `0${(c.entry.attr.mode & 0o777).toString(8)}`);
        await v.release(c.nodeid, c.fh);
      }
      t.step(`O_TRUNC${how}`);
      await v.writeFile('/t', 'x'.repeat(5000));
      if (negotiated) {
        const o = await t.expectOk(v.open('/t', O_WRONLY | O_TRUNC), 'OPEN /t with O_TRUNC (atomic_o_trunc)');
        if (o) {
          const a = await v.getattr(o.nodeid, o.fh);
          t.check(a.size === 0, 'size after OPEN with O_TRUNC under atomic_o_trunc', '0', String(a.size));
          await v.release(o.nodeid, o.fh);
        }
      } else {
        // Without atomic_o_trunc the kernel opens without O_TRUNC, then truncates through the new handle.
        const o = await v.open('/t', O_WRONLY);
        const a = await t.expectOk(v.setattr(o.nodeid, { size: 0, fh: o.fh, mtime: 'now' }), 'SETATTR size 0 (FATTR_FH, MTIME_NOW) after OPEN, as open(O_TRUNC) sends it');
        if (a) t.check(a.size === 0, 'size after open(O_TRUNC)', '0', String(a.size));
        await v.release(o.nodeid, o.fh);
      }
      const empty = await v.readFile('/t');
      t.check(empty.length === 0, `READ /t after O_TRUNC${how}`, '0 bytes', show(empty));
      if (!atomic) t.finish();
    }
  },
};

export const append: Scenario = {
  name: 'append',
  description: 'O_APPEND as the kernel sends it (the size from GETATTR, a WRITE there): two appending handles and a plain one interleaved lose nothing',
  needs: ['write'],
  async run(t) {
    const v = await t.start();
    await v.writeFile('/log', 'start|');
    const h1 = await v.open('/log', O_WRONLY | O_APPEND);
    const h2 = await v.open('/log', O_RDWR | O_APPEND);
    const plain = await v.open('/log', O_RDWR);
    let want = 'start|';
    for (let i = 0; i < 12; i++) {
      const h = i % 3 === 2 ? plain : i % 2 ? h1 : h2;
      const rec = `rec${i}|`;
      t.step(`append ${i} through ${h === plain ? 'a plain handle at the end' : `appending handle ${h === h1 ? 1 : 2}`}`);
      // The kernel's O_APPEND: refresh the size, then write there.
      const size = (await v.getattr(h.nodeid, h.fh)).size;
      t.check(size === want.length, `GETATTR size before append ${i}`, String(want.length), String(size));
      const flags = h === plain ? O_RDWR : h === h1 ? O_WRONLY | O_APPEND : O_RDWR | O_APPEND;
      const n = await v.write(h.nodeid, h.fh, size, Buffer.from(rec), { flags });
      t.check(n === rec.length, `WRITE of append ${i}`, `${rec.length} bytes`, String(n));
      want += rec;
    }
    for (const h of [h1, h2, plain]) await v.release(h.nodeid, h.fh);
    const got = (await v.readFile('/log')).toString();
    t.check(got === want, 'content of /log after 12 interleaved appends', JSON.stringify(want), JSON.stringify(got));
  },
};

export const readBounds: Scenario = {
  name: 'read-bounds',
  description: 'READ never answers more than asked, is short at the end of the file, empty at and past it (even far past), and exact at every offset',
  needs: ['write'],
  async run(t) {
    const v = await t.start();
    const data = pattern(10000, 3);
    await v.writeFile('/r', data);
    const f = await v.open('/r');
    const cases: [number, number, number][] = [
      [0, 1, 1], [1, 1, 1], [4095, 2, 2], [4096, 4096, 4096], [9990, 100, 10], [9999, 4096, 1], [10000, 100, 0], [10001, 1, 0],
      [1 << 20, 4096, 0], [2 ** 40, 4096, 0], [0, 131072, 10000], [3, 9997, 9997],
    ];
    for (const [off, size, want] of cases) {
      t.step(`READ ${size} bytes at ${off}`);
      const got = await t.expectOk(v.read(f.nodeid, f.fh, off, size), `READ ${size} bytes at ${off} of a 10000-byte file`);
      if (!got) continue;
      const exp = data.subarray(Math.min(off, data.length), Math.min(off + size, data.length));
      t.check(got.length === want && got.equals(exp), `READ ${size} bytes at ${off} of a 10000-byte file`, `${want} bytes${want ? ` from offset ${off}` : ''}`, `${got.length} bytes${got.length && got.length === want ? `, first difference at ${firstDifference(got, exp)}` : ''}`);
    }
    await v.release(f.nodeid, f.fh);
    t.step('a whole-file read');
    const all = await v.readFile('/r');
    t.check(all.equals(data), 'READ of /r to its end', '10000 bytes as written', `${all.length} bytes, first difference at ${firstDifference(all, data)}`);
  },
};

export const writePatterns: Scenario = {
  name: 'write-patterns',
  description: 'WRITEs at odd offsets and lengths across page boundaries, overwrites, max_write-sized writes and writes far past the end: every byte where it belongs, full counts, the size after each',
  needs: ['write'],
  async run(t) {
    const v = await t.start();
    const f = await v.create('/w', 0o644, O_RDWR | O_CREAT);
    const maxWrite = v.k.maxWrite;
    let model = Buffer.alloc(0);
    const writes: [number, number][] = [[0, 1], [4095, 2], [8191, 4098], [100, 50], [0, 10000], [65536 * 3 + 7, 65536], [12345, maxWrite], [5, 3], [1 << 20, 1]];
    for (const [i, [off, len]] of writes.entries()) {
      t.step(`WRITE ${len} bytes at ${off}`);
      const buf = pattern(len, 10 + i);
      const n = await t.expectOk(v.write(f.nodeid, f.fh, off, buf), `WRITE ${len} bytes at ${off}`);
      if (n === undefined) continue;
      t.check(n === len, `WRITE ${len} bytes at ${off}: the count`, String(len), String(n));
      if (off + len > model.length) {
        const next = Buffer.alloc(off + len);
        model.copy(next);
        model = next;
      }
      buf.copy(model, off);
      const a = await v.getattr(f.nodeid);
      t.check(a.size === model.length, `size after WRITE ${len} bytes at ${off}`, String(model.length), String(a.size));
    }
    await v.release(f.nodeid, f.fh);
    const got = await v.readFile('/w');
    const d = firstDifference(got, model);
    t.check(d === -1, 'content of /w after nine writes', `${model.length} bytes as written`, `${got.length} bytes, first difference at ${d}`);
  },
};

export const readsDuringWrites: Scenario = {
  name: 'reads-during-writes',
  description: 'a READ sent while a WRITE of the same page is in flight sees the old bytes or the new, never a mix; once the WRITE is answered, never the old',
  needs: ['write'],
  async run(t) {
    const v = await t.start();
    const f = await v.create('/c', 0o644, O_RDWR | O_CREAT);
    await v.write(f.nodeid, f.fh, 0, Buffer.alloc(4 * 4096, 'A'));
    const page = [Buffer.alloc(4096, 'A'), Buffer.alloc(4096, 'A'), Buffer.alloc(4096, 'A'), Buffer.alloc(4096, 'A')];
    for (let round = 0; round < 10; round++) {
      const off = (round % 4) * 4096;
      // A host filesystem may tear a read racing a write byte-wise now and then; a mix seen three times in a row is the filesystem's own doing.
      let mixed: string | null = null;
      for (let attempt = 0; attempt < 3; attempt++) {
        const letter = String.fromCharCode(66 + ((round * 3 + attempt) % 24));
        const fill = Buffer.alloc(4096, letter);
        t.step(`round ${round}: WRITE "${letter}" over page ${off / 4096} with READs of it in flight`);
        const w = v.k.send(Opcode.WRITE, f.nodeid, { arg: { fh: f.fh, offset: off, size: 4096, write_flags: 0, lock_owner: 0n, flags: O_RDWR }, data: fill });
        const reads = [0, 1].map(() => v.k.send(Opcode.READ, f.nodeid, { arg: { fh: f.fh, offset: off, size: 4096, read_flags: 0, lock_owner: 0n, flags: O_RDWR } }));
        const old = page[off / 4096]!;
        const wr = await w.reply;
        if (wr.error) {
          t.fail(`WRITE at ${off} (round ${round})`, 'success', String(wr.error));
          return;
        }
        page[off / 4096] = fill;
        mixed = null;
        for (const r of reads) {
          const rr = await r.reply;
          const d = rr.body?.kind === 'data' ? rr.body.data : Buffer.alloc(0);
          if (!d.equals(old) && !d.equals(fill)) mixed = `${d.length} bytes: ${[...new Set(d.toString('latin1'))].join('')} (old "${old.toString('latin1', 0, 1)}", new "${letter}")`;
        }
        const after = await v.read(f.nodeid, f.fh, off, 4096);
        if (!after.equals(fill)) {
          t.fail(`READ at ${off} after the WRITE of "${letter}" was answered (round ${round})`, `4096 × "${letter}"`, `${after.length} bytes: ${[...new Set(after.toString('latin1'))].join('')}`);
          return;
        }
        if (!mixed) break;
      }
      if (mixed) t.fail(`READs at ${off} in flight with a WRITE of that page (round ${round}, three times over)`, 'the old page or the new one', mixed);
    }
    await v.release(f.nodeid, f.fh);
  },
};
