/** Space and holes: FALLOCATE modes, LSEEK SEEK_DATA/SEEK_HOLE, COPY_FILE_RANGE. */
import type { Vfs } from '../../vfs';
import type { Scenario, ScenarioContext } from '../kit';
import {
  code, firstUse, FALLOC_FL_KEEP_SIZE, FALLOC_FL_PUNCH_HOLE, FALLOC_FL_ZERO_RANGE, firstDifference, O_CREAT, O_RDONLY, O_RDWR, pattern,
  SEEK_DATA, SEEK_HOLE, show, UNSUPPORTED,
} from './common';

/** Reads the whole file through a handle, and checks it against `want`. */
async function checkContent(t: ScenarioContext, v: Vfs, f: { nodeid: number; fh: number }, want: Buffer, when: string): Promise<void> {
  const a = await v.getattr(f.nodeid, f.fh);
  t.check(a.size === want.length, `size ${when}`, String(want.length), String(a.size));
  const got = await v.read(f.nodeid, f.fh, 0, want.length + 4096);
  const d = firstDifference(got, want);
  t.check(d === -1, `content ${when}`, `${want.length} bytes`, `${show(got)}, first difference at ${d}${d >= 0 ? ` (${got[d]} where ${want[d]} belongs)` : ''}`);
}

export const fallocate: Scenario = {
  name: 'fallocate',
  description: 'FALLOCATE: mode 0 grows the file with zeros, KEEP_SIZE does not grow it, PUNCH_HOLE|KEEP_SIZE and ZERO_RANGE zero the range and keep the size (or EOPNOTSUPP), data around the range untouched',
  needs: ['write', 'fallocate'],
  async run(t) {
    const v = await t.start();
    const f = await v.create('/fa', 0o644, O_RDWR | O_CREAT);
    const model = Buffer.alloc(16384);
    const head = pattern(6000, 4);
    head.copy(model);
    await v.write(f.nodeid, f.fh, 0, head);
    await firstUse(t, v.fallocate(f.nodeid, f.fh, FALLOC_FL_KEEP_SIZE, 0, 4096), 'FALLOCATE');
    let size = head.length;
    const step = async (what: string, mode: number, offset: number, length: number, apply: () => void): Promise<boolean> => {
      t.step(what);
      try {
        await v.fallocate(f.nodeid, f.fh, mode, offset, length);
      } catch (e) {
        if (mode !== 0 && UNSUPPORTED.includes(code(e))) return false;
        t.fail(what, 'success', code(e));
        return false;
      }
      apply();
      await checkContent(t, v, f, model.subarray(0, size), `after ${what}`);
      return true;
    };
    await step('FALLOCATE mode 0 from 4096 to 12288 (grows the file)', 0, 4096, 8192, () => {
      size = 12288;
    });
    await step('FALLOCATE KEEP_SIZE from 12288 to 16384', FALLOC_FL_KEEP_SIZE, 12288, 4096, () => undefined);
    await step('FALLOCATE PUNCH_HOLE|KEEP_SIZE of 1000 bytes at 100', FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, 100, 1000, () => model.fill(0, 100, 1100));
    await step('FALLOCATE PUNCH_HOLE|KEEP_SIZE of the page 4096-8192 and past the end', FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, 8192, 65536, () => model.fill(0, 8192, size));
    await v.write(f.nodeid, f.fh, 2000, pattern(3000, 5));
    pattern(3000, 5).copy(model, 2000);
    await step('FALLOCATE ZERO_RANGE of 500 bytes at 2500', FALLOC_FL_ZERO_RANGE, 2500, 500, () => model.fill(0, 2500, 3000));
    await step('FALLOCATE ZERO_RANGE|KEEP_SIZE from 4000 past the end', FALLOC_FL_ZERO_RANGE | FALLOC_FL_KEEP_SIZE, 4000, 20000, () => model.fill(0, 4000, size));
    await step('FALLOCATE ZERO_RANGE growing the file to 14000', FALLOC_FL_ZERO_RANGE, 13000, 1000, () => {
      size = 14000;
    });
    await v.release(f.nodeid, f.fh);
  },
};

export const lseek: Scenario = {
  name: 'lseek',
  description: 'LSEEK SEEK_DATA/SEEK_HOLE on a sparse file: offsets within the file that agree with its bytes (holes read as zeros), the hole at the end, ENXIO at and past the end',
  needs: ['write', 'lseek'],
  async run(t) {
    const v = await t.start();
    const f = await v.create('/sk', 0o644, O_RDWR | O_CREAT);
    const M = 1 << 20;
    await v.write(f.nodeid, f.fh, 0, Buffer.alloc(4096, 'x'));
    await v.write(f.nodeid, f.fh, M, Buffer.alloc(4096, 'y'));
    const size = M + 4096;
    await firstUse(t, v.lseek(f.nodeid, f.fh, 0, SEEK_DATA), 'LSEEK');
    const seek = async (off: number, whence: number): Promise<number | string> => v.lseek(f.nodeid, f.fh, off, whence).catch((e: unknown) => code(e));
    const name = (w: number): string => (w === SEEK_DATA ? 'SEEK_DATA' : 'SEEK_HOLE');
    t.step('SEEK_DATA and SEEK_HOLE from the start');
    const d0 = await seek(0, SEEK_DATA);
    t.check(d0 === 0, 'LSEEK SEEK_DATA from 0 (data at 0)', '0', String(d0));
    const h0 = await seek(0, SEEK_HOLE);
    t.check(typeof h0 === 'number' && h0 >= 4096 && h0 <= size, 'LSEEK SEEK_HOLE from 0', `an offset from 4096 (the end of the first data) to ${size} (the end of the file)`, String(h0));
    if (typeof h0 === 'number' && h0 < size) {
      const d1 = await seek(h0, SEEK_DATA);
      t.check(typeof d1 === 'number' && d1 > h0 && d1 <= M, `LSEEK SEEK_DATA from the hole at ${h0}`, `an offset after ${h0}, at most ${M} (where the next data is)`, String(d1));
      if (typeof d1 === 'number' && d1 > h0) {
        const hole = await v.read(f.nodeid, f.fh, h0, Math.min(d1 - h0, 65536));
        t.check(hole.every((b) => b === 0), `bytes of the hole ${h0}..${d1} LSEEK reported`, 'zeros', `${hole.filter((b) => b !== 0).length} nonzero bytes`);
      }
    }
    t.step('the hole at the end, and past it');
    const hEnd = await seek(M, SEEK_HOLE);
    t.check(hEnd === size, `LSEEK SEEK_HOLE from ${M} (data to the end)`, `${size} (the end of the file is a hole)`, String(hEnd));
    const dIn = await seek(M + 100, SEEK_DATA);
    t.check(dIn === M + 100, `LSEEK SEEK_DATA from ${M + 100} (inside data)`, String(M + 100), String(dIn));
    for (const [off, w] of [[size, SEEK_DATA], [size, SEEK_HOLE], [size + 1, SEEK_DATA], [size + 10 * M, SEEK_HOLE]] as const) {
      const r = await seek(off, w);
      t.check(r === 'ENXIO', `LSEEK ${name(w)} from ${off} (${off === size ? 'the end of the file' : 'past the end'})`, 'ENXIO', String(r));
    }
    await v.release(f.nodeid, f.fh);
  },
};

export const copyFileRange: Scenario = {
  name: 'copy-file-range',
  description: 'COPY_FILE_RANGE between files: the count, the bytes at the destination offset, short at the source end and 0 past it, overwriting inside and extending past the destination end (zeros between)',
  needs: ['write', 'copy_file_range'],
  async run(t) {
    const v = await t.start();
    const src = pattern(10000, 6);
    await v.writeFile('/c1', src);
    const a = await v.open('/c1', O_RDONLY);
    const b = await v.create('/c2', 0o644, O_RDWR | O_CREAT);
    let model = Buffer.alloc(0);
    await firstUse(t, v.copyFileRange({ nodeid: a.nodeid, fh: a.fh, offset: 0 }, { nodeid: b.nodeid, fh: b.fh, offset: 0 }, 0), 'COPY_FILE_RANGE');
    const copy = async (offIn: number, offOut: number, len: number, want: number): Promise<void> => {
      const what = `COPY_FILE_RANGE ${len} bytes from /c1 at ${offIn} to /c2 at ${offOut}`;
      t.step(what);
      const n = await t.expectOk(v.copyFileRange({ nodeid: a.nodeid, fh: a.fh, offset: offIn }, { nodeid: b.nodeid, fh: b.fh, offset: offOut }, len), what);
      if (n === undefined) return;
      t.check(n === want, `${what}: the count`, String(want), String(n));
      if (n > 0) {
        if (offOut + n > model.length) {
          const next = Buffer.alloc(offOut + n);
          model.copy(next);
          model = next;
        }
        src.copy(model, offOut, offIn, offIn + n);
      }
      await checkContent(t, v, b, model, `of /c2 after ${what}`);
    };
    await copy(100, 0, 5000, 5000);
    await copy(9000, 5000, 5000, 1000);
    await copy(20000, 0, 10, 0);
    await copy(0, 1000, 10, 10);
    await copy(0, 20000, 100, 100);
    const untouched = await v.readFile('/c1');
    t.check(untouched.equals(src), 'the source /c1 after the copies', '10000 bytes as written', show(untouched));
    await v.release(a.nodeid, a.fh);
    await v.release(b.nodeid, b.fh);
  },
};
