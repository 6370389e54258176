// How a sheet prints: on landscape A4, one page wide, on as few pages as its rows need at a
// readable scale. The page count is worked out here, paginating the rows as Excel and
// LibreOffice do (the largest whole-percent scale at which the sheet fits, rows never split,
// the header repeated at the top of each further page), so that it can be set as the number of
// pages to fit to and printed in the footer as the sheet's own total.

export const MARGINS = { left: 0.5, right: 0.5, top: 0.6, bottom: 0.6, header: 0.3, footer: 0.3 };
const A4 = { long: 841.89, short: 595.28 };
/** The printable area of a landscape A4 page inside the margins, in points; header and footer sit in the margins. */
export const PRINTABLE = {
  width: A4.long - 72 * (MARGINS.left + MARGINS.right),
  height: A4.short - 72 * (MARGINS.top + MARGINS.bottom),
};
/** Below this scale (in %) a 12-point figure prints under 6.6 points: a table takes one more page instead. */
const READABLE = 55;
/** Points added to each data row, at most, to move rows onto a page that would otherwise hold only the notes. */
const MOST_PADDING = 6;
/** Excel and LibreOffice lay rows out in pixels at 96 dpi: a height is a whole number of 0.75 points. */
export const PIXEL = 0.75;

/** The rows of a sheet by number (heights[0] is row 1), the rows repeated on each page and the table's data rows. */
export type PrintRows = { heights: number[]; titleRows: [number, number]; dataRows: [number, number] };
/** The scale in % and the page count, and the points added to each data row to get there. */
export type PrintPlan = { zoom: number; pages: number; dataPadding: number };

/**
 * The fewest pages at which the sheet keeps a readable scale (or the scale its width imposes,
 * if smaller), such that every page holds rows of the table: never one of header and notes only.
 * Where the rows end just at a page's foot, the data rows are made a little taller until some
 * of them go over with the notes and the signatures.
 */
export function planPrint(width: number, rows: PrintRows): PrintPlan {
  const widest = Math.min(100, Math.floor((100 * PRINTABLE.width) / width));
  let first: PrintPlan | undefined;
  for (let dataPadding = 0; dataPadding <= MOST_PADDING; dataPadding += PIXEL) {
    const heights = rows.heights.map((h, i) => (i + 1 >= rows.dataRows[0] && i + 1 <= rows.dataRows[1] ? h + dataPadding : h));
    const plan = fewestPages(heights, rows.titleRows, widest, dataPadding);
    first ??= plan;
    const starts = pageStarts(heights, rows.titleRows, plan.zoom);
    if (starts.every((start, p) => holdsData(start, (starts[p + 1] ?? heights.length + 1) - 1, rows.dataRows))) return plan;
  }
  return first!;
}

function fewestPages(heights: number[], titleRows: [number, number], widest: number, dataPadding: number): PrintPlan {
  const least = Math.min(widest, READABLE);
  for (let pages = 1; ; pages++) {
    const zoom = largestZoom(heights, titleRows, widest, pages);
    if (zoom >= least) return { zoom, pages: pageStarts(heights, titleRows, zoom).length, dataPadding };
  }
}

/** The largest whole-percent scale, up to `widest`, at which the rows fit on `pages` pages. */
function largestZoom(heights: number[], titleRows: [number, number], widest: number, pages: number): number {
  for (let zoom = widest; zoom > 10; zoom--) if (pageStarts(heights, titleRows, zoom).length <= pages) return zoom;
  return 10;
}

/** The first row of each page at `zoom` %: rows fill a page in turn, the title rows repeated on each page after them. */
export function pageStarts(heights: number[], titleRows: [number, number], zoom: number): number[] {
  const room = (PRINTABLE.height * 100) / zoom;
  const repeated = heights.slice(titleRows[0] - 1, titleRows[1]).reduce((sum, h) => sum + h, 0);
  const starts = [1];
  let used = 0;
  heights.forEach((height, i) => {
    const row = i + 1;
    const top = starts.length > 1 && starts.at(-1)! > titleRows[1] ? repeated : 0;
    if (used > 0 && top + used + height > room) {
      starts.push(row);
      used = 0;
    }
    used += height;
  });
  return starts;
}

function holdsData(first: number, last: number, [from, to]: [number, number]): boolean {
  return to < from || (first <= to && last >= from);
}

/** A height rounded up to the pixel grid on which it is laid out. */
export function onPixels(points: number): number {
  return Math.ceil(points / PIXEL - 1e-9) * PIXEL;
}
