/**
 * Command-line parsing shared by the subcommands: positional arguments,
 * repeated `-o a,b=c`, and a few flags. Deliberately small: the option
 * vocabulary lives in src/server/options/ (table.ts).
 */
/** A mistake on the command line: one line on stderr, exit status 2. */
export class UsageError extends Error {
  override readonly name = 'UsageError';
}

export interface Args {
  positional: string[];
  /** Every -o value, in order. */
  options: string[];
  flags: Set<string>;
  values: Map<string, string>;
}

/**
 * `valued` lists the --flags that take a value (e.g. "--major 240"),
 * `switches` the other --flags the command knows besides --debug and --help.
 * Any other --flag is an error that names it: a mistyped flag must not be
 * read as "not given" (a mount that silently ignores --trce runs untraced).
 */
export function parseArgs(argv: readonly string[], valued: readonly string[] = [], switches: readonly string[] = []): Args {
  const a: Args = { positional: [], options: [], flags: new Set(), values: new Map() };
  for (let i = 0; i < argv.length; i++) {
    const x = argv[i]!;
    if (x === '-o') {
      const v = argv[++i];
      if (v === undefined) throw new UsageError('-o needs a value');
      a.options.push(v);
    } else if (x.startsWith('-o') && x.length > 2) {
      a.options.push(x.slice(2));
    } else if (x === '-d' || x === '--debug') {
      a.flags.add('debug');
    } else if (x === '-f' || x === '--foreground') {
      // devfuse always runs in the foreground; accepted for libfuse compatibility
    } else if (x === '-h' || x === '--help') {
      a.flags.add('help');
    } else if (x === '--') {
      a.positional.push(...argv.slice(i + 1));
      break;
    } else if (x.startsWith('--')) {
      const eq = x.indexOf('=');
      const name = x.slice(2, eq < 0 ? undefined : eq);
      if (valued.includes(name)) {
        const v = eq < 0 ? argv[++i] : x.slice(eq + 1);
        if (v === undefined) throw new UsageError(`--${name} needs a value`);
        a.values.set(name, v);
      } else if (switches.includes(name)) {
        if (eq >= 0) throw new UsageError(`--${name} takes no value`);
        a.flags.add(name);
      } else {
        const known = [...valued, ...switches, 'debug', 'help'].map((k) => `--${k}`).join(', ');
        throw new UsageError(`unknown flag --${name} (this command takes ${known})`);
      }
    } else {
      a.positional.push(x);
    }
  }
  return a;
}

/** `--help`: the command's usage on stdout, exit status 0. */
export function printHelp(usage: string): number {
  process.stdout.write(`${usage}\n`);
  return 0;
}
