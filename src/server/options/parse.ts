/**
 * The one parser of `-o` strings: each item is looked up in the table
 * (table.ts) and applied to the typed mount or session options.
 *
 * Two passes, so that a mount-level problem is reported before anything
 * else and the mount layer never sees a session option: parseMountOptions
 * applies the mount-level names in order and hands the others on untouched
 * (`rest`, a later repeat moved to the end as if given once, last);
 * sessionOptionsFromMountOptions then applies those, refusing a name the
 * table does not know.
 */
import { defaultMountOptions, type MountOptions } from './mount';
import type { SessionOptions } from './session';
import { splitOptions } from './syntax';
import { OPTIONS, type OptionDef } from './table';

export interface ParsedOptions {
  mount: MountOptions;
  /** The options that are not mount-level, in order of appearance (a later repeat wins). */
  rest: Map<string, string | true>;
}

function lookup(key: string): OptionDef | undefined {
  return Object.hasOwn(OPTIONS, key) ? OPTIONS[key] : undefined;
}

/**
 * Parses one or more `-o` strings (later ones override earlier ones) on top
 * of `base` (default: defaultMountOptions()). Throws MountOptionError for a
 * malformed mount-level option; never for the rest.
 */
export function parseMountOptions(opts: string | readonly string[], base: MountOptions = defaultMountOptions()): ParsedOptions {
  const mount: MountOptions = { ...base };
  const rest = new Map<string, string | true>();
  const list = typeof opts === 'string' ? [opts] : opts;
  for (const item of list.flatMap(splitOptions)) {
    const eq = item.indexOf('=');
    const key = eq < 0 ? item : item.slice(0, eq);
    const value: string | true = eq < 0 ? true : item.slice(eq + 1);
    const def = lookup(key);
    if (def?.target === 'mount') {
      def.set(mount, value, key, item);
      continue;
    }
    rest.delete(key); // a later repeat moves to the end, as if given once, last
    rest.set(key, value);
  }
  return { mount, rest };
}

/** The session options among `rest` (what parseMountOptions handed on); unknown names are an error. */
export function sessionOptionsFromMountOptions(rest: ReadonlyMap<string, string | true>): SessionOptions {
  const o: SessionOptions = {};
  for (const [k, v] of rest) {
    const def = lookup(k);
    if (def?.target !== 'session') throw new Error(`unknown option -o ${k}${v === true ? '' : '=' + v}`);
    def.set(o, v, k);
  }
  return o;
}

/** `-o` strings → typed mount and session options (both passes). */
export function parseOptions(opts: string | readonly string[], base?: MountOptions): { mount: MountOptions; session: SessionOptions } {
  const { mount, rest } = parseMountOptions(opts, base);
  return { mount, session: sessionOptionsFromMountOptions(rest) };
}
