// Writing the sheets as Excel: number formats, widths, merged headers, borders, and the workbook
// saved whole (written aside, then renamed).
import { mkdir } from 'node:fs/promises';
import { dirname } from 'node:path';
import ExcelJS from 'exceljs';
import { replaceDurably } from '../../../core/files.js';
import type { Column, Heading, Kind, Sheet, TableRow, Value } from './forms.js';

// Excel keeps a number format in one syntax whatever the language ("," groups thousands, "."
// marks decimals) and shows it with the separators of the viewer's regional settings. So
// '#,##0' shows 15.755 and '0.00 %' shows 78,51 % in a Vietnamese Excel, and a reader with other
// settings still sees the right numbers. Writing the Vietnamese marks into the code instead
// ('#.##0') would mean decimals to Excel, and numbers written as text could no longer be summed:
// the cells hold the marts' numbers unrounded, the format only rounds what is shown.
const NUMBER_FORMATS: Partial<Record<Kind, string>> = { count: '#,##0', amount: '#,##0', rate: '0.00 %', points: '0.00' };
const WIDTHS: Record<Kind, number> = { code: 7, label: 30, count: 12, amount: 14, rate: 11, points: 9 };
const FONT = { name: 'Times New Roman', size: 12 };
const THIN = { style: 'thin' } as const;
const BORDER = { top: THIN, left: THIN, bottom: THIN, right: THIN };
/** Rows 1–4 are the heading, 5–6 the two-row header, 7 the column numbers, data from 8. */
const HEADER_ROW = 5;
const NUMBER_ROW = HEADER_ROW + 2;

export function addSheet(workbook: ExcelJS.Workbook, heading: Heading, sheet: Sheet): void {
  const frozenColumns = sheet.columns.findIndex((c) => c.kind === 'label') + 1;
  const ws = workbook.addWorksheet(sheet.name, {
    views: [{ state: 'frozen', xSplit: frozenColumns, ySplit: NUMBER_ROW }],
    pageSetup: {
      paperSize: 9,
      orientation: 'landscape',
      fitToPage: true,
      fitToWidth: 1,
      fitToHeight: 0,
      horizontalCentered: true,
      printTitlesRow: `${HEADER_ROW}:${NUMBER_ROW}`,
      margins: { left: 0.5, right: 0.5, top: 0.6, bottom: 0.6, header: 0.3, footer: 0.3 },
    },
    headerFooter: { oddFooter: `&L${sheet.name}&RTrang &P/&N` } as Partial<ExcelJS.HeaderFooter>,
  });
  sheet.columns.forEach((column, i) => (ws.getColumn(i + 1).width = widthOf(column)));
  writeHeading(ws, heading, sheet);
  writeHeader(ws, sheet.columns);
  sheet.rows.forEach((row, i) => writeRow(ws, NUMBER_ROW + 1 + i, sheet.columns, row));
  writeNotes(ws, NUMBER_ROW + sheet.rows.length + 2, sheet.columns, [...sheet.notes, heading.source]);
}

function widthOf(column: Column): number {
  return column.width ?? WIDTHS[column.kind];
}

function writeHeading(ws: ExcelJS.Worksheet, heading: Heading, sheet: Sheet): void {
  const last = sheet.columns.length;
  put(ws.getCell(1, 1), `Đơn vị báo cáo: ${heading.reportingUnit}`, { font: { bold: true } });
  if (sheet.form) put(ws.getCell(1, last), sheet.form, { font: { bold: true }, alignment: { horizontal: 'right' } });
  spanRow(ws, 2, last, sheet.title, { font: { bold: true, size: 14 } });
  spanRow(ws, 3, last, heading.period, { font: { italic: true } });
  put(ws.getCell(4, last), sheet.measuredIn, { font: { italic: true }, alignment: { horizontal: 'right' } });
  ws.getRow(2).height = lineCount(sheet.title, totalWidth(sheet.columns), 14) * 20;
}

/** The two-row header: a group over its columns, a column without one spans both rows; then (1), (2)… */
function writeHeader(ws: ExcelJS.Worksheet, columns: Column[]): void {
  const style = { font: { bold: true }, alignment: { horizontal: 'center', vertical: 'middle', wrapText: true }, border: BORDER } as const;
  columns.forEach((column, i) => {
    const col = i + 1;
    if (column.group === undefined) {
      ws.mergeCells(HEADER_ROW, col, HEADER_ROW + 1, col);
    } else if (columns[i - 1]?.group !== column.group) {
      const span = columns.slice(i).findIndex((c) => c.group !== column.group);
      ws.mergeCells(HEADER_ROW, col, HEADER_ROW, col + (span === -1 ? columns.length - i : span) - 1);
      put(ws.getCell(HEADER_ROW, col), column.group, style);
    }
    put(ws.getCell(column.group === undefined ? HEADER_ROW : HEADER_ROW + 1, col), column.header, style);
    put(ws.getCell(NUMBER_ROW, col), `(${col})`, { ...style, font: { bold: false, italic: true } });
    // Merged-away cells keep their own border in Excel: each one needs it for the grid to close.
    for (const row of [HEADER_ROW, HEADER_ROW + 1]) ws.getCell(row, col).border = BORDER;
  });
  ws.getRow(HEADER_ROW).height = headerHeight(columns, (c) => c.group ?? '');
  ws.getRow(HEADER_ROW + 1).height = headerHeight(columns, (c) => (c.group === undefined ? '' : c.header));
}

function headerHeight(columns: Column[], text: (column: Column) => string): number {
  // A column without a group spans both rows: each row holds half of it.
  const lines = columns.map((c) => (c.group === undefined ? lineCount(c.header, widthOf(c)) / 2 : lineCount(text(c), widthOf(c))));
  return Math.max(1, Math.ceil(Math.max(...lines))) * 16 + 4;
}

function writeRow(ws: ExcelJS.Worksheet, rowNumber: number, columns: Column[], row: TableRow): void {
  const font = { bold: row.emphasis !== 'item' };
  let lines = 1;
  columns.forEach((column, i) => {
    const value = row.cells[i] ?? null;
    const cell = ws.getCell(rowNumber, i + 1);
    const format = NUMBER_FORMATS[column.kind];
    if (format && value !== null) {
      put(cell, value, { font, border: BORDER, numFmt: format, alignment: { vertical: 'middle' } });
    } else {
      // No figure is "-", never 0, as the reports print it.
      const text = value ?? (format ? '-' : '');
      const horizontal = column.kind === 'label' ? 'left' : column.kind === 'code' ? 'center' : 'right';
      put(cell, text, { font, border: BORDER, alignment: { horizontal, vertical: 'middle', wrapText: column.kind === 'label' } });
      if (column.kind === 'label') lines = Math.max(lines, lineCount(String(text), widthOf(column)));
    }
  });
  ws.getRow(rowNumber).height = lines * 16 + 2;
}

function writeNotes(ws: ExcelJS.Worksheet, firstRow: number, columns: Column[], notes: string[]): void {
  put(ws.getCell(firstRow, 1), 'Ghi chú:', { font: { bold: true, italic: true } });
  notes.forEach((note, i) => {
    const row = firstRow + 1 + i;
    spanRow(ws, row, columns.length, note, { font: { italic: true }, alignment: { horizontal: 'left', vertical: 'top', wrapText: true } });
    ws.getRow(row).height = lineCount(note, totalWidth(columns)) * 16 + 2;
  });
}

type Style = { font?: Partial<ExcelJS.Font>; alignment?: Partial<ExcelJS.Alignment>; border?: Partial<ExcelJS.Borders>; numFmt?: string };

function put(cell: ExcelJS.Cell, value: Value, style: Style): void {
  cell.value = value;
  cell.font = { ...FONT, ...style.font };
  if (style.alignment) cell.alignment = style.alignment;
  if (style.border) cell.border = style.border;
  if (style.numFmt) cell.numFmt = style.numFmt;
}

function spanRow(ws: ExcelJS.Worksheet, row: number, columns: number, text: string, style: Style): void {
  ws.mergeCells(row, 1, row, columns);
  put(ws.getCell(row, 1), text, { alignment: { horizontal: 'center', vertical: 'middle', wrapText: true }, ...style });
}

function totalWidth(columns: Column[]): number {
  return columns.reduce((sum, c) => sum + widthOf(c), 0);
}

/** Lines a text wraps into in a column of `width` characters; exceljs cannot measure, so rows get their height from this. */
function lineCount(text: string, width: number, size = FONT.size): number {
  const perLine = Math.max(1, Math.floor((width * FONT.size) / size) - 1);
  return Math.max(1, Math.ceil(text.length / perLine));
}

/** Written aside, flushed, then renamed over `out`: a reader never finds half a workbook. */
export async function saveWhole(workbook: ExcelJS.Workbook, out: string): Promise<void> {
  await mkdir(dirname(out), { recursive: true });
  await replaceDurably(out, (temporary) => workbook.xlsx.writeFile(temporary));
}
