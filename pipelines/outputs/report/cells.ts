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

export type Style = { font?: Partial<ExcelJS.Font>; alignment?: Partial<ExcelJS.Alignment>; border?: Partial<ExcelJS.Borders>; numFmt?: string };

export function put(cell: ExcelJS.Cell, value: Value, style: Style): void {
  cell.value = value;
  cell.font = { ...FONT, ...style.font };
  if (style.alignment) cell.alignment = style.alignment;
  if (style.border) cell.border = style.border;
  if (style.numFmt) cell.numFmt = style.numFmt;
}

/** Text over columns `from` to `to` of a row, merged, centred and wrapped unless told otherwise. */
export function span(ws: ExcelJS.Worksheet, row: number, [from, to]: [number, number], text: string, style: Style): void {
  if (to > from) ws.mergeCells(row, from, row, to);
  put(ws.getCell(row, from), text, { ...style, alignment: { horizontal: 'center', vertical: 'middle', wrapText: true, ...style.alignment } });
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
