/** A minimal SVG line chart: panels of series over a shared x axis. No dependencies, no network. */
export interface Series {
  label: string;
  color: string;
  /** y values, one per x step; null leaves a gap. */
  values: Array<number | null>;
  /** Plotted against the right axis (0..rightMax) instead of the left one. */
  right?: boolean;
  dashed?: boolean;
}

export interface Panel {
  title: string;
  leftLabel: string;
  rightLabel: string;
  rightMax: number;
  series: Series[];
}

const W = 920;
const PANEL_H = 210;
const M = { left: 70, right: 70, top: 34, bottom: 30 };

const esc = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;');
const fmt = (v: number) => (Math.abs(v) >= 10 ? v.toFixed(0) : v.toFixed(2));

export function renderPanels(
  title: string,
  xLabels: (i: number) => string,
  steps: number,
  panels: Panel[],
): string {
  const height = 40 + panels.length * (PANEL_H + M.top + M.bottom);
  const out: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${height}" viewBox="0 0 ${W} ${height}" font-family="sans-serif" font-size="11">`,
    `<rect width="100%" height="100%" fill="white"/>`,
    `<text x="${W / 2}" y="22" text-anchor="middle" font-size="15">${esc(title)}</text>`,
  ];
  const pw = W - M.left - M.right;
  panels.forEach((panel, pi) => {
    const top = 40 + pi * (PANEL_H + M.top + M.bottom) + M.top;
    const left = panel.series
      .filter((s) => !s.right)
      .flatMap((s) => s.values.filter((v): v is number => v !== null));
    const lmin = Math.min(...left) * 0.95;
    const lmax = Math.max(...left) * 1.05;
    const x = (i: number) => M.left + (i / Math.max(1, steps - 1)) * pw;
    const y = (v: number, right?: boolean) =>
      right
        ? top + PANEL_H - (v / panel.rightMax) * PANEL_H
        : top + PANEL_H - ((v - lmin) / (lmax - lmin || 1)) * PANEL_H;
    out.push(`<text x="${M.left}" y="${top - 10}" font-size="13">${esc(panel.title)}</text>`);
    out.push(
      `<rect x="${M.left}" y="${top}" width="${pw}" height="${PANEL_H}" fill="none" stroke="#999"/>`,
    );
    for (let k = 0; k <= 4; k++) {
      const lv = lmin + ((lmax - lmin) * k) / 4;
      const rv = (panel.rightMax * k) / 4;
      const yy = top + PANEL_H - (PANEL_H * k) / 4;
      out.push(`<line x1="${M.left}" x2="${M.left + pw}" y1="${yy}" y2="${yy}" stroke="#eee"/>`);
      out.push(`<text x="${M.left - 6}" y="${yy + 4}" text-anchor="end">${fmt(lv)}</text>`);
      out.push(`<text x="${M.left + pw + 6}" y="${yy + 4}">${fmt(rv)}</text>`);
    }
    for (let k = 0; k <= 8; k++) {
      const i = Math.round(((steps - 1) * k) / 8);
      out.push(
        `<text x="${x(i)}" y="${top + PANEL_H + 14}" text-anchor="middle">${esc(xLabels(i))}</text>`,
      );
    }
    out.push(
      `<text transform="translate(${M.left - 52},${top + PANEL_H / 2}) rotate(-90)" text-anchor="middle">${esc(panel.leftLabel)}</text>`,
      `<text transform="translate(${M.left + pw + 52},${top + PANEL_H / 2}) rotate(90)" text-anchor="middle">${esc(panel.rightLabel)}</text>`,
    );
    panel.series.forEach((s, si) => {
      let d = '';
      let pen = false;
      s.values.forEach((v, i) => {
        if (v === null) {
          pen = false;
          return;
        }
        d += `${pen ? 'L' : 'M'}${x(i).toFixed(1)},${y(v, s.right).toFixed(1)}`;
        pen = true;
      });
      const dash = s.dashed ? ' stroke-dasharray="4 3"' : '';
      out.push(`<path d="${d}" fill="none" stroke="${s.color}" stroke-width="1.4"${dash}/>`);
      const lx = M.left + 10 + si * 120;
      out.push(
        `<line x1="${lx}" x2="${lx + 18}" y1="${top + 12}" y2="${top + 12}" stroke="${s.color}" stroke-width="2"${dash}/>`,
      );
      out.push(`<text x="${lx + 22}" y="${top + 16}">${esc(s.label)}</text>`);
    });
  });
  out.push('</svg>');
  return out.join('\n') + '\n';
}
