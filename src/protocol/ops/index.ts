/** The opcode table: one module per opcode, listed once in all.ts, gathered here. */
import type { Opcode } from '../constants';
import type { OpDef } from '../op';
import * as all from './all';
import type { RequestOf } from '../op';
export * from './all';

function isOpDef(x: unknown): x is OpDef<Opcode, object> {
  return typeof x === 'object' && x !== null && 'opcode' in x && 'decode' in x;
}

/** Every opcode the codec knows, keyed by number. */
export const OPS: ReadonlyMap<number, OpDef<Opcode, object>> = new Map(Object.values(all).filter(isOpDef).map((d) => [d.opcode, d]));

type Defs = typeof all;

/**
 * Any decoded request: a discriminated union on `opcode`, one member per
 * opcode module listed in all.ts (derived, so a new opcode needs no entry here).
 */
export type Request = { [K in keyof Defs]: Defs[K] extends OpDef<Opcode, object> ? RequestOf<Defs[K]> : never }[keyof Defs];
