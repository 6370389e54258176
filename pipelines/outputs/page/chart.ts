// The trend of an indicator over the quarters as a small inline SVG: a line through the quarters,
// the latest one marked, and the target of each year that has one as a dashed step. Written by
// hand: a sparkline is one polyline, and a charting library would add a dependency and a DOM
// shim on the server for less than this file.

export type Point = { label: string; value: number | null; target: number | null; text: string };

const WIDTH = 220;
const HEIGHT = 56;
const PAD = 6;

/** An SVG sparkline of `points` (oldest first); `describe` is read by screen readers. */
export function sparkline(points: readonly Point[], describe: string): string {
  const values = points.flatMap((p) => [p.value, p.target]).filter((v): v is number => v !== null);
  if (values.length === 0) return '';
  let [low, high] = [Math.min(...values), Math.max(...values)];
  if (high === low) [low, high] = [low - 1, high + 1];
  const x = (i: number) => PAD + (points.length === 1 ? (WIDTH - 2 * PAD) / 2 : (i * (WIDTH - 2 * PAD)) / (points.length - 1));
  const y = (v: number) => HEIGHT - PAD - ((v - low) * (HEIGHT - 2 * PAD)) / (high - low);
  const line = segments(points.map((p, i) => (p.value === null ? null : `${x(i).toFixed(1)},${y(p.value).toFixed(1)}`)));
  const targets = segments(points.map((p, i) => (p.target === null ? null : `${x(i).toFixed(1)},${y(p.target).toFixed(1)}`)));
  const dots = points
    .map((p, i) =>
      p.value === null
        ? ''
        : `<circle cx="${x(i).toFixed(1)}" cy="${y(p.value).toFixed(1)}" r="${i === points.length - 1 ? 3.5 : 2}" class="${i === points.length - 1 ? 'last' : 'dot'}"><title>${escapeXml(`${p.label}: ${p.text}`)}</title></circle>`,
    )
    .join('');
  return (
    `<svg class="trend" viewBox="0 0 ${WIDTH} ${HEIGHT}" width="${WIDTH}" height="${HEIGHT}" role="img" aria-label="${escapeXml(describe)}">` +
    targets.map((t) => `<polyline class="target" points="${t}"/>`).join('') +
    line.map((l) => `<polyline class="line" points="${l}"/>`).join('') +
    dots +
    '</svg>'
  );
}

/** Runs of consecutive points, so that a quarter without a figure breaks the line instead of bridging it. */
function segments(points: (string | null)[]): string[] {
  const runs: string[][] = [[]];
  for (const point of points) {
    if (point === null) runs.push([]);
    else runs.at(-1)!.push(point);
  }
  // A lone point of a target (a year of one quarter) still shows as a short step.
  return runs.filter((r) => r.length > 0).map((r) => (r.length === 1 ? `${r[0]} ${r[0]}` : r.join(' ')));
}

export function escapeXml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}
