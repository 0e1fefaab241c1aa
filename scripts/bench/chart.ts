/**
 * A hand-written SVG chart of ratios: one group of horizontal bars per
 * metric, one bar per peer, on a log scale (a ratio of 2 and one of 1/2 are
 * the same distance from parity), with the parity line and, where a target
 * applies, a tick at the target. No browser or plotting library needed.
 */

export interface ChartBar {
  peer: string;
  ratio: number;
  /** The ratio the target asks for against this peer, if any. */
  target?: number;
}

export interface ChartGroup {
  label: string;
  bars: ChartBar[];
}

const COLORS = ['#4e79a7', '#f28e2b', '#e15759', '#76b7b2', '#59a14f', '#edc948', '#b07aa1', '#9c755f'];

const esc = (s: string): string => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

export function ratioChart(title: string, subtitle: string, groups: readonly ChartGroup[]): string {
  const peers = [...new Set(groups.flatMap((g) => g.bars.map((b) => b.peer)))];
  const color = (p: string): string => COLORS[peers.indexOf(p) % COLORS.length]!;
  const values = groups.flatMap((g) => g.bars.flatMap((b) => [b.ratio, b.target ?? 1])).filter((v) => Number.isFinite(v) && v > 0);
  // Powers of two around the data, never narrower than [1/4, 4].
  const lo = Math.min(-2, Math.floor(Math.log2(Math.min(...values, 1))));
  const hi = Math.max(2, Math.ceil(Math.log2(Math.max(...values, 1))));
  const left = 230;
  const plotW = 560;
  const barH = 13;
  const gap = 12;
  const top = 70;
  const x = (v: number): number => left + ((Math.log2(Math.min(Math.max(v, 2 ** lo), 2 ** hi)) - lo) / (hi - lo)) * plotW;
  const out: string[] = [];
  let y = top;
  for (const g of groups) {
    const h = g.bars.length * barH;
    out.push(`<text x="${left - 8}" y="${y + h / 2 + 4}" text-anchor="end" font-size="12">${esc(g.label)}</text>`);
    for (const b of g.bars) {
      if (Number.isFinite(b.ratio) && b.ratio > 0) {
        const x1 = x(1);
        const x2 = x(b.ratio);
        out.push(`<rect x="${Math.min(x1, x2).toFixed(1)}" y="${y + 1}" width="${Math.max(1, Math.abs(x2 - x1)).toFixed(1)}" height="${barH - 2}" fill="${color(b.peer)}"/>`);
        const tx = b.ratio >= 1 ? x2 + 3 : x2 - 3;
        out.push(`<text x="${tx.toFixed(1)}" y="${y + barH - 3}" font-size="9" text-anchor="${b.ratio >= 1 ? 'start' : 'end'}">${b.ratio.toFixed(2)}</text>`);
      }
      if (b.target !== undefined) {
        const tx = x(b.target);
        out.push(`<line x1="${tx.toFixed(1)}" x2="${tx.toFixed(1)}" y1="${y}" y2="${y + barH}" stroke="#000" stroke-width="2"/>`);
      }
      y += barH;
    }
    y += gap;
  }
  const bottom = y;
  const axis: string[] = [];
  for (let e = lo; e <= hi; e++) {
    const v = 2 ** e;
    const xv = x(v);
    axis.push(`<line x1="${xv}" x2="${xv}" y1="${top - 6}" y2="${bottom}" stroke="${e === 0 ? '#333' : '#ddd'}" stroke-width="${e === 0 ? 1.5 : 1}"/>`);
    axis.push(`<text x="${xv}" y="${bottom + 14}" font-size="10" text-anchor="middle">${v >= 1 ? v : `1/${2 ** -e}`}</text>`);
  }
  // Legend entries spaced by their text (about 6.5 px per character at 11 px).
  let lx = left;
  const legend = peers.map((p) => {
    const label = `devfuse / ${p}`;
    const item = `<rect x="${lx}" y="${bottom + 26}" width="10" height="10" fill="${color(p)}"/><text x="${lx + 14}" y="${bottom + 35}" font-size="11">${esc(label)}</text>`;
    lx += 14 + label.length * 6.5 + 20;
    return item;
  });
  const width = Math.max(left + plotW + 60, lx, 10 + subtitle.length * 5.6);
  const height = bottom + 60;
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="sans-serif">`,
    `<rect width="100%" height="100%" fill="#fff"/>`,
    `<text x="10" y="22" font-size="15" font-weight="bold">${esc(title)}</text>`,
    `<text x="10" y="40" font-size="10">${esc(subtitle)}</text>`,
    `<text x="10" y="56" font-size="10" fill="#555">ratio &gt; 1: devfuse faster (log scale); black tick: target</text>`,
    ...axis,
    ...out,
    ...legend,
    '</svg>',
    '',
  ].join('\n');
}
