// How much room a text takes in Times New Roman, the font of the forms: exceljs cannot measure
// text, yet a row whose height is set is never grown by Excel or LibreOffice, so a row too low
// cuts its text. Widths are the fonts' own (Times New Roman and Liberation Serif share them),
// in thousandths of the font size, so that a bold or upper-case line counts for what it is.

export type TextStyle = { size?: number; bold?: boolean; italic?: boolean };

/** Advance widths of the printable ASCII characters, from space (32) to tilde (126). */
const REGULAR = [
  250, 333, 408, 500, 500, 833, 778, 180, 333, 333, 500, 564, 250, 333, 250, 278, 500, 500, 500, 500, 500, 500, 500, 500, 500, 500,
  278, 278, 564, 564, 564, 444, 921, 722, 667, 667, 722, 611, 556, 722, 722, 333, 389, 722, 611, 889, 722, 722, 556, 722, 667, 556,
  611, 722, 722, 944, 722, 722, 611, 333, 278, 333, 469, 500, 333, 444, 500, 444, 500, 444, 333, 500, 500, 278, 278, 500, 278, 778,
  500, 500, 500, 500, 333, 389, 278, 500, 500, 722, 500, 500, 444, 480, 200, 480, 541,
];
const BOLD = [
  250, 333, 555, 500, 500, 1000, 833, 278, 333, 333, 500, 570, 250, 333, 250, 278, 500, 500, 500, 500, 500, 500, 500, 500, 500, 500,
  333, 333, 570, 570, 570, 500, 930, 722, 667, 722, 722, 667, 611, 778, 778, 389, 500, 778, 667, 944, 722, 778, 611, 778, 722, 556,
  667, 722, 722, 1000, 722, 722, 667, 333, 278, 333, 581, 500, 333, 500, 556, 444, 556, 444, 333, 500, 556, 278, 333, 556, 278, 833,
  556, 500, 556, 556, 444, 389, 333, 556, 500, 722, 500, 500, 444, 394, 220, 394, 520,
];
const ITALIC = [
  250, 333, 420, 500, 500, 833, 778, 214, 333, 333, 500, 675, 250, 333, 250, 278, 500, 500, 500, 500, 500, 500, 500, 500, 500, 500,
  333, 333, 675, 675, 675, 500, 920, 611, 611, 667, 722, 611, 611, 722, 722, 333, 444, 667, 556, 833, 667, 722, 611, 722, 611, 500,
  556, 722, 611, 833, 611, 556, 556, 389, 278, 389, 422, 500, 333, 500, 500, 444, 500, 444, 278, 500, 500, 278, 278, 444, 278, 722,
  500, 500, 500, 500, 389, 389, 278, 500, 444, 667, 444, 444, 389, 400, 275, 400, 541,
];
const OTHERS: Record<string, [number, number]> = { 'đ': [500, 556], 'Đ': [722, 722], '–': [500, 500], '…': [1000, 1000], '≥': [549, 549], '≤': [549, 549] };
/**
 * The letters with a dot below, a hook above or a horn (ạ, ả, ơ, ư…) are missing from Liberation
 * Serif 1.07 (Debian's fonts-liberation), and LibreOffice draws them in DejaVu Serif, a wider
 * font: they count at its width, by their base letter, so the estimate holds there as well.
 */
const FALLBACK: Record<string, [number, number]> = {
  a: [596, 648], e: [592, 636], i: [320, 380], o: [602, 667], u: [644, 727], y: [565, 581],
  A: [722, 776], E: [730, 762], I: [395, 468], O: [820, 871], U: [843, 872], Y: [660, 714],
};
/**
 * A line's height in sizes of its font: Times New Roman and Liberation Serif take 1.15, DejaVu
 * Serif, which draws the letters Liberation Serif 1.07 lacks, 1.164.
 */
const LINE_HEIGHT = 1.17;

function charWidth(char: string, style: TextStyle): number {
  const code = char.codePointAt(0)!;
  const table = style.bold ? BOLD : style.italic ? ITALIC : REGULAR;
  if (code >= 32 && code <= 126) return table[code - 32]!;
  const weight = style.bold ? 1 : 0;
  const base = char.normalize('NFD').charAt(0);
  const drawnByFallback = (code >= 0x1ea0 && code <= 0x1ef9) || 'ƠơƯư'.includes(char);
  if (drawnByFallback && FALLBACK[base]) return FALLBACK[base][weight];
  if (OTHERS[char]) return OTHERS[char][weight];
  const baseCode = base.codePointAt(0)!;
  // Other accented letters are as wide as their letter; anything else as wide as an M, to be safe.
  return baseCode >= 32 && baseCode <= 126 && base !== char ? table[baseCode - 32]! : 1000;
}

/** Width of `text` on one line, in points. */
export function textWidth(text: string, style: TextStyle = {}): number {
  const key = `${style.size ?? 12}${style.bold ? 'b' : ''}${style.italic ? 'i' : ''} ${text}`;
  let width = widths.get(key);
  if (width === undefined) {
    width = 0;
    for (const char of text) width += charWidth(char, style);
    width = (width * (style.size ?? 12)) / 1000;
    if (widths.size >= 100_000) widths.clear();
    widths.set(key, width);
  }
  return width;
}

/**
 * Widths measured, by size, weight and text: the workbooks of a release measure the same words
 * (Vietnamese syllables, unit names) thousands of times, and a letter with a mark is decomposed
 * to be measured.
 */
const widths = new Map<string, number>();

/** Lines `text` wraps into in `width` points, breaking between words as Excel and LibreOffice do. */
export function wrappedLines(text: string, width: number, style: TextStyle = {}): number {
  let lines = 0;
  for (const paragraph of text.split('\n')) {
    lines += 1;
    let line = 0;
    for (const word of paragraph.split(' ')) {
      const wordWidth = textWidth(word, style);
      const withSpace = line + textWidth(' ', style) + wordWidth;
      if (line > 0 && withSpace <= width) {
        line = withSpace;
        continue;
      }
      if (line > 0) lines += 1;
      // A word wider than the line is broken inside it: it takes as many lines as it needs.
      lines += Math.max(1, Math.ceil(wordWidth / width)) - 1;
      line = wordWidth > width ? wordWidth % width : wordWidth;
    }
  }
  return Math.max(1, lines);
}

/** Height of one line of text, in points. */
export function lineHeight(style: TextStyle = {}): number {
  return (style.size ?? 12) * LINE_HEIGHT;
}
