import { html, type Html } from "./html.js";

/**
 * The overview's plots as inline SVG, drawn on the server: no chart library, no script, and every label goes
 * through the same escaping as the rest of the page. Colours are attributes, not inline styles, so the console's
 * Content-Security-Policy (no inline style) holds.
 */

export const CHANNEL_COLOURS: Record<string, string> = { DPI: "#1f6feb", DPO: "#8957e5", DPF: "#d29922", DPV: "#2da44e", DPE: "#cf222e" };
const OTHER = "#6e7781";

export interface Bar {
  label: string;
  value: number;
  colour?: string | undefined;
  /** Where the bar's label links to (already a console URL). */
  href?: string | undefined;
}

/** Horizontal bars, one row each, with the label left and the value right. */
export function horizontalBars(title: string, bars: readonly Bar[], width = 440): Html {
  const row = 22;
  const labelW = Math.round(width * 0.5);
  const barW = width - labelW - 50;
  // About 6.5 px a character at 12 px: a longer label is cut, and shown whole in the tooltip of its bar.
  const maxChars = Math.floor((labelW - 8) / 6.5);
  const max = Math.max(1, ...bars.map((b) => b.value));
  const height = Math.max(row, bars.length * row) + 4;
  const rows = bars.map((b, i) => {
    const y = i * row + 2;
    const w = Math.max(1, Math.round((b.value / max) * barW));
    const label = html`<text x="${labelW - 6}" y="${y + 15}" text-anchor="end" class="lbl">${truncate(b.label, maxChars)}</text>`;
    return html`<g>${b.href ? html`<a href="${b.href}">${label}</a>` : label}<rect x="${labelW}" y="${y + 3}" width="${w}" height="${row - 6}" fill="${b.colour ?? OTHER}"><title>${b.label}: ${b.value}</title></rect><text x="${labelW + w + 6}" y="${y + 15}" class="val">${b.value}</text></g>`;
  });
  return html`<svg class="chart" role="img" aria-label="${title}" viewBox="0 0 ${width} ${height}" width="${width}" height="${height}" xmlns="http://www.w3.org/2000/svg"><title>${title}</title>${bars.length ? rows : html`<text x="0" y="15" class="lbl">nothing to show</text>`}</svg>`;
}

export interface Column {
  label: string;
  /** Series name → value, stacked in the order of `series`. */
  values: Record<string, number>;
}

/** Stacked columns over time (e.g. conversations per hour by channel), with a legend. */
export function stackedColumns(title: string, columns: readonly Column[], series: readonly string[], width = 720, height = 220): Html {
  const left = 36;
  const bottom = 28;
  const top = 24;
  const plotH = height - bottom - top;
  const colW = (width - left) / Math.max(1, columns.length);
  const totals = columns.map((c) => series.reduce((s, k) => s + (c.values[k] ?? 0), 0));
  const max = Math.max(1, ...totals);
  const bars = columns.map((c, i) => {
    let y = top + plotH;
    const x = left + i * colW + 1;
    const parts = series.map((k) => {
      const v = c.values[k] ?? 0;
      if (v === 0) return html``;
      const h = (v / max) * plotH;
      y -= h;
      return html`<rect x="${x.toFixed(1)}" y="${y.toFixed(1)}" width="${(colW - 2).toFixed(1)}" height="${h.toFixed(1)}" fill="${CHANNEL_COLOURS[k] ?? OTHER}"><title>${c.label} ${k}: ${v}</title></rect>`;
    });
    // Every third label, so they do not overlap.
    const label = i % 3 === 0 ? html`<text x="${(x + colW / 2).toFixed(1)}" y="${height - 10}" text-anchor="middle" class="tick">${c.label}</text>` : html``;
    return html`<g>${parts}${label}</g>`;
  });
  const legend = series.map((k, i) => html`<rect x="${left + i * 70}" y="4" width="10" height="10" fill="${CHANNEL_COLOURS[k] ?? OTHER}"/><text x="${left + i * 70 + 14}" y="13" class="tick">${k}</text>`);
  const axis = html`<line x1="${left}" y1="${top + plotH}" x2="${width}" y2="${top + plotH}" class="axis"/><text x="${left - 4}" y="${top + 8}" text-anchor="end" class="tick">${max}</text><text x="${left - 4}" y="${top + plotH}" text-anchor="end" class="tick">0</text>`;
  return html`<svg class="chart" role="img" aria-label="${title}" viewBox="0 0 ${width} ${height}" width="${width}" height="${height}" xmlns="http://www.w3.org/2000/svg"><title>${title}</title>${legend}${axis}${bars}</svg>`;
}

function truncate(s: string, n: number): string {
  return s.length > n ? `${s.slice(0, n - 1)}…` : s;
}
