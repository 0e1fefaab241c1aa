/**
 * The command line of an external server: split as a POSIX shell splits
 * words (quotes and backslashes, no expansions), `{fd}` replaced by the
 * /dev/fd path of the inherited socket and `{tmp}` by a fresh empty
 * directory of the scenario's own.
 */
import fs from 'node:fs';
import path from 'node:path';

/** Splits `line` into words: '...' literal, "..." with \" \\ \$ \` escapes, a backslash outside quotes escapes the next character. */
export function splitCommand(line: string): string[] {
  const words: string[] = [];
  let cur = '';
  let inWord = false;
  for (let i = 0; i < line.length; i++) {
    const c = line[i]!;
    if (c === "'") {
      const end = line.indexOf("'", i + 1);
      if (end < 0) throw new Error(`unterminated ' in ${JSON.stringify(line)}`);
      cur += line.slice(i + 1, end);
      i = end;
      inWord = true;
    } else if (c === '"') {
      i++;
      for (; i < line.length && line[i] !== '"'; i++) {
        if (line[i] === '\\' && i + 1 < line.length && '"\\$`'.includes(line[i + 1]!)) i++;
        cur += line[i];
      }
      if (i >= line.length) throw new Error(`unterminated " in ${JSON.stringify(line)}`);
      inWord = true;
    } else if (c === '\\') {
      if (i + 1 < line.length) cur += line[++i];
      inWord = true;
    } else if (/\s/.test(c)) {
      if (inWord) words.push(cur);
      cur = '';
      inWord = false;
    } else {
      cur += c;
      inWord = true;
    }
  }
  if (inWord) words.push(cur);
  return words;
}

/** The argv to start: every `{fd}` and `{tmp}` replaced. */
export function expandCommand(argv: readonly string[], values: { fd: string; tmp: () => string }): string[] {
  return argv.map((a) => a.replace(/\{(fd|tmp)\}/g, (_m, k: string) => (k === 'fd' ? values.fd : values.tmp())));
}

/**
 * Checks the command before any scenario runs: it names {fd} and its
 * program can be run. Returns the problem in a sentence, or null.
 */
export function commandProblem(argv: readonly string[]): string | null {
  if (argv.length === 0) return 'the command is empty';
  if (!argv.some((a) => a.includes('{fd}'))) return `the command never names {fd}, where the server finds its /dev/fuse (e.g. "./hello_ll -f {fd}"): ${JSON.stringify(argv.join(' '))}`;
  const prog = argv[0]!;
  const candidates = prog.includes('/') ? [path.resolve(prog)] : (process.env.PATH ?? '').split(':').filter(Boolean).map((d) => path.join(d, prog));
  for (const c of candidates) {
    try {
      fs.accessSync(c, fs.constants.X_OK);
      if (fs.statSync(c).isFile()) return null;
    } catch {
      // next
    }
  }
  return prog.includes('/') ? `cannot run ${prog}: no such executable file` : `cannot run ${prog}: not found in PATH`;
}
