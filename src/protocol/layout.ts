/**
 * Struct layouts, declared once, compiled to fast accessors.
 *
 * Every C struct of include/uapi/linux/fuse.h is declared in structs.ts as a
 * list of `[field, type]` pairs, in the header's order and with the header's
 * field names. `struct()` computes offsets and size from that list and
 * generates a `read` and a `write` function for it.
 *
 * Why generated code: the decoder runs once per request, and a generic
 * interpreter that walks a field table costs several times more than the
 * straight-line code a person would write by hand (see
 * scripts/bench-codec.ts, which also measures the buffer-layout package on
 * the same structs). Generating that straight-line code from the one
 * declaration gives hand-written speed without a second copy of the layout
 * that could drift from the first. The generated source of any struct can be
 * read with `SomeStruct.read.toString()`.
 *
 * Numbers: u64 fields are JavaScript numbers. They are exact below 2^53,
 * which covers every node id, file handle, offset and size a real kernel or
 * filesystem produces; the few 64-bit fields whose whole range carries
 * meaning (lock owners, ioctl arguments) use the `u64big` type and are
 * bigints. Writing a number as u64/i64 stores its two's-complement low 64
 * bits, so -1 round-trips as 0xffff_ffff_ffff_ffff; an i64 written from
 * 2^63 or more (OFFSET_MAX, which as a double is 2^63) saturates to 2^63-1.
 */

export type Prim = 'u8' | 'u16' | 'u32' | 'i32' | 'u64' | 'i64' | 'u64big';

/** Reserved bytes (the header's padding, unused[], spare[], dummy fields). */
export interface Pad {
  readonly pad: number;
}

/** `pad(n)` declares `n` bytes that are zero on write and skipped on read. */
export function pad(bytes: number): Pad {
  return { pad: bytes };
}

/** Size in bytes of each primitive. */
const PRIM_SIZE: Record<Prim, number> = { u8: 1, u16: 2, u32: 4, i32: 4, u64: 8, i64: 8, u64big: 8 };

export type FieldType = Prim | Pad | Struct<object>;
export type FieldDef = readonly [name: string, type: FieldType];

type ValueOf<T> = T extends 'u64big' ? bigint : T extends Prim ? number : T extends Struct<infer S> ? S : never;

/** The decoded object type of a field list: padding fields are left out. */
export type Fields<F extends readonly FieldDef[]> = {
  [E in F[number] as E[1] extends Pad ? never : E[0]]: ValueOf<E[1]>;
};

/** One field's place in its struct, as offsetof() and sizeof() would give it. */
export interface FieldInfo {
  readonly name: string;
  readonly offset: number;
  readonly size: number;
  readonly type: Prim | 'pad' | 'struct';
  /** For nested structs, the nested layout. */
  readonly struct?: Struct<object>;
}

export interface Struct<T> {
  /** The C name in fuse.h, e.g. `fuse_entry_out`. */
  readonly cName: string;
  /** sizeof(struct). */
  readonly size: number;
  readonly fields: readonly FieldInfo[];
  /** offsetof(struct, name); throws for a name the struct does not have. */
  offsetOf(name: string): number;
  /** Reads the struct at `offset`; the caller has checked that `size` bytes are there. */
  read(buf: Buffer, offset: number): T;
  /** Writes the struct at `offset`, padding zeroed; the caller provides `size` bytes. */
  write(buf: Buffer, offset: number, value: T): void;
  /** A fresh zero-filled Buffer holding `value`. */
  encode(value: T): Buffer;
}

/** The decoded type of a struct declared with `struct()`. */
export type StructType<S> = S extends Struct<infer T> ? T : never;

const TWO32 = 4294967296;

function isPad(t: FieldType): t is Pad {
  return typeof t === 'object' && 'pad' in t;
}

function isStruct(t: FieldType): t is Struct<object> {
  return typeof t === 'object' && 'cName' in t;
}

/** Natural alignment of a field: fuse.h pads every struct explicitly, so a misaligned declaration is a typo. */
function alignOf(t: FieldType): number {
  if (isPad(t)) return 1;
  if (isStruct(t)) return Math.max(...t.fields.filter((f) => f.type !== 'pad').map((f) => (f.struct ? 8 : f.size)), 1);
  return PRIM_SIZE[t] === 8 ? 8 : PRIM_SIZE[t];
}

// The generated code reads and writes bytes one by one rather than through
// Buffer's readUInt32LE and friends: on Node 20 those are calls V8 does not
// inline (about 9 ns each against 1 ns for the four byte accesses, see
// scripts/bench-codec.ts), and a struct has a dozen of them. Index
// expressions are static: `o + <offset>`.

/** The index of byte `k` of a field at `off`. */
function at(off: number, k = 0): string {
  return `o + ${off + k}`;
}

/** u32 at `off`: exact, non-negative. */
function r32(off: number): string {
  return `((b[${at(off)}] | b[${at(off, 1)}] << 8 | b[${at(off, 2)}] << 16) + b[${at(off, 3)}] * 16777216)`;
}

/** i32 at `off`. */
function ri32(off: number): string {
  return `(b[${at(off)}] | b[${at(off, 1)}] << 8 | b[${at(off, 2)}] << 16 | b[${at(off, 3)}] << 24)`;
}

/** Stores the low `n` bytes of the integer in `x` (a Uint8Array store keeps the low 8 bits). */
function store(off: number, n: number, x: string): string {
  let s = `b[${at(off)}] = ${x};`;
  for (let k = 1; k < n; k++) s += ` b[${at(off, k)}] = ${x} >>> ${8 * k};`;
  return s;
}

function readExpr(t: Prim, off: number): string {
  switch (t) {
    case 'u8':
      return `b[${at(off)}]`;
    case 'u16':
      return `(b[${at(off)}] | b[${at(off, 1)}] << 8)`;
    case 'u32':
      return r32(off);
    case 'i32':
      return ri32(off);
    case 'u64':
      return `(${r32(off)} + ${r32(off + 4)} * ${TWO32})`;
    case 'i64':
      return `(${r32(off)} + ${ri32(off + 4)} * ${TWO32})`;
    case 'u64big': {
      // Most of these (lock owners, ioctl arguments) are 0: skip making a BigInt from bytes then.
      const bytes = Array.from({ length: 8 }, (_, k) => `b[${at(off, k)}]`).join(' | ');
      return `((${bytes}) === 0 ? 0n : b.readBigUInt64LE(${at(off)}))`;
    }
  }
}

function writeStmt(t: Prim, off: number, v: string): string {
  switch (t) {
    case 'u8':
      return `b[${at(off)}] = ${v};`;
    case 'u16':
      return `{ const x = ${v}; ${store(off, 2, 'x')} }`;
    case 'u32':
    case 'i32':
      // The same low 32 bits either way (ToUint8 and >>> work modulo 2^8 and 2^32).
      return `{ const x = ${v}; ${store(off, 4, 'x')} }`;
    case 'u64':
      // ToUint32 works on the exact integer value of the double, so the low
      // and high words are exact for every integral double, negative ones
      // included (two's complement).
      return `{ const x = ${v}; const lo = x >>> 0; const hi = Math.floor(x / ${TWO32}) >>> 0; ${store(off, 4, 'lo')} ${store(off + 4, 4, 'hi')} }`;
    case 'i64':
      // Likewise; and 2^63, the double that 2^63-1 (OFFSET_MAX, LLONG_MAX)
      // rounds to, saturates to 2^63-1 instead of wrapping to -2^63.
      return `{ const x = ${v}; const big = x >= ${2 ** 63}; const lo = big ? 0xffffffff : x >>> 0; const hi = big ? 0x7fffffff : Math.floor(x / ${TWO32}) >>> 0; ${store(off, 4, 'lo')} ${store(off + 4, 4, 'hi')} }`;
    case 'u64big':
      return `{ const x = ${v}; if (x === 0n) { ${zeroStmt(off, 8)} } else { b.writeBigUInt64LE(BigInt.asUintN(64, x), ${at(off)}); } }`;
  }
}

/** Zeroes a pad: a few byte stores when small, one fill when large. */
function zeroStmt(off: number, n: number): string {
  if (n > 16) return `b.fill(0, ${at(off)}, ${at(off + n)});`;
  return Array.from({ length: n }, (_, k) => `b[${at(off, k)}] = 0;`).join(' ');
}

/**
 * Declares a struct. Field names and order follow fuse.h; sizes and offsets
 * follow from natural alignment, and test/protocol/layout-c.test.ts checks
 * them against the C compiler's view of the real header.
 */
export function struct<const F extends readonly FieldDef[]>(cName: string, defs: F): Struct<Fields<F>> {
  const fields: FieldInfo[] = [];
  let offset = 0;
  let maxAlign = 1;
  const nested: Struct<object>[] = [];
  const reads: string[] = [];
  const writes: string[] = [];
  for (const [name, type] of defs) {
    const align = alignOf(type);
    maxAlign = Math.max(maxAlign, align);
    if (offset % align !== 0) throw new Error(`${cName}.${name}: offset ${offset} is not ${align}-aligned`);
    const key = JSON.stringify(name);
    if (isPad(type)) {
      fields.push({ name, offset, size: type.pad, type: 'pad' });
      writes.push(zeroStmt(offset, type.pad));
      offset += type.pad;
      continue;
    }
    if (isStruct(type)) {
      const i = nested.push(type) - 1;
      fields.push({ name, offset, size: type.size, type: 'struct', struct: type });
      reads.push(`${key}: n[${i}].read(b, o + ${offset})`);
      writes.push(`n[${i}].write(b, o + ${offset}, v[${key}]);`);
      offset += type.size;
      continue;
    }
    fields.push({ name, offset, size: PRIM_SIZE[type], type });
    reads.push(`${key}: ${readExpr(type, offset)}`);
    writes.push(writeStmt(type, offset, `v[${key}]`));
    offset += PRIM_SIZE[type];
  }
  if (offset % maxAlign !== 0) throw new Error(`${cName}: size ${offset} is not a multiple of its alignment ${maxAlign}`);
  const size = offset;
  // eslint-disable-next-line @typescript-eslint/no-implied-eval
  const read = new Function('n', `return function read_${cName}(b, o) { return { ${reads.join(', ')} }; };`)(nested);
  // eslint-disable-next-line @typescript-eslint/no-implied-eval
  const write = new Function('n', `return function write_${cName}(b, o, v) { ${writes.join(' ')} };`)(nested);
  const byName = new Map(fields.map((f) => [f.name, f]));
  return {
    cName,
    size,
    fields,
    offsetOf(name: string): number {
      const f = byName.get(name);
      if (!f) throw new Error(`${cName} has no field ${name}`);
      return f.offset;
    },
    read: read as (buf: Buffer, offset: number) => Fields<F>,
    write: write as (buf: Buffer, offset: number, value: Fields<F>) => void,
    encode(value: Fields<F>): Buffer {
      const b = Buffer.alloc(size);
      (write as (b: Buffer, o: number, v: Fields<F>) => void)(b, 0, value);
      return b;
    },
  };
}
