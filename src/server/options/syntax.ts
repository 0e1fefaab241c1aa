/**
 * mount(8)/libfuse-style `-o` option strings: "ro,fsname=my\,fs,attr_timeout=1".
 *
 * Options are separated by commas; a backslash escapes the next character
 * (so "\," is a comma inside a value and "\\" a backslash) or, as in libfuse,
 * starts a three-digit octal escape ("\040" is a space). Each option is `key`
 * or `key=value`.
 */

/**
 * Splits an option string at unescaped commas and resolves the escapes.
 * Empty items (",,") are dropped.
 */
export function splitOptions(s: string): string[] {
  const out: string[] = [];
  let cur = '';
  for (let i = 0; i < s.length; i++) {
    const c = s[i]!;
    if (c === '\\' && i + 1 < s.length) {
      const oct = /^[0-3][0-7]{2}/.exec(s.slice(i + 1, i + 4));
      if (oct) {
        cur += String.fromCharCode(parseInt(oct[0], 8));
        i += 3;
      } else {
        cur += s[++i]!;
      }
    } else if (c === ',') {
      if (cur !== '') out.push(cur);
      cur = '';
    } else {
      cur += c;
    }
  }
  if (cur !== '') out.push(cur);
  return out;
}

/** Escapes a value so that splitOptions gives it back whole. */
export function escapeOption(s: string): string {
  return s.replace(/[\\,]/g, (c) => '\\' + c);
}
