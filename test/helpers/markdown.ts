/** The fenced code blocks of a Markdown text, for tests that keep documents honest. */

/** The blocks of one language ('' for plain ```), in order, each ending with a newline. */
export function fencedBlocks(text: string, lang: string): string[] {
  const out: string[] = [];
  let open: { lang: string; lines: string[] } | null = null;
  for (const line of text.split('\n')) {
    if (!line.startsWith('```')) open?.lines.push(line);
    else if (open) {
      if (open.lang === lang) out.push(open.lines.join('\n') + '\n');
      open = null;
    } else open = { lang: line.slice(3).trim(), lines: [] };
  }
  return out;
}
