/**
 * names.ts: byte strings ↔ JavaScript strings, losslessly (surrogate escapes
 * for bytes that are not valid UTF-8).
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { decodeName, decodeNameList, encodeName, hasEscapedBytes, nameByteLength, writeName } from '../../src/protocol';
import { ODD_NAMES } from './fixtures';

const decode = (b: Buffer): string => decodeName(b, 0, b.length);

/** Every way to turn a string back into bytes agrees. */
function encodeAllWays(name: string): Buffer {
  const bytes = encodeName(name);
  assert.equal(nameByteLength(name), bytes.length, 'nameByteLength');
  const out = Buffer.alloc(bytes.length + 4, 0xee);
  assert.equal(writeName(out, 2, name), bytes.length, 'writeName returns the length');
  assert.ok(out.subarray(2, 2 + bytes.length).equals(bytes), 'writeName writes encodeName');
  assert.deepEqual([out[0], out[1], out[bytes.length + 2], out[bytes.length + 3]], [0xee, 0xee, 0xee, 0xee], 'writeName stays in place');
  return bytes;
}

function roundTrip(bytes: Buffer): void {
  const name = decode(bytes);
  assert.ok(encodeAllWays(name).equals(bytes), `${bytes.toString('hex')} → ${JSON.stringify(name)} → back`);
}

describe('names: bytes → string → the same bytes', () => {
  test('all 256 single bytes: round trip, distinct strings, ASCII as itself, the rest escaped', () => {
    const seen = new Set<string>();
    for (let b = 0; b < 256; b++) {
      const bytes = Buffer.from([b]);
      roundTrip(bytes);
      const s = decode(bytes);
      seen.add(s);
      assert.equal(s, b < 0x80 ? String.fromCharCode(b) : String.fromCharCode(0xdc00 + b));
    }
    assert.equal(seen.size, 256);
  });

  test('all 65536 two-byte strings: round trip, distinct', () => {
    const seen = new Set<string>();
    const bytes = Buffer.alloc(2);
    for (let i = 0; i < 65536; i++) {
      bytes[0] = i >> 8;
      bytes[1] = i & 0xff;
      const s = decode(bytes);
      seen.add(s);
      if (!encodeName(s).equals(bytes)) assert.fail(`${bytes.toString('hex')} → ${JSON.stringify(s)} → ${encodeName(s).toString('hex')}`);
    }
    assert.equal(seen.size, 65536);
  });

  test('the odd names of the fixtures', () => {
    for (const name of ODD_NAMES) {
      const bytes = encodeAllWays(name);
      assert.equal(decode(bytes), name);
    }
  });

  test('random byte strings round trip', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 300 }), (a) => {
        roundTrip(Buffer.from(a));
      }),
      { numRuns: 3000 },
    );
  });

  test('random byte strings biased to UTF-8 lead and continuation bytes round trip', () => {
    const byte = fc.oneof(fc.integer({ min: 0x80, max: 0xbf }), fc.integer({ min: 0xc0, max: 0xff }), fc.integer({ min: 0, max: 0x7f }), fc.constantFrom(0xed, 0xf4, 0xf5, 0xe0, 0xf0));
    fc.assert(
      fc.property(fc.array(byte, { maxLength: 64 }), (a) => {
        roundTrip(Buffer.from(a));
      }),
      { numRuns: 3000 },
    );
  });

  test('valid UTF-8 decodes exactly as Node decodes it; invalid UTF-8 never turns into U+FFFD', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 64 }), (a) => {
        const b = Buffer.from(a);
        const node = b.toString('utf8');
        if (Buffer.from(node, 'utf8').equals(b)) assert.equal(decode(b), node);
        else assert.ok(!decode(b).includes('\ufffd') || b.includes(Buffer.from('\ufffd')));
      }),
      { numRuns: 2000 },
    );
  });

  test('well-formed strings: string → bytes → the same string, bytes as UTF-8', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary', maxLength: 80 }), (s) => {
        const bytes = encodeAllWays(s);
        assert.ok(bytes.equals(Buffer.from(s, 'utf8')));
        assert.equal(decode(bytes), s);
      }),
      { numRuns: 1000 },
    );
  });

  test('decodeName reads only [start, end)', () => {
    const b = Buffer.from([0xe2, 0x82, 0xac, 0xe2, 0x82, 0xac]); // €€
    assert.equal(decodeName(b, 0, 3), '€');
    assert.equal(decodeName(b, 1, 3), '\udc82\udcac', 'a sequence cut at start is escaped');
    assert.equal(decodeName(b, 3, 5), '\udce2\udc82', 'a sequence cut at end is escaped');
    assert.equal(decodeName(b, 2, 2), '');
  });

  test('hasEscapedBytes: true exactly when the bytes are not the UTF-8 of the string', () => {
    for (const name of ['', 'plain', 'ümlaut', '😀', '\ufffd', '\ud800 a lone high surrogate']) assert.equal(hasEscapedBytes(name), false, JSON.stringify(name));
    for (const name of ['\udc80', 'x\udcff', '\udcc3\udcbc']) assert.equal(hasEscapedBytes(name), true, JSON.stringify(name));
  });

  test('decodeNameList: NUL-separated names (listxattr), each decoded, empty ones skipped', () => {
    const list = Buffer.concat([Buffer.from('user.a\0\0user.ü\0user.'), Buffer.from([0xff, 0]), Buffer.from('last')]);
    assert.deepEqual(decodeNameList(list), ['user.a', 'user.ü', 'user.\udcff', 'last']);
    assert.deepEqual(decodeNameList(Buffer.alloc(0)), []);
  });
});
