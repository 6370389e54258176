// The widths of a sheet's columns: each as wide as its header (wrapped into at most three lines)
// and its figures need, a label as wide as its longest label up to its maxWidth; then, when the
// table is narrower than the page, widened to fill it.
import type { Column, Kind, Sheet, Value } from './forms.js';
import { textWidth, wrappedLines } from './metrics.js';

/**
 * Points in one unit of column width: the width of a digit of the workbook's default font,
 * Times New Roman 12 (excel.ts sets it), 8 pixels at 96 dpi in Excel and in LibreOffice alike.
 */
export const UNIT = 6;
/** Points of a cell's width that its text cannot use: the margins each side. */
export const CELL_PADDING = 6;
const HEADER_LINES = 3;
const GROUP_LINES = 2;
/** The least width of each kind: a count takes "Tổng số" on one line. */
const LEAST: Record<Kind, number> = { code: 4, label: 12, count: 8, amount: 9, rate: 8, points: 6 };
const LABEL_MAX = 45;
const BOLD = { bold: true };

/** The room for text in a column (or merged columns) `units` wide, in points. */
export function textRoom(units: number): number {
  return units * UNIT - CELL_PADDING;
}

/** The widths the header and the values of each column need, in width units. */
export function contentWidths(sheet: Sheet): number[] {
  const widths = sheet.columns.map((column, i) => {
    const values = Math.max(0, ...sheet.rows.map((row) => unitsFor(textWidth(shown(row.cells[i] ?? null, column.kind), { bold: row.emphasis !== 'item' }))));
    // A label longer than the column's most wraps onto more lines; figures never do.
    const fitted = column.kind === 'label' ? Math.min(values, column.maxWidth ?? LABEL_MAX) : values;
    return Math.max(LEAST[column.kind], headerUnits(column.header, HEADER_LINES), fitted);
  });
  widenGroups(sheet.columns, widths);
  return widths;
}

/** The text a value shows: figures as their number formats print them (the widest form, with separators). */
function shown(value: Value, kind: Kind): string {
  if (value === null) return kind === 'label' || kind === 'code' ? '' : '-';
  if (typeof value === 'string') return value;
  if (kind === 'rate') return `${(value * 100).toFixed(2)} %`;
  if (kind === 'points') return value.toFixed(2);
  return Math.round(value).toLocaleString('en-US');
}

function unitsFor(points: number): number {
  return Math.ceil((points + CELL_PADDING) / UNIT);
}

/** The fewest units in which `text` wraps into `lines` lines at most, no word broken. */
function headerUnits(text: string, lines: number): number {
  const longestWord = Math.max(...text.split(' ').map((word) => textWidth(word, BOLD)));
  let units = unitsFor(longestWord);
  while (wrappedLines(text, textRoom(units), BOLD) > lines) units += 1;
  return units;
}

/** A group's title wraps into two lines at most over its columns: they share what it lacks. */
function widenGroups(columns: Column[], widths: number[]): void {
  columns.forEach((column, i) => {
    if (column.group === undefined || columns[i - 1]?.group === column.group) return;
    const members: number[] = [];
    for (let j = i; columns[j]?.group === column.group; j++) members.push(j);
    const total = () => members.reduce((sum, j) => sum + widths[j]!, 0);
    for (let k = 0; wrappedLines(column.group, textRoom(total()), BOLD) > GROUP_LINES; k++) widths[members[k % members.length]!]! += 1;
  });
}

/**
 * The widths grown to `points` when the table is narrower: every column but the numbering's
 * takes an equal share of the room, so a table of three figures spans the page as Biểu 06 does
 * instead of sitting in its left half.
 */
export function widenTo(columns: Column[], widths: number[], points: number): number[] {
  const room = Math.floor(points / UNIT) - widths.reduce((sum, w) => sum + w, 0);
  const growing = columns.flatMap((c, i) => (c.kind === 'code' ? [] : [i]));
  if (room <= 0 || growing.length === 0) return widths;
  const wider = [...widths];
  growing.forEach((i, k) => (wider[i]! += Math.floor(room / growing.length) + (k < room % growing.length ? 1 : 0)));
  return wider;
}
