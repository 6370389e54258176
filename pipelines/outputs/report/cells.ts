// Writing one cell or one merged range of a sheet in the forms' font, and giving a row the height
// its text takes: a row's height is set, so Excel and LibreOffice never grow it to its text.
import type ExcelJS from 'exceljs';
import { textRoom } from './columns.js';
import type { Value } from './forms.js';
import { lineHeight, wrappedLines, type TextStyle } from './metrics.js';
import { onPixels } from './print.js';

export const FONT = { name: 'Times New Roman', size: 12 };
const THIN = { style: 'thin' } as const;
export const BORDER = { top: THIN, left: THIN, bottom: THIN, right: THIN };
/** Points of a row beyond its lines: 15.75 for one line of 12 points, Excel's own height for it. */
const ROW_PADDING = 1.5;

/** What the forms vary of a cell's look; the font is always the forms' (FONT). */
export type Style = {
  font?: Pick<Partial<ExcelJS.Font>, 'bold' | 'italic' | 'size'>;
  alignment?: Pick<Partial<ExcelJS.Alignment>, 'horizontal' | 'vertical' | 'wrapText'>;
  border?: typeof BORDER;
  numFmt?: string;
};

export function put(cell: ExcelJS.Cell, value: Value, style: Style): void {
  cell.value = value;
  cell.style = shared(style);
}

/**
 * One object for each style: exceljs turns a cell's style into an entry of the workbook's styles
 * by writing it out as XML, unless it has met that very object before, and thousands of cells
 * share a dozen styles. Never changed once made: a cell is given another style, not its style
 * changed. Known by what Style holds, read field by field: serialising each took longer than
 * exceljs's own work it saves.
 */
function shared(style: Style): Partial<ExcelJS.Style> {
  const { font = {}, alignment = {}, border, numFmt } = style;
  const key = `${font.bold}|${font.italic}|${font.size}|${alignment.horizontal}|${alignment.vertical}|${alignment.wrapText}|${border === BORDER}|${numFmt}`;
  let found = styles.get(key);
  if (!found) {
    found = Object.freeze({ ...style, font: { ...FONT, ...font } }) as Partial<ExcelJS.Style>;
    styles.set(key, found);
  }
  return found;
}

const styles = new Map<string, Partial<ExcelJS.Style>>();

/** Text over columns `from` to `to` of a row, merged, centred and wrapped unless told otherwise. */
export function span(ws: ExcelJS.Worksheet, row: number, [from, to]: [number, number], text: string, style: Style): void {
  put(ws.getCell(row, from), text, { ...style, alignment: { horizontal: 'center', vertical: 'middle', wrapText: true, ...style.alignment } });
  // After the first cell is written: the others take its style.
  if (to > from) ws.mergeCells(row, from, row, to);
}

/** The text style of a font, as the metrics measure it. */
export function styleOf(font: Partial<ExcelJS.Font> | undefined): TextStyle {
  return { size: font?.size ?? FONT.size, bold: font?.bold === true, italic: font?.italic === true };
}

/** Lines `text` takes over `units` of width in `font`. */
export function linesOf(text: string, units: number, font?: Partial<ExcelJS.Font>): number {
  return wrappedLines(text, textRoom(units), styleOf(font));
}

/** The height of `lines` lines of `font`, on the pixel grid. */
export function heightOf(lines: number, font?: Partial<ExcelJS.Font>): number {
  return onPixels(lines * lineHeight(styleOf(font)) + ROW_PADDING);
}

/** Sets a row to the height of `lines` lines of `font`, plus `extra` points. */
export function fitRow(ws: ExcelJS.Worksheet, row: number, lines: number, font?: Partial<ExcelJS.Font>, extra = 0): void {
  ws.getRow(row).height = heightOf(lines, font) + extra;
}

export function sum(values: number[]): number {
  return values.reduce((total, v) => total + v, 0);
}
