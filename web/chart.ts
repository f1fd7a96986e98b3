/** Horizontal SVG bar charts as markup strings (no DOM, so Node tests can read them). */

export interface Bar {
  label: string;
  value: number;
  /** Text at the end of the bar; defaults to the value in ms. */
  note?: string;
  /** Bars of one class share a colour (e.g. the op type). */
  group?: string;
}

export interface BarChartOptions {
  width?: number;
  rowHeight?: number;
  labelWidth?: number;
  title?: string;
  /** Colour per group, so several charts agree; default: assigned in first-seen order. */
  palette?: ReadonlyMap<string, string>;
}

const PALETTE = ['#4c78a8', '#f58518', '#54a24b', '#e45756', '#72b7b2', '#b279a2', '#eeca3b', '#9d755d', '#bab0ac', '#ff9da6'];

export function escapeXml(s: string): string {
  return s.replace(/[<>&"']/g, (c) => ({ '<': '&lt;', '>': '&gt;', '&': '&amp;', '"': '&quot;', "'": '&#39;' })[c]!);
}

/** A stable colour per group name, in first-seen order. */
export function colours(groups: readonly string[]): Map<string, string> {
  const map = new Map<string, string>();
  for (const g of groups) if (!map.has(g)) map.set(g, PALETTE[map.size % PALETTE.length]!);
  return map;
}

export function barChart(bars: readonly Bar[], options: BarChartOptions = {}): string {
  const width = options.width ?? 620;
  const row = options.rowHeight ?? 18;
  const labelWidth = options.labelWidth ?? 190;
  const noteWidth = 130;
  const top = options.title ? 22 : 4;
  const height = top + bars.length * row + 4;
  const max = Math.max(1e-9, ...bars.map((b) => b.value));
  const span = width - labelWidth - noteWidth;
  const palette = options.palette ?? colours(bars.map((b) => b.group ?? b.label));
  const parts: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" class="bar-chart" width="${width}" height="${height}" ` +
      `viewBox="0 0 ${width} ${height}" font-family="system-ui, sans-serif" font-size="12">`,
  ];
  if (options.title) parts.push(`<text x="0" y="14" font-weight="600">${escapeXml(options.title)}</text>`);
  bars.forEach((b, i) => {
    const y = top + i * row;
    const w = Math.max(1, (Math.max(0, b.value) / max) * span);
    const note = b.note ?? `${b.value.toFixed(3)} ms`;
    parts.push(
      `<g class="bar" data-label="${escapeXml(b.label)}" data-value="${b.value}">` +
        `<title>${escapeXml(`${b.label}: ${note}`)}</title>` +
        `<text x="${labelWidth - 6}" y="${y + row * 0.7}" text-anchor="end">${escapeXml(b.label)}</text>` +
        `<rect x="${labelWidth}" y="${y + 2}" width="${w.toFixed(1)}" height="${row - 4}" ` +
        `fill="${palette.get(b.group ?? b.label) ?? PALETTE[0]}"/>` +
        `<text x="${(labelWidth + w + 4).toFixed(1)}" y="${y + row * 0.7}">${escapeXml(note)}</text></g>`,
    );
  });
  parts.push('</svg>');
  return parts.join('');
}
