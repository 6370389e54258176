// Writing the sheets as Excel: number formats, widths, merged headers, borders, row heights, the
// signatures, how each sheet prints, and the workbook saved whole (written aside, then renamed).
import { mkdir } from 'node:fs/promises';
import { dirname } from 'node:path';
import ExcelJS from 'exceljs';
import { replaceDurably } from '../../../core/files.js';
import { BORDER, FONT, fitRow, heightOf, linesOf, put, span, sum } from './cells.js';
import { contentWidths, UNIT, widenTo } from './columns.js';
import type { Column, Heading, Kind, Sheet, TableRow } from './forms.js';
import { MARGINS, planPrint, PRINTABLE, type PrintPlan, type PrintRows } from './print.js';
import { writeSignatures } from './signatures.js';

// Excel keeps a number format in one syntax whatever the language ("," groups thousands, "."
// marks decimals) and shows it with the separators of the viewer's regional settings. So
// '#,##0' shows 15.755 and '0.00 %' shows 78,51 % in a Vietnamese Excel, and a reader with other
// settings still sees the right numbers. Writing the Vietnamese marks into the code instead
// ('#.##0') would mean decimals to Excel, and numbers written as text could no longer be summed:
// the cells hold the marts' numbers unrounded, the format only rounds what is shown.
const NUMBER_FORMATS: Partial<Record<Kind, string>> = { count: '#,##0', amount: '#,##0', rate: '0.00 %', points: '0.00' };
/** Rows 1–5 are the heading, 6–7 the two-row header, 8 the column numbers, data from 9. */
const HEADER_ROW = 6;
const NUMBER_ROW = HEADER_ROW + 2;
const GAP = 6;
const BOLD = { bold: true };
const ITALIC = { italic: true };

/**
 * A workbook whose default font is the forms' Times New Roman 12. Column widths are counted in
 * digits of the default font: with exceljs's Calibri, which LibreOffice replaces by a wider font
 * where Calibri is not installed, a column would print a third wider there than in Excel. exceljs
 * has no setting for it: its default font is replaced as the workbook is prepared for writing.
 */
export function reportWorkbook(): ExcelJS.Workbook {
  const workbook = new ExcelJS.Workbook();
  type Fonts = { model: { fonts: string[] }; map: { font: { toXml(font: object): string } } };
  const xlsx = workbook.xlsx as unknown as { prepareModel(model: { styles: Fonts }, options: unknown): void };
  const prepare = xlsx.prepareModel.bind(xlsx);
  xlsx.prepareModel = (model, options) => {
    prepare(model, options);
    model.styles.model.fonts[0] = model.styles.map.font.toXml({ ...FONT, family: 1 });
  };
  return workbook;
}

export function addSheet(workbook: ExcelJS.Workbook, heading: Heading, sheet: Sheet): void {
  // Sized to their content, then widened to fill the page at the scale the rows print at.
  const natural = contentWidths(sheet);
  const first = planPrint(sum(natural) * UNIT, measure(heading, sheet, natural));
  const widths = widenTo(sheet.columns, natural, (PRINTABLE.width * 100) / first.zoom);
  const plan = planPrint(sum(widths) * UNIT, measure(heading, sheet, widths));
  const ws = workbook.addWorksheet(sheet.name, printSettings(sheet, plan));
  write(ws, heading, sheet, widths, plan.dataPadding);
}

/**
 * The rows' heights as written at `widths`. The sheet is written to a surface that keeps the
 * heights and nothing else: writing it into exceljs's cells twice more took most of a workbook's
 * time. Writing sets heights and never reads them back, so this is all it needs.
 */
function measure(heading: Heading, sheet: Sheet, widths: number[]): PrintRows {
  const heights: number[] = [];
  const surface = {
    getRow: (n: number) => ({ set height(points: number) { heights[n - 1] = points; } }),
    getCell: () => ({ style: {} }),
    getColumn: () => ({}),
    mergeCells: () => undefined,
  } as unknown as ExcelJS.Worksheet;
  const last = write(surface, heading, sheet, widths, 0);
  return {
    heights: Array.from({ length: last }, (_, i) => heights[i]!),
    titleRows: [HEADER_ROW, NUMBER_ROW],
    dataRows: [NUMBER_ROW + 1, NUMBER_ROW + sheet.rows.length],
  };
}

function printSettings(sheet: Sheet, plan: PrintPlan): Partial<ExcelJS.AddWorksheetOptions> {
  const frozenColumns = sheet.columns.findIndex((c) => c.kind === 'label') + 1;
  return {
    views: [{ state: 'frozen', xSplit: frozenColumns, ySplit: NUMBER_ROW }],
    pageSetup: {
      paperSize: 9,
      orientation: 'landscape',
      fitToPage: true,
      fitToWidth: 1,
      fitToHeight: plan.pages,
      // Each sheet is a form of its own: its pages are numbered from 1 whatever precedes it.
      firstPageNumber: 1,
      horizontalCentered: true,
      printTitlesRow: `${HEADER_ROW}:${NUMBER_ROW}`,
      margins: MARGINS,
    },
    // The total is the sheet's, known here: LibreOffice's &N would count the pages of the whole workbook.
    headerFooter: { oddFooter: `&L${sheet.name}&RTrang &P/${plan.pages}` } as Partial<ExcelJS.HeaderFooter>,
  };
}

/** The whole sheet at `widths`; returns its last row. */
function write(ws: ExcelJS.Worksheet, heading: Heading, sheet: Sheet, widths: number[], dataPadding: number): number {
  widths.forEach((width, i) => {
    const column = ws.getColumn(i + 1);
    column.width = width;
    // exceljs leaves out a column of its own default width (9) unless it has a style: it would
    // print at the application's default instead.
    column.font = FONT;
  });
  writeHeading(ws, heading, sheet, widths);
  writeHeader(ws, sheet.columns, widths);
  sheet.rows.forEach((row, i) => writeRow(ws, NUMBER_ROW + 1 + i, sheet.columns, widths, row, dataPadding));
  const notes = NUMBER_ROW + sheet.rows.length + 1;
  ws.getRow(notes).height = GAP;
  const last = writeNotes(ws, notes + 1, widths, [...sheet.notes, heading.source]);
  ws.getRow(last + 1).height = GAP;
  return writeSignatures(ws, last + 2, heading.placeAndDate, widths);
}

function writeHeading(ws: ExcelJS.Worksheet, heading: Heading, sheet: Sheet, widths: number[]): void {
  const last = widths.length;
  const all: [number, number] = [1, last];
  put(ws.getCell(1, 1), `Đơn vị báo cáo: ${heading.reportingUnit}`, { font: BOLD });
  if (sheet.form) put(ws.getCell(1, last), sheet.form, { font: BOLD, alignment: { horizontal: 'right' } });
  // Left blank where the register names no authority: the office writes it in by hand.
  put(ws.getCell(2, 1), `Đơn vị nhận báo cáo: ${heading.receivingUnit ?? '……………………'}`, { font: BOLD });
  const title = { bold: true, size: 14 };
  span(ws, 3, all, sheet.title, { font: title });
  span(ws, 4, all, heading.period, { font: ITALIC });
  put(ws.getCell(5, last), sheet.measuredIn, { font: ITALIC, alignment: { horizontal: 'right' } });
  [BOLD, BOLD].forEach((font, i) => fitRow(ws, i + 1, 1, font));
  fitRow(ws, 3, linesOf(sheet.title, sum(widths), title), title);
  fitRow(ws, 4, linesOf(heading.period, sum(widths), ITALIC), ITALIC);
  fitRow(ws, 5, 1, ITALIC);
}

/** The two-row header: a group over its columns, a column without one spans both rows; then (1), (2)… */
function writeHeader(ws: ExcelJS.Worksheet, columns: Column[], widths: number[]): void {
  const style = { font: BOLD, alignment: { horizontal: 'center', vertical: 'middle', wrapText: true }, border: BORDER } as const;
  let groupLines = 1;
  let headerLines = 1;
  let spanningHeight = 0;
  const merges: [number, number, number, number][] = [];
  columns.forEach((column, i) => {
    const col = i + 1;
    if (column.group === undefined) {
      merges.push([HEADER_ROW, col, HEADER_ROW + 1, col]);
      spanningHeight = Math.max(spanningHeight, heightOf(linesOf(column.header, widths[i]!, BOLD), BOLD));
    } else {
      if (columns[i - 1]?.group !== column.group) {
        const members = columns.slice(i).findIndex((c) => c.group !== column.group);
        const end = members === -1 ? columns.length : i + members;
        merges.push([HEADER_ROW, col, HEADER_ROW, end]);
        put(ws.getCell(HEADER_ROW, col), column.group, style);
        groupLines = Math.max(groupLines, linesOf(column.group, sum(widths.slice(i, end)), BOLD));
      }
      headerLines = Math.max(headerLines, linesOf(column.header, widths[i]!, BOLD));
    }
    put(ws.getCell(column.group === undefined ? HEADER_ROW : HEADER_ROW + 1, col), column.header, style);
    put(ws.getCell(NUMBER_ROW, col), `(${col})`, { ...style, font: { bold: false, italic: true } });
  });
  // Merged once written: the merged-away cells take their first cell's style, with its border,
  // which Excel draws cell by cell (each one needs it for the grid to close).
  for (const merge of merges) ws.mergeCells(...merge);
  // A header without a group holds both rows: the second grows when the two are not enough.
  const top = heightOf(groupLines, BOLD);
  ws.getRow(HEADER_ROW).height = top;
  ws.getRow(HEADER_ROW + 1).height = Math.max(heightOf(headerLines, BOLD), spanningHeight - top);
  fitRow(ws, NUMBER_ROW, 1, ITALIC);
}

function writeRow(ws: ExcelJS.Worksheet, rowNumber: number, columns: Column[], widths: number[], row: TableRow, dataPadding: number): void {
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
      if (column.kind === 'label') lines = Math.max(lines, linesOf(String(text), widths[i]!, font));
    }
  });
  fitRow(ws, rowNumber, lines, font, dataPadding);
}

/** "Ghi chú:" and the notes, each over the table's width; returns the last row. */
function writeNotes(ws: ExcelJS.Worksheet, firstRow: number, widths: number[], notes: string[]): number {
  const font = { bold: true, italic: true };
  put(ws.getCell(firstRow, 1), 'Ghi chú:', { font });
  fitRow(ws, firstRow, 1, font);
  notes.forEach((note, i) => {
    const row = firstRow + 1 + i;
    span(ws, row, [1, widths.length], note, { font: ITALIC, alignment: { horizontal: 'left', vertical: 'top' } });
    fitRow(ws, row, linesOf(note, sum(widths), ITALIC), ITALIC);
  });
  return firstRow + notes.length;
}

/** Written aside, flushed, then renamed over `out`: a reader never finds half a workbook. */
export async function saveWhole(workbook: ExcelJS.Workbook, out: string): Promise<void> {
  await mkdir(dirname(out), { recursive: true });
  await replaceDurably(out, (temporary) => workbook.xlsx.writeFile(temporary, ZIP));
}

/** Written in place, into a folder no reader sees until its writer has flushed it whole. */
export async function save(workbook: ExcelJS.Workbook, out: string): Promise<void> {
  await mkdir(dirname(out), { recursive: true });
  await workbook.xlsx.writeFile(out, ZIP);
}

/**
 * Zipped at deflate's fastest level: a workbook of a few hundred cells is a few kilobytes
 * bigger, and written in a third of the time the default level takes.
 */
const ZIP = { zip: { compression: 'DEFLATE', compressionOptions: { level: 1 } } } as const;
