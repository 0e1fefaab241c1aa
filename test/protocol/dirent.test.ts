/**
 * READDIR / READDIRPLUS records: 8-byte alignment, zeroed padding, the size
 * limit (an entry goes in whole or not at all, and the first that does not
 * fit ends the reply), and parseDirents, the kernel's reading of them.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import {
  decodeReply, direntAlign, DirentBuffer, DirentType, encodeName, InvalidReplyError, parseDirents, ProtocolError, replyData,
  type DirentInput, type EntryOut,
} from '../../src/protocol';
import { Bytes, bytesName, entryOut, joined, MAX_SAFE, ODD_NAMES, TWO32, withDirtyMemory } from './fixtures';

const DIRENT = 24;
const DIRENTPLUS = 152;

const ENTRIES: DirentInput[] = ODD_NAMES.map((name, i) => ({ ino: i === 0 ? MAX_SAFE : 100 + i, off: i + 1, type: i % 2 ? DirentType.DIR : DirentType.REG, name }));

interface Variant {
  name: string;
  fixed: number;
  plus: boolean;
  add: (b: DirentBuffer, d: DirentInput, i: number) => boolean;
}
const plusEntry = (i: number): EntryOut => (i % 3 === 2 ? { ...entryOut(0), nodeid: 0 } : entryOut(1000 + i)); // nodeid 0: not instantiated
const VARIANTS: Variant[] = [
  { name: 'READDIR (fuse_dirent)', fixed: DIRENT, plus: false, add: (b, d) => b.add(d) },
  { name: 'READDIRPLUS (fuse_direntplus)', fixed: DIRENTPLUS, plus: true, add: (b, d, i) => b.addPlus(plusEntry(i), d) },
];

/** The whole memory the buffer was given (finish() is a view of its start). */
function backing(b: DirentBuffer): Buffer {
  const f = b.finish();
  return Buffer.from(f.buffer, f.byteOffset, b.maxSize);
}

describe('DirentBuffer records', () => {
  for (const v of VARIANTS) {
    test(`${v.name}: 8-byte aligned records, zero padding, parsed back by parseDirents`, () => {
      const b = withDirtyMemory(() => new DirentBuffer(65536));
      ENTRIES.forEach((d, i) => assert.ok(v.add(b, d, i), `entry ${i} fits`));
      const body = b.finish();
      let pos = 0;
      ENTRIES.forEach((d) => {
        const name = encodeName(d.name);
        const rec = direntAlign(v.fixed + name.length);
        assert.equal(rec % 8, 0);
        const at = pos + v.fixed - DIRENT; // the fuse_dirent inside the record
        assert.equal(body.readUInt32LE(at + 16), name.length, 'namelen');
        assert.ok(body.subarray(pos + v.fixed, pos + v.fixed + name.length).equals(name), 'name bytes');
        assert.ok(body.subarray(pos + v.fixed + name.length, pos + rec).every((x) => x === 0), `padding of ${JSON.stringify(d.name)} is zero`);
        pos += rec;
      });
      assert.equal(body.length, pos);
      assert.equal(b.length, pos);
      assert.equal(b.entries, ENTRIES.length);
      assert.deepEqual(parseDirents(body, v.plus), ENTRIES.map((d, i) => (v.plus ? { ...d, entry: plusEntry(i) } : d)));
      const r = decodeReply(v.plus ? 'direntsplus' : 'dirents', joined(replyData(9, body)), { minor: 45, size: 65536 });
      assert.ok(!(r instanceof ProtocolError) && r.body?.kind === 'dirents' && r.body.entries.length === ENTRIES.length);
    });

    test(`${v.name}: parseDirents reads records whose padding is not zero, as the kernel does`, () => {
      const b = new DirentBuffer(65536);
      ENTRIES.forEach((d, i) => assert.ok(v.add(b, d, i)));
      const body = Buffer.from(b.finish());
      let pos = 0;
      for (const d of ENTRIES) {
        const namelen = encodeName(d.name).length;
        const rec = direntAlign(v.fixed + namelen);
        body.fill(0xaa, pos + v.fixed + namelen, pos + rec); // stale bytes, as go-fuse leaves them
        pos += rec;
      }
      assert.deepEqual(parseDirents(body, v.plus), ENTRIES.map((d, i) => (v.plus ? { ...d, entry: plusEntry(i) } : d)));
    });

    test(`${v.name}: the size limit, at every size from 0 to all entries + 8`, () => {
      const ends: number[] = [0];
      for (const d of ENTRIES) ends.push(ends[ends.length - 1]! + direntAlign(v.fixed + encodeName(d.name).length));
      const total = ends[ends.length - 1]!;
      for (let size = 0; size <= total + 8; size++) {
        const fits = ends.filter((e) => e <= size).length - 1; // entries whose record ends within size
        const b = withDirtyMemory(() => new DirentBuffer(size));
        const results = ENTRIES.map((d, i) => v.add(b, d, i));
        assert.deepEqual(results, ENTRIES.map((_, i) => i < fits), `size ${size}: the first ${fits} fit, and then none`);
        assert.equal(b.length, ends[fits], `size ${size}: length`);
        assert.equal(b.entries, fits);
        assert.ok(backing(b).subarray(ends[fits]).every((x) => x === 0xee), `size ${size}: nothing written past the last whole record`);
        assert.equal(parseDirents(b.finish(), v.plus).length, fits);
      }
    });
  }

  test('after the first entry that does not fit, a smaller one is refused too', () => {
    const b = new DirentBuffer(64);
    assert.ok(b.add({ ino: 1, off: 1, type: 8, name: 'a' })); // 32
    assert.equal(b.add({ ino: 2, off: 2, type: 8, name: 'x'.repeat(20) }), false); // 48 > 32 left
    assert.equal(b.add({ ino: 3, off: 3, type: 8, name: 'b' }), false); // would fit, but comes after a refused one
    assert.equal(b.addPlus(entryOut(), { ino: 3, off: 3, type: 8, name: 'b' }), false);
    assert.equal(b.entries, 1);
  });

  test('one record stated byte by byte', () => {
    const b = new DirentBuffer(4096);
    b.add({ ino: TWO32 + 1, off: MAX_SAFE, type: DirentType.LNK, name: bytesName(0x61, 0xff) });
    const expected = new Bytes().u64(TWO32 + 1).u64(MAX_SAFE).u32(2).u32(10).raw(Buffer.from([0x61, 0xff])).zeros(6).build();
    assert.ok(b.finish().equals(expected), b.finish().toString('hex'));
  });

  test('names the protocol cannot carry are refused', () => {
    const b = new DirentBuffer(4096);
    for (const name of ['', 'a/b', '/', 'nul\0in']) {
      assert.throws(() => b.add({ ino: 1, off: 1, type: 8, name }), InvalidReplyError);
      assert.throws(() => b.addPlus(entryOut(), { ino: 1, off: 1, type: 8, name }), InvalidReplyError);
    }
    assert.equal(b.length, 0);
  });
});

describe('parseDirents rejects malformed records', () => {
  const rec = (namelen: number, name: Buffer, pad: Buffer = Buffer.alloc(direntAlign(DIRENT + name.length) - DIRENT - name.length)): Buffer =>
    new Bytes().u64(1).u64(1).u32(namelen).u32(8).raw(name).raw(pad).build();
  const good = rec(1, Buffer.from('a'));
  const cases: { name: string; body: Buffer; plus?: boolean; match: RegExp }[] = [
    { name: 'a partial fuse_dirent at the end', body: Buffer.concat([good, Buffer.alloc(23)]), match: /bytes left/ },
    { name: 'namelen 0', body: rec(0, Buffer.alloc(0), Buffer.alloc(0)), match: /namelen 0/ },
    { name: 'namelen over FUSE_NAME_MAX', body: rec(1025, Buffer.alloc(1025, 0x61)), match: /namelen 1025/ },
    { name: 'a name running past the body', body: rec(9, Buffer.from('abc'), Buffer.alloc(5)), match: /needs/ },
    { name: "'/' in a name", body: rec(3, Buffer.from('a/b')), match: /'\/'/ },
    { name: 'NUL in a name', body: rec(3, Buffer.from('a\0b')), match: /NUL/ },
    { name: 'READDIR records read as READDIRPLUS', body: Buffer.concat([good, good]), plus: true, match: /fuse_direntplus/ },
  ];
  for (const c of cases) {
    test(c.name, () => {
      const r = parseDirents(c.body, c.plus ?? false);
      assert.equal(typeof r, 'string');
      assert.match(r as string, c.match);
    });
  }

  test('namelen 1024 (FUSE_NAME_MAX) is accepted', () => {
    const r = parseDirents(rec(1024, Buffer.alloc(1024, 0x62)), false);
    assert.ok(Array.isArray(r) && r[0]!.name === 'b'.repeat(1024));
  });
});
