/**
 * The subset of buffer-layout 1.2.2 that scripts/bench-codec.ts uses (the
 * package ships no types, and there is no @types/buffer-layout).
 */
declare module 'buffer-layout' {
  export class Layout<T = unknown> {
    readonly span: number;
    readonly property?: string;
    decode(b: Buffer, offset?: number): T;
    encode(src: T, b: Buffer, offset?: number): number;
    getSpan(b?: Buffer, offset?: number): number;
  }
  export class Structure<T = Record<string, unknown>> extends Layout<T> {
    readonly fields: Layout[];
    offsetOf(property: string): number | undefined;
  }
  export function struct<T = Record<string, unknown>>(fields: Layout[], property?: string, decodePrefixes?: boolean): Structure<T>;
  export function u8(property?: string): Layout<number>;
  export function u16(property?: string): Layout<number>;
  export function u32(property?: string): Layout<number>;
  export function s32(property?: string): Layout<number>;
  /** u64 as a number (exact below 2^53). */
  export function nu64(property?: string): Layout<number>;
  /** i64 as a number (exact below 2^53). */
  export function ns64(property?: string): Layout<number>;
}
